#!/usr/bin/env python3
"""What an autoencoder checkpoint has learned, on training clips:

- activation RMS after each encoder and decoder stage (Snake is nearly linear below ~0.2, so a
  stage with smaller activations cannot rectify: no energy detection, no noise synthesis);
- posterior std against the spread of the posterior means (sampling noise the decoder and the
  DiT must live with);
- how much of the spectral envelope (EnvelopeHead's band energies) a ridge regression reads
  from the latents (held-out frames), and how much the decoder's output reproduces;
- output level against input level, and how much a second posterior sample changes the output
  (how much the decoder uses the sampling noise, e.g. channels pinned to the prior as excitation);
- how periodic the output is at a lag of one latent frame against a lag of 0.73 frames (a
  decoder that repeats one waveform per frame makes a buzzing comb at the frame rate: the first
  x1024 run measured 0.98 where the originals have 0.0; see frame_comb_loss), and the share of
  the energy within ±1 Hz of that comb's teeth (the first second of each clip; a flat
  spectrum puts 3 / 46.9 = 6.4 % there);
- the log-mel error of the output by how loud the original's frame is (within 20 dB of the
  clip's loudest frame, 20-50 dB under it, quieter): the seventh run's decoder was 1.35 nats
  (12 dB) off on loud frames and +5.8 nats over digital silence, which dominated its mel loss
  (see train_autoencoder.py --log-floor);
- the output's level against the input's in five frequency ranges (median over clips, dB): the
  tenth run's decoder was 11-13 dB low at 0.2-4 kHz and its latents carried almost nothing
  below 1 kHz (see train_autoencoder.band_energy_loss);
- dynamics: the output's level against the input's with the input turned down by 12 and 24 dB,
  and per latent frame (21 ms) how the output's level follows the input's (dB per dB) and how
  much of the input's level a linear read-out of the latents gives. Every learned autoencoder of
  runs one to eleven compressed (30 clips): the seventh run's 0.36 dB out per dB in, the tenth's 0.59,
  and a linear read-out of any of their latents gave a frame's level only to within 9.5-10.3 dB
  (R2 0.69-0.73), so quiet frames come out too loud and loud ones too quiet.
Usage: diagnose_autoencoder.py --ckpt checkpoints/autoencoder.pt [--cache data-cache] [--clips 150]
"""
import argparse
import random

import numpy as np
import torch

import common
from spectra import mel_bank, stft_mag
from band_latents import BandLatents
from train_autoencoder import EnvelopeHead

LEVEL_BINS = ((0, 20, "within 20 dB of the peak"), (20, 50, "20-50 dB under it"), (50, 1e9, "quieter"))
INPUT_GAINS_DB = (0, -12, -24)


def r2(pred, target):
    return float(1 - ((pred - target) ** 2).sum() / ((target - target.mean(0)) ** 2).sum())


def autocorrelation(x, lag):
    x = x - x.mean()
    return float((x[:-lag] * x[lag:]).sum() / (x * x).sum().clamp_min(1e-12))


def comb_share(mono):
    """Share of the 30 Hz - 8 kHz energy of the first second within ±1 Hz of the multiples of
    the latent frame rate."""
    n = common.SAMPLE_RATE
    spec = np.abs(np.fft.rfft(mono[:n] * np.hanning(n))) ** 2  # 1 Hz bins
    f0 = common.SAMPLE_RATE / common.DOWNSAMPLING
    teeth = [int(round(k * f0)) for k in range(1, int(8000 / f0))]
    return sum(spec[f - 1:f + 2].sum() for f in teeth) / spec[30:8000].sum()


RANGES_HZ = (30, 200, 1000, 4000, 12000, common.SAMPLE_RATE // 2)


def range_energies(mono):
    """Energy of the signal in each of the RANGES_HZ ranges."""
    spec = np.abs(np.fft.rfft(mono)) ** 2
    hz = np.fft.rfftfreq(len(mono), 1 / common.SAMPLE_RATE)
    return np.array([spec[(hz >= lo) & (hz < hi)].sum() for lo, hi in zip(RANGES_HZ, RANGES_HZ[1:])])


def frame_db(s):
    """Level of the mid signal in each whole latent frame, dB."""
    mid = s.mean(1)[0]
    n = mid.shape[0] // common.DOWNSAMPLING
    return 10 * torch.log10(mid[: n * common.DOWNSAMPLING].reshape(n, -1).pow(2).mean(1) + 1e-10)


def slope_and_r2(x, y):
    """The least-squares line y = a x + b: (a, R2)."""
    a, b = np.polyfit(x, y, 1)
    return float(a), r2(a * x + b, y)


def mel_error_by_level(x, y, bank=mel_bank(2048, 32)):
    """Per 2048-point frame of the mid signal: (dB under the clip's loudest frame, mean |log-mel
    error| in dB, mean signed error in dB; positive: the output is louder)."""
    def log_mel(s):
        return 20 * torch.log10((bank @ stft_mag(s.mean(1), 2048))[0].clamp_min(1e-5))
    lx, ly = log_mel(x), log_mel(y)
    level = lx.mean(0)
    diff = ly - lx
    return torch.stack([level.max() - level, diff.abs().mean(0), diff.mean(0)], dim=1)


def stage_rms(ae, x, z, learned_encoder):
    """RMS after each encoder stage (for a learned encoder) and each decoder stage fed z."""
    rows = []
    for half, layers, h in (("encoder", ae.encoder.layers if learned_encoder else [], x),
                            ("decoder", ae.decoder.layers, z)):
        for i, layer in enumerate(layers):
            h = layer(h)
            rows.append(f"{half}.{i} {type(layer).__name__} {h.pow(2).mean().sqrt():.3f}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--cache", default="data-cache")
    ap.add_argument("--clips", type=int, default=150)
    args = ap.parse_args()
    common.set_threads()
    model, checkpoint = common.load_autoencoder(args.ckpt)
    ae = model.pretransform.model.eval()
    if "band_latents" in checkpoint:  # a decoder trained on computed band latents (band_latents.py)
        bands = BandLatents(checkpoint["band_latents"])
        posterior, sample = bands.posterior, bands.sample
    else:
        def posterior(x):
            return ae.bottleneck.posterior(ae.encoder(x))

        def sample(x):  # a posterior sample, as in training
            return ae.bottleneck.encode(ae.encoder(x))
    head = EnvelopeHead(common.LATENT_DIM)
    rows = random.Random(0).sample(common.read_manifest(args.cache, "train"), args.clips)
    feats, targets, outputs, means, stds, periodicity, combs, mel_errors = [], [], [], [], [], [], [], []
    resampled, ranges, frame_levels = [], [], []
    levels = {g: [] for g in INPUT_GAINS_DB}
    torch.manual_seed(0)
    with torch.no_grad():
        for r in rows:
            audio = common.load_clip(args.cache, r["clip"])[:, : 64 * common.DOWNSAMPLING]
            n = audio.shape[1] // common.DOWNSAMPLING * common.DOWNSAMPLING
            if n < 3 * common.DOWNSAMPLING:
                continue
            x = torch.from_numpy(audio[:, :n].astype(np.float32) / 32768.0)[None]
            mean, std = posterior(x)
            y = ae.decoder(sample(x))
            other = ae.decoder(sample(x))
            resampled.append(float((other - y).pow(2).mean() / y.pow(2).mean().clamp_min(1e-12)))
            target, out = head.target(x)[0], head.target(y)[0]
            keep = target.max(1).values > target.max() - 12  # frames within ~50 dB of the clip's peak
            m = mean[0].T
            context = torch.cat([m.roll(1, 0), m, m.roll(-1, 0)], dim=1)
            feats.append(context[keep]), targets.append(target[keep]), outputs.append(out[keep])
            means.append(m), stds.append(std[0].T)
            for g in INPUT_GAINS_DB:
                quieter = x * 10 ** (g / 20)
                decoded = y if g == 0 else ae.decoder(sample(quieter))
                levels[g].append(10 * np.log10(float(decoded.pow(2).mean() / quieter.pow(2).mean().clamp_min(1e-12))))
            level_in, level_out = frame_db(x), frame_db(y)
            k = min(len(level_in), len(m))
            frame_levels.append(torch.cat([level_in[:k, None], level_out[:k, None], m[:k]], dim=1))
            mel_errors.append(mel_error_by_level(x, y))
            lags = (common.DOWNSAMPLING, int(common.DOWNSAMPLING * 0.73))
            periodicity.append([autocorrelation(s.mean(1)[0], lag) for s in (x, y) for lag in lags])
            ranges.append([range_energies(s.mean(1)[0].numpy()) for s in (x, y)])
            if n >= common.SAMPLE_RATE:
                combs.append([comb_share(s.mean(1)[0].numpy()) for s in (x, y)])
        print("stage RMS on", len(feats), "clips:")
        print("  " + "\n  ".join(stage_rms(ae, x, sample(x), "band_latents" not in checkpoint)))
    z, t, o = (torch.cat(v).double().numpy() for v in (feats, targets, outputs))
    split = len(z) * 3 // 4
    zb = np.concatenate([z, np.ones((len(z), 1))], axis=1)
    w = np.linalg.solve(zb[:split].T @ zb[:split] + 1e-2 * np.eye(zb.shape[1]), zb[:split].T @ t[:split])
    all_means = torch.cat(means)
    print(f"posterior std: median {torch.cat(stds).median():.3f}; posterior means: std {all_means.std():.3f}")
    print(f"band energies explained (R2, {len(z) - split} held-out frames): "
          f"linear read-out of the latents {r2(zb[split:] @ w, t[split:]):.3f}, decoder output {r2(o[split:], t[split:]):.3f}")
    # The same by frequency range: the band energies' columns run sub-frame major, band minor.
    in_band = head.bank.numpy() > 0  # [bands, FFT bins]
    hz_per_bin = common.SAMPLE_RATE / (2 * (in_band.shape[1] - 1))
    centre_hz = np.array([np.flatnonzero(row).mean() for row in in_band]) * hz_per_bin
    column_hz = np.tile(centre_hz, EnvelopeHead.SUB)
    read_out = []
    for lo, hi in zip(RANGES_HZ, RANGES_HZ[1:]):
        cols = (column_hz >= lo) & (column_hz < hi)
        if cols.any():
            read_out.append(f"{lo}-{hi} Hz {r2((zb[split:] @ w)[:, cols], t[split:, cols]):.2f}")
    print("  linear read-out by range: " + ", ".join(read_out))
    print("output minus input level (median over clips): " + ", ".join(
        f"{np.median(levels[g]):+.1f} dB with the input at {g:+d} dB" for g in INPUT_GAINS_DB))
    fl = torch.cat(frame_levels).double().numpy()
    fl = fl[fl[:, 0] > -70]  # frames with sound
    lb = np.concatenate([fl[:, 2:], np.ones((len(fl), 1))], axis=1)
    cut = len(fl) * 3 // 4
    w = np.linalg.solve(lb[:cut].T @ lb[:cut] + 1e-2 * np.eye(lb.shape[1]), lb[:cut].T @ fl[:cut, 0])
    error = lb[cut:] @ w - fl[cut:, 0]
    follow, follow_r2 = slope_and_r2(fl[:, 0], fl[:, 1])
    print(f"per latent frame ({len(fl)}, level spread {fl[:, 0].std():.1f} dB): output follows input at "
          f"{follow:.2f} dB/dB (R2 {follow_r2:.2f}); a linear read-out of the latents gives the input's level "
          f"to {np.sqrt((error ** 2).mean()):.1f} dB RMS (R2 {r2(lb[cut:] @ w, fl[cut:, 0]):.2f}, held-out frames)")
    print(f"another posterior sample changes the output by {np.mean(resampled):.3f} of its energy "
          f"(0: the decoder ignores the sampling noise, 2: uncorrelated outputs)")
    p = np.mean(periodicity, axis=0)
    print(f"autocorrelation at 1 / 0.73 latent frames: input {p[0]:.2f} / {p[1]:.2f}, output {p[2]:.2f} / {p[3]:.2f}")
    errors = torch.cat(mel_errors)
    for lo, hi, name in LEVEL_BINS:
        sel = (errors[:, 0] >= lo) & (errors[:, 0] < hi)
        if sel.any():
            print(f"log-mel error, frames {name} ({int(sel.sum())}): {errors[sel, 1].mean():.1f} dB "
                  f"(signed {errors[sel, 2].mean():+.1f} dB)")
    energies = np.array(ranges) + 1e-12  # [clips, input/output, ranges]
    gaps = np.median(10 * np.log10(energies[:, 1] / energies[:, 0]), axis=0)
    print("output minus input level by range (median over clips): " + ", ".join(
        f"{lo}-{hi} Hz {g:+.1f} dB" for lo, hi, g in zip(RANGES_HZ, RANGES_HZ[1:], gaps)))
    if combs:
        c = np.mean(combs, axis=0)
        print(f"energy on the frame-rate comb's teeth ({len(combs)} clips >= 1 s): input {c[0]:.3f}, output {c[1]:.3f}")


if __name__ == "__main__":
    main()
