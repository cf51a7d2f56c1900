#!/usr/bin/env python3
"""Band-energy latents: a fixed, computed "encoder" for foley-mini's decoder and DiT.

The informative latent channels are the log power of K mel-spaced bands (0-24 kHz) of the mid
signal in each latent frame (a 2048-point Hann window centred on the frame's 1024 samples),
standardised per band over the training clips; the other channels are N(0, 1) noise, the
decoder's excitation (as train_autoencoder.pin_noise_channels). Why: every learned encoder of
runs one to eleven carried a frame's level only to within ~10 dB (diagnose_autoencoder.py) and
its decoder's reconstructions were heard as their original's sound by YAMNet in 13.6-18.2 % of
held-out clips, while plain band-limited noise shaped by these band energies (a noise vocoder,
no network) was heard in 38.3 % (K = 8), 42.2 % (16) and 51.3 % (32; vocoder_ceiling.py). With
a fixed encoder the decoder and the DiT can also train at the same time.

The engine never encodes audio (it has no Oobleck encoder), so nothing exported depends on
this file; the exported encoder weights are the last learned encoder's (tools/train/README.md).
Usage (fits the per-band statistics on the training split, writes <out>/band_latents.pt):
  band_latents.py --cache data-cache --out checkpoints/r14 [--bands 32] [--informative-std 0.1]
With K bands a latent frame has K + EXCITATION_CHANNELS values (64 at the shipped 32 bands);
statistics saved before the width was stored ("latent_dim") had 64 whatever their band count.
"""
import argparse
import json
import os
import random

import numpy as np
import torch

import common

WINDOW = 2 * common.DOWNSAMPLING
POWER_FLOOR = 1e-9  # about -90 dB in a band: under 16-bit quantisation noise of a full-scale clip
# The posterior std of the band channels, so the DiT samples them like a VAE's. In a band's own
# units (about 5.5 nats of log power per std at 64 bands) 0.1 is a 0.55-nat jitter per band and
# frame, which alone took walks on gravel through the constant-modulus excitation vocoder from 13
# of 32 heard as footsteps to 0 (twenty-second run); a state's "informative_std" overrides it.
INFORMATIVE_STD = 0.1
EXCITATION_CHANNELS = 32  # noise channels after the bands: vocoder_decoder.py mixes each band's noise from them


def band_edges(bands, n_fft=WINDOW, sr=common.SAMPLE_RATE):
    """FFT-bin edges of `bands` mel-spaced bands covering 0 Hz to Nyquist, each at least one bin."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)
    hz = 700.0 * (10 ** (np.linspace(0.0, mel(sr / 2), bands + 1) / 2595.0) - 1.0)
    edges = np.round(hz / sr * n_fft).astype(int)
    for i in range(1, len(edges)):
        edges[i] = max(edges[i], edges[i - 1] + 1)
    edges[-1] = n_fft // 2 + 1
    return edges


def log_band_power(x, bands):
    """[batch, 2, samples] (samples a multiple of DOWNSAMPLING) -> [batch, bands, frames]: the
    natural log of each band's mean power per latent frame, of the mid signal."""
    hop = common.DOWNSAMPLING
    mid = x.mean(1)
    padded = torch.nn.functional.pad(mid, (hop // 2, hop // 2))  # frame t's window centred on its samples
    frames = padded.unfold(-1, WINDOW, hop)[:, : mid.shape[-1] // hop]  # [batch, frames, WINDOW]
    power = torch.fft.rfft(frames * torch.hann_window(WINDOW, device=x.device), dim=-1).abs().pow(2)
    edges = band_edges(bands)
    per_band = torch.stack([power[..., a:b].mean(-1) for a, b in zip(edges[:-1], edges[1:])], dim=1)
    return (per_band + POWER_FLOOR).log()


class BandLatents:
    """The fitted encoder: `bands` standardised log band powers, then noise channels."""

    def __init__(self, state):
        self.bands = int(state["bands"])
        self.latent_dim = int(state.get("latent_dim", common.LATENT_DIM))
        self.mean, self.std = state["mean"].float(), state["std"].float()
        self.informative_std = float(state.get("informative_std", INFORMATIVE_STD))

    @classmethod
    def load(cls, path):
        return cls(common.load_checkpoint(path))

    def features(self, x):
        """[batch, bands, frames] standardised log band power."""
        f = log_band_power(x, self.bands)
        return (f - self.mean.to(x.device)[:, None]) / self.std.to(x.device)[:, None]

    def posterior(self, x):
        """(mean, std), each [batch, latent_dim, frames], in the layout cache_latents stores."""
        return self.posterior_of(self.features(x))

    def posterior_of(self, f):
        """posterior() from already computed features(x)."""
        noise = torch.zeros(f.shape[0], self.latent_dim - self.bands, f.shape[2], device=f.device)
        mean = torch.cat([f, noise], dim=1)
        std = torch.cat([torch.full_like(f, self.informative_std), torch.ones_like(noise)], dim=1)
        return mean, std

    def sample(self, x):
        return self.sample_of(self.features(x))

    def encode(self, x, sample=True):
        """The VAE encoder's interface: a latent sample, or the posterior mean."""
        return self.sample(x) if sample else self.posterior(x)[0]

    def sample_of(self, f):
        """A latent sample from already computed features(x) (training reuses them for --cycle-weight)."""
        mean, std = self.posterior_of(f)
        return mean + std * torch.randn_like(mean)


def state_to_json(state):
    """The fitted statistics as text, for an export's metadata (float32 values round-trip exactly)."""
    return json.dumps({k: (v.tolist() if torch.is_tensor(v) else v) for k, v in state.items()})


def state_from_json(text):
    return {k: (torch.tensor(v, dtype=torch.float32) if isinstance(v, list) else v) for k, v in json.loads(text).items()}


def fit(cache, bands, clips=600, seed=0, informative_std=INFORMATIVE_STD):
    """Per-band mean and std of the log band power over the frames of training clips (and the
    posterior std the band channels will be given)."""
    rows = common.read_manifest(cache, "train")
    rows = random.Random(seed).sample(rows, min(clips, len(rows)))
    values = []
    with torch.no_grad():
        for r in rows:
            audio = common.load_clip(cache, r["clip"])
            n = audio.shape[1] // common.DOWNSAMPLING * common.DOWNSAMPLING
            if n == 0:
                continue
            x = torch.from_numpy(audio[:, :n].astype(np.float32) / 32768.0)[None]
            values.append(log_band_power(x, bands)[0])
    v = torch.cat(values, dim=1)
    return {"bands": bands, "latent_dim": bands + EXCITATION_CHANNELS, "mean": v.mean(1), "std": v.std(1).clamp_min(1e-3),
            "informative_std": informative_std}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bands", type=int, default=32)
    ap.add_argument("--informative-std", type=float, default=INFORMATIVE_STD,
                    help="posterior std of the band channels, in standardised units (see INFORMATIVE_STD)")
    args = ap.parse_args()
    if args.bands < 1:
        ap.error("--bands must be positive")
    if args.informative_std < 0:
        ap.error("--informative-std must not be negative")
    common.set_threads()
    os.makedirs(args.out, exist_ok=True)
    state = fit(args.cache, args.bands, informative_std=args.informative_std)
    path = os.path.join(args.out, "band_latents.pt")
    common.save_checkpoint(path, state)
    print(f"saved {path}: {args.bands} bands, log power mean {state['mean'].min():.1f}..{state['mean'].max():.1f}, "
          f"std {state['std'].min():.2f}..{state['std'].max():.2f}", flush=True)


if __name__ == "__main__":
    main()
