#!/usr/bin/env python3
"""How much of a sound survives band latents: YAMNet on held-out clips rebuilt by a noise
vocoder (no network) from their K mel-band powers per latent frame, as run_eval.py scores an
autoencoder (agreement: the rebuilt clip's top class among the original's top 5; caption
adherence of originals and rebuilt clips).

A decoder that reads band latents (band_latents.py) can at best make what this vocoder makes,
unless it learns more about a sound's fine structure from the training data; the learned
autoencoders of runs seven to eleven scored 13.6-18.2 % agreement on the same clips.
--excitation shared (or a number J) replaces the white noise with excitation_vocoder's: noise
made from a few random numbers per latent frame (the latents' excitation channels, or J per band),
which is all a decoder has to make noise from; --constant-modulus keeps its bins at their expected
magnitude (excitation_vocoder.render).
Usage: vocoder_ceiling.py --manifest data-cache/manifest.tsv [--bands 32] [--clips 156] [--excitation shared]
       [--constant-modulus]
"""
import argparse
import os
import sys

import numpy as np
import torch

import common
import excitation_vocoder
from band_latents import EXCITATION_CHANNELS, WINDOW, BandLatents, band_edges, log_band_power

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eval"))
import manifest as manifest_mod  # noqa: E402
import run_eval  # noqa: E402
import yamnet  # noqa: E402


def band_gains(spec, edges):
    """[bins, frames] power -> [bands, frames] mean power per band."""
    return np.stack([spec[a:b].mean(0) for a, b in zip(edges[:-1], edges[1:])])


def vocoder_stft(s):
    """The vocoder's STFT of a float64 signal: the band latents' window, hop one latent frame."""
    return torch.stft(s, WINDOW, common.DOWNSAMPLING, window=torch.hann_window(WINDOW, dtype=torch.float64),
                      return_complex=True)


def shaped_noise(target, length, gen):
    """[bands, STFT frames] mean power per bin -> [length] white noise (drawn from `gen`) whose
    vocoder_stft has that power in each band and frame."""
    edges = band_edges(target.shape[0])
    band_of = np.repeat(np.arange(target.shape[0]), np.diff(edges))
    noise = vocoder_stft(torch.randn(length, generator=gen, dtype=torch.float64))
    made = band_gains(noise.abs().pow(2).numpy(), edges)
    gain = np.sqrt(target / np.maximum(made, 1e-20))[band_of]
    return torch.istft(noise * torch.from_numpy(gain), WINDOW, common.DOWNSAMPLING,
                       window=torch.hann_window(WINDOW, dtype=torch.float64), length=length).float()


def noise_vocoder(x, bands, seed=0):
    """[1, channels, samples] -> the same shape: per channel, white noise whose STFT power in each
    band and frame (2048-point Hann, hop one latent frame) is the input's."""
    edges = band_edges(bands)
    gen = torch.Generator().manual_seed(seed)
    out = [shaped_noise(band_gains(vocoder_stft(channel).abs().pow(2).numpy(), edges), channel.shape[0], gen)
           for channel in x[0].double()]
    return torch.stack(out)[None]


def vocode_band_power(log_power, seed=0):
    """[bands, frames] natural-log mean power per bin (band_latents.log_band_power's layout: a
    Hann window of two latent frames centred on each) -> [frames * DOWNSAMPLING] white noise
    with that power in each band. The synthesis STFT (same window, hop one frame) is centred on
    frame boundaries, so each of its frames takes the log-mean of the two latent frames it straddles."""
    lp = log_power.double()
    lp = torch.cat([lp[:, :1], lp, lp[:, -1:]], dim=1)
    target = ((lp[:, :-1] + lp[:, 1:]) / 2).exp().numpy()  # frames + 1: one per synthesis frame
    return shaped_noise(target, log_power.shape[1] * common.DOWNSAMPLING, torch.Generator().manual_seed(seed))


class BandVocoderDecoder:
    """A stand-in for a model's decode(latents) when the latents are band latents: the noise
    vocoder of their band channels, the same signal on both channels. Generation through it
    measures the DiT alone, as if the decoder were as good as this vocoder."""

    def __init__(self, band_state, scale):
        self.bands = BandLatents(band_state)
        self.scale = scale

    def __call__(self, z):
        b = self.bands
        log_power = (z * self.scale)[:, :b.bands] * b.std[:, None] + b.mean[:, None]
        mono = torch.stack([vocode_band_power(lp, seed=i) for i, lp in enumerate(log_power)])
        return torch.stack([mono, mono], dim=1)


class VocoderModel:
    """The interface run_eval.stage_autoencoder scores: encode keeps the audio, decode vocodes it."""

    sample_rate = common.SAMPLE_RATE

    def __init__(self, bands, excitation="white", constant_modulus=False):
        self.pretransform = self
        self.constant_modulus = constant_modulus
        self.downsampling_ratio, self.io_channels = common.DOWNSAMPLING, 2
        self.bands = bands
        if excitation == "white":
            self.weights = None
        elif excitation == "shared":  # as the band latents' own excitation channels
            self.weights = excitation_vocoder.mixing_weights(bands, EXCITATION_CHANNELS)
        else:
            per_band = int(excitation)
            self.weights = excitation_vocoder.mixing_weights(bands, bands * per_band, per_band)
        self.gen = torch.Generator().manual_seed(0)

    def encode(self, audio, sample=True):
        return audio

    def decode(self, audio):
        if self.weights is None:
            return noise_vocoder(audio, self.bands)
        log_power = log_band_power(audio, self.bands)
        excitation = torch.randn(1, self.weights.shape[0], log_power.shape[2], generator=self.gen)
        mono = excitation_vocoder.render(log_power, excitation, self.weights, self.constant_modulus)
        return torch.stack([mono, mono], dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--bands", type=int, default=32)
    ap.add_argument("--clips", type=int, default=156, help="held-out clips, as run_eval --ae-clips")
    ap.add_argument("--excitation", default="white",
                    help="white (fresh noise per sample), shared (excitation_vocoder with the band latents' "
                         "excitation channels) or J (J excitation numbers per band and frame)")
    ap.add_argument("--constant-modulus", action="store_true",
                    help="with --excitation shared or J: every bin at its expected magnitude, the excitation "
                         "choosing only its phase")
    args = ap.parse_args()
    if args.excitation not in ("white", "shared") and not (args.excitation.isdigit() and int(args.excitation) > 0):
        ap.error(f"--excitation {args.excitation}: give white, shared or a number of channels per band")
    if args.constant_modulus and args.excitation == "white":
        ap.error("--constant-modulus shapes excitation_vocoder's bins: give --excitation shared or J")
    common.set_threads()
    net = yamnet.default_model()
    held = manifest_mod.held_out(manifest_mod.load(args.manifest, None), None)
    vocoder = VocoderModel(args.bands, args.excitation, args.constant_modulus)
    records = [r for r in run_eval.stage_autoencoder(net, vocoder, held, args.clips, 4.0) if "error" not in r]
    adherence = run_eval.ae_adherence(records)
    modulus = ", constant modulus" if args.constant_modulus else ""
    print(f"{args.bands}-band noise vocoder ({args.excitation} excitation{modulus}), {len(records)} held-out clips: "
          f"YAMNet agreement {np.mean([r['yamnet_agree'] for r in records]):.1%}; "
          f"caption adherence ({adherence['n']} clips) "
          f"originals {adherence['original']:.1%}, vocoded {adherence['reconstruction']:.1%}")


if __name__ == "__main__":
    main()
