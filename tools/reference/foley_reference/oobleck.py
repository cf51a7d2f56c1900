"""Oobleck autoencoder (encoder, decoder, VAE bottleneck) with weight-normed convolutions and
SnakeBeta activations; parameter names follow the official checkpoint
(`pretransform.model.{encoder,decoder}.layers.*`, weight norm as `weight_g` / `weight_v`).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SnakeBeta(nn.Module):
    """y = x + 1/(exp(beta) + 1e-9) * sin^2(exp(alpha) * x), per channel, log-scale params."""

    def __init__(self, channels: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        alpha = self.alpha.exp()[None, :, None]
        beta = self.beta.exp()[None, :, None]
        return x + (1.0 / (beta + 1e-9)) * torch.sin(x * alpha).pow(2)


def _norm_except_dim0(v: torch.Tensor) -> torch.Tensor:
    return v.pow(2).sum(dim=tuple(range(1, v.dim())), keepdim=True).sqrt()


class WNConv1d(nn.Module):
    """Conv1d whose weight is g * v / ||v|| (norm over all dims but 0, i.e. per output channel).

    The weight is recomputed from (weight_g, weight_v) at each call, so the module trains and
    deep-copies like any other (torch.nn.utils.weight_norm's hook does not deep-copy)."""

    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, dilation=1, bias=True):
        super().__init__()
        v = torch.empty(out_ch, in_ch, kernel_size)
        nn.init.kaiming_uniform_(v, a=math.sqrt(5))
        self.weight_g = nn.Parameter(_norm_except_dim0(v))
        self.weight_v = nn.Parameter(v)
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def weight(self):
        return self.weight_v * (self.weight_g / _norm_except_dim0(self.weight_v))

    def forward(self, x):
        return F.conv1d(x, self.weight(), self.bias, self.stride, self.padding, self.dilation)


class WNConvTranspose1d(nn.Module):
    """ConvTranspose1d, v: [in, out, k]; the norm is per INPUT channel (dim 0), as weight_norm's."""

    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        v = torch.empty(in_ch, out_ch, kernel_size)
        nn.init.kaiming_uniform_(v, a=math.sqrt(5))
        self.weight_g = nn.Parameter(_norm_except_dim0(v))
        self.weight_v = nn.Parameter(v)
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.stride, self.padding = stride, padding

    def weight(self):
        return self.weight_v * (self.weight_g / _norm_except_dim0(self.weight_v))

    def forward(self, x):
        return F.conv_transpose1d(x, self.weight(), self.bias, self.stride, self.padding)


def _activation(channels: int, use_snake: bool) -> nn.Module:
    if not use_snake:
        raise ValueError("Oobleck config: only use_snake=true is supported")
    return SnakeBeta(channels)


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int, use_snake: bool = True):
        super().__init__()
        self.layers = nn.Sequential(
            _activation(channels, use_snake),
            WNConv1d(channels, channels, 7, dilation=dilation, padding=3 * dilation),
            _activation(channels, use_snake),
            WNConv1d(channels, channels, 1))

    def forward(self, x):
        return x + self.layers(x)


class EncoderBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, use_snake: bool = True):
        super().__init__()
        self.layers = nn.Sequential(
            ResidualUnit(in_ch, 1, use_snake), ResidualUnit(in_ch, 3, use_snake), ResidualUnit(in_ch, 9, use_snake),
            _activation(in_ch, use_snake),
            WNConv1d(in_ch, out_ch, 2 * stride, stride=stride, padding=math.ceil(stride / 2)))

    def forward(self, x):
        return self.layers(x)


class NearestUpsample(nn.Sequential):
    """The official decoder's `use_nearest_upsample`: repeat every frame `stride` times, then a
    stride-1 conv of kernel 2 * stride, no bias, PyTorch's "same" padding (stride - 1 zeros on the
    left, stride on the right). Unlike a transposed conv it maps a constant input to a constant
    output, so slowly varying latents do not come out as one waveform repeated every latent frame
    (a buzz at the frame rate). The conv sits at index 1, where the official checkpoint names it
    (`layers.1.1.weight_v`; index 0 there is the parameterless nn.Upsample)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__(nn.Identity(), WNConv1d(in_ch, out_ch, 2 * stride, bias=False))
        self.stride = stride

    def forward(self, x):
        x = x.repeat_interleave(self.stride, dim=2)
        return self[1](F.pad(x, (self.stride - 1, self.stride)))


class DecoderBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, use_snake: bool = True, use_nearest_upsample: bool = False):
        super().__init__()
        upsample = (NearestUpsample(in_ch, out_ch, stride) if use_nearest_upsample
                    else WNConvTranspose1d(in_ch, out_ch, 2 * stride, stride=stride, padding=math.ceil(stride / 2)))
        self.layers = nn.Sequential(
            _activation(in_ch, use_snake),
            upsample,
            ResidualUnit(out_ch, 1, use_snake), ResidualUnit(out_ch, 3, use_snake), ResidualUnit(out_ch, 9, use_snake))

    def forward(self, x):
        return self.layers(x)


_ENCODER_KEYS = {"in_channels", "channels", "c_mults", "strides", "latent_dim", "use_snake"}
_DECODER_KEYS = {"out_channels", "channels", "c_mults", "strides", "latent_dim", "use_snake", "final_tanh",
                 "use_nearest_upsample"}


def _check_keys(cfg: dict, allowed: set, what: str):
    unknown = set(cfg) - allowed
    if unknown:
        raise ValueError(f"{what} config: unsupported keys {sorted(unknown)}")
    if len(cfg.get("c_mults", [])) != len(cfg.get("strides", [])):
        raise ValueError(f"{what} config: c_mults and strides must have the same length")


class OobleckEncoder(nn.Module):
    """audio [B, in_channels, L] -> [B, latent_dim, L / prod(strides)] (latent_dim = 2x the VAE's)."""

    def __init__(self, in_channels=2, channels=128, latent_dim=32, c_mults=(1, 2, 4, 8), strides=(2, 4, 8, 8),
                 use_snake=True):
        super().__init__()
        mults = [1] + list(c_mults)
        layers = [WNConv1d(in_channels, mults[0] * channels, 7, padding=3)]
        for i in range(len(mults) - 1):
            layers.append(EncoderBlock(mults[i] * channels, mults[i + 1] * channels, strides[i], use_snake))
        layers += [_activation(mults[-1] * channels, use_snake),
                   WNConv1d(mults[-1] * channels, latent_dim, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    @classmethod
    def from_config(cls, cfg: dict):
        _check_keys(cfg, _ENCODER_KEYS, "Oobleck encoder")
        return cls(**cfg)

    def forward(self, x):
        return self.layers(x)


class OobleckDecoder(nn.Module):
    """latent [B, latent_dim, T] -> audio [B, out_channels, T * prod(strides)]."""

    def __init__(self, out_channels=2, channels=128, latent_dim=32, c_mults=(1, 2, 4, 8), strides=(2, 4, 8, 8),
                 use_snake=True, final_tanh=True, use_nearest_upsample=False):
        super().__init__()
        mults = [1] + list(c_mults)
        layers = [WNConv1d(latent_dim, mults[-1] * channels, 7, padding=3)]
        for i in range(len(mults) - 1, 0, -1):
            layers.append(DecoderBlock(mults[i] * channels, mults[i - 1] * channels, strides[i - 1], use_snake,
                                       use_nearest_upsample))
        layers += [_activation(mults[0] * channels, use_snake),
                   WNConv1d(mults[0] * channels, out_channels, 7, padding=3, bias=False),
                   nn.Tanh() if final_tanh else nn.Identity()]
        self.layers = nn.Sequential(*layers)

    @classmethod
    def from_config(cls, cfg: dict):
        _check_keys(cfg, _DECODER_KEYS, "Oobleck decoder")
        return cls(**cfg)

    def forward(self, z, trace=None):
        x = z
        for layer in self.layers:
            x = layer(x)
            if trace is not None:
                trace.append(x)
        return x


class VAEBottleneck(nn.Module):
    """Splits the encoder output into (mean, scale); std = softplus(scale) + 1e-4."""

    @staticmethod
    def posterior(x):
        """(mean, std) of the latent distribution the encoder output `x` describes."""
        mean, scale = x.chunk(2, dim=1)
        return mean, F.softplus(scale) + 1e-4

    def encode(self, x, sample: bool = True, return_kl: bool = False):
        mean, std = self.posterior(x)
        latents = mean + std * torch.randn_like(mean) if sample else mean
        if return_kl:
            var = std * std
            kl = (mean * mean + var - torch.log(var) - 1).sum(1).mean()
            return latents, kl
        return latents

    def decode(self, z):
        return z


class AudioAutoencoder(nn.Module):
    def __init__(self, encoder: OobleckEncoder, decoder: OobleckDecoder, latent_dim: int, downsampling_ratio: int,
                 io_channels: int = 2):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.bottleneck = VAEBottleneck()
        self.latent_dim = latent_dim
        self.downsampling_ratio = downsampling_ratio
        self.io_channels = io_channels

    def encode(self, audio, skip_bottleneck: bool = False, sample: bool = True, return_kl: bool = False):
        pre = self.encoder(audio)
        if skip_bottleneck:
            return pre
        return self.bottleneck.encode(pre, sample=sample, return_kl=return_kl)

    def decode(self, z, trace=None):
        return self.decoder(self.bottleneck.decode(z), trace=trace)


class AutoencoderPretransform(nn.Module):
    """Latents are encoder latents / scale; decode multiplies back. Keys: model.encoder.*, model.decoder.*"""

    def __init__(self, model: AudioAutoencoder, scale: float = 1.0, chunked: bool = False,
                 chunk_size: int = 128, overlap: int = 32):
        super().__init__()
        self.model = model
        self.scale = scale
        self.chunked, self.chunk_size, self.overlap = chunked, chunk_size, overlap
        self.downsampling_ratio = model.downsampling_ratio
        self.encoded_channels = model.latent_dim
        self.io_channels = model.io_channels

    def encode(self, audio, sample: bool = True):
        return self.model.encode(audio, sample=sample) / self.scale

    def decode(self, z, chunked=None):
        z = z * self.scale
        chunked = self.chunked if chunked is None else chunked
        if not chunked or z.shape[-1] <= self.chunk_size:
            return self.model.decode(z)
        return self.decode_chunked(z)

    def decode_chunked(self, z):
        """Decodes overlapping windows of chunk_size latents (hop chunk_size - overlap) and keeps
        each window's interior: overlap/2 latents are dropped at every inner window edge."""
        total = z.shape[-1]
        hop = self.chunk_size - self.overlap
        ratio = self.downsampling_ratio
        starts = list(range(0, max(total - self.chunk_size, 0) + 1, hop))
        if starts[-1] + self.chunk_size < total:
            starts.append(total - self.chunk_size)
        out = torch.zeros(z.shape[0], self.io_channels, total * ratio, dtype=z.dtype, device=z.device)
        half = self.overlap // 2
        for i, s in enumerate(starts):
            audio = self.model.decode(z[..., s:s + self.chunk_size])
            lo = 0 if i == 0 else half
            hi = self.chunk_size if i == len(starts) - 1 else self.chunk_size - half
            if i == len(starts) - 1 and i > 0:
                lo = max(lo, (starts[i - 1] + self.chunk_size - half) - s)
            out[..., (s + lo) * ratio:(s + hi) * ratio] = audio[..., lo * ratio:hi * ratio]
        return out
