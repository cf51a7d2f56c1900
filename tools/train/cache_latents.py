#!/usr/bin/env python3
"""Stage 2: encode the clips once with the trained (then frozen) VAE encoder.

Each clip is cut to at most --max-frames latent frames (common.DOWNSAMPLING samples each) and zero-padded
to a whole frame; the posterior mean and std are stored so that the DiT trains on samples of
the posterior. Also stores the latent of digital silence (the DiT's padding) and the global
std of the posterior samples (the pretransform "scale" of model_config.json).
With band latents (band_latents.py: an autoencoder.pt trained with --band-latents, or the
band_latents.pt given with --band-latents) the latents are computed, not encoded, so they can be
cached before the decoder is trained.
Usage: cache_latents.py --cache data-cache --out checkpoints [--max-frames 256] [--max-clips N]
       [--band-latents checkpoints/band_latents.pt]
"""
import argparse
import os
import random
import time

import numpy as np
import torch

import common
from band_latents import BandLatents


def frame_levels(audio, ratio=common.DOWNSAMPLING):
    """[2, samples] int16 -> the level of each whole latent frame in dB (empty under two frames)."""
    mid = audio.astype(np.float64).mean(0) / 32768.0
    if len(mid) < 2 * ratio:
        return np.zeros(0)
    power = np.array([np.mean(block ** 2) for block in np.array_split(mid, len(mid) // ratio)])
    return 10 * np.log10(power + 1e-12)


def tail_drop_db(audio, ratio=common.DOWNSAMPLING):
    """How far the last latent frame's level lies under the loudest one's, in dB (0 for a clip shorter
    than two frames): a clip that has died away into silence (train_dit --fill-window) is a whole
    event, while one cut off loud (a loop, an ambience) is not."""
    level = frame_levels(audio, ratio)
    return float(level.max() - level[-1]) if len(level) else 0.0


def peak_seconds(audio, ratio=common.DOWNSAMPLING):
    """When the loudest latent frame starts, in seconds (0 for a clip shorter than two frames): a hit
    (a slam, a shot, a blast) is loudest at its start, a flyby or an engine that stops is not
    (train_dit --fill-max-peak)."""
    level = frame_levels(audio, ratio)
    return float(np.argmax(level) * ratio / common.SAMPLE_RATE) if len(level) else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-frames", type=int, default=common.MAX_FRAMES)
    ap.add_argument("--max-clips", type=int, default=0, help="0: all; else a category-balanced subset")
    ap.add_argument("--split", default="train")
    ap.add_argument("--band-latents", default="", help="band_latents.pt to compute the latents with")
    args = ap.parse_args()
    common.set_threads()
    device = common.training_device()
    if args.band_latents:
        posterior = BandLatents.load(args.band_latents).posterior
    else:
        model, checkpoint = common.load_autoencoder(os.path.join(args.out, "autoencoder.pt"))
        ae = model.pretransform.model.to(device)
        ae.eval()
        if "band_latents" in checkpoint:
            posterior = BandLatents(checkpoint["band_latents"]).posterior
        else:
            def posterior(x):
                return ae.bottleneck.posterior(ae.encoder(x))
    rows = common.read_manifest(args.cache, args.split)
    if args.max_clips and len(rows) > args.max_clips:
        # Round-robin over categories so that rare categories are all kept.
        rng = random.Random(0)
        by_cat = {}
        for r in rows:
            by_cat.setdefault(r["category"], []).append(r)
        for v in by_cat.values():
            rng.shuffle(v)
        picked = []
        while len(picked) < args.max_clips:
            for v in by_cat.values():
                if v and len(picked) < args.max_clips:
                    picked.append(v.pop())
        rows = picked
    ratio = common.DOWNSAMPLING
    # Batch clips of similar length together to waste little on padding.
    items = []
    for r in rows:
        audio = common.load_clip(args.cache, r["clip"])[:, : args.max_frames * ratio]
        items.append((r, audio))
    items.sort(key=lambda it: it[1].shape[1])
    out = {}
    start = time.time()
    done = 0
    with torch.no_grad():
        silence_mean = posterior(torch.zeros(1, 2, 8 * ratio, device=device))[0][:, :, 4].cpu()  # an interior frame
        i = 0
        while i < len(items):
            frames = -(-items[i][1].shape[1] // ratio)
            batch = [it for it in items[i:i + 16] if -(-it[1].shape[1] // ratio) == frames] or [items[i]]
            x = torch.zeros(len(batch), 2, frames * ratio)
            for j, (_, audio) in enumerate(batch):
                x[j, :, : audio.shape[1]] = torch.from_numpy(audio.astype(np.float32) / 32768.0)
            mean, std = (v.cpu() for v in posterior(x.to(device)))
            for j, (r, audio) in enumerate(batch):
                out[r["clip"]] = {"mean": mean[j].half(), "std": std[j].half(),
                                  "seconds": min(float(r["seconds"]), frames * ratio / common.SAMPLE_RATE),
                                  "caption_en": r["caption_en"], "caption_zh": r["caption_zh"],
                                  "category": r["category"], "tail_drop_db": tail_drop_db(audio),
                                  "peak_s": peak_seconds(audio)}
            i += len(batch)
            done += len(batch)
            if done % 200 < len(batch):
                print(f"encoded {done}/{len(items)} ({time.time() - start:.0f}s)", flush=True)
    # The std of what the DiT trains on, posterior samples: channels pinned to the prior have a
    # zero mean but unit std (train_autoencoder.pin_noise_channels).
    means = torch.cat([v["mean"].float() for v in out.values()], dim=1)
    stds = torch.cat([v["std"].float() for v in out.values()], dim=1)
    latent_std = float((means.pow(2).mean() + stds.pow(2).mean() - means.mean().pow(2)).sqrt())
    path = os.path.join(args.out, f"latents_{args.split}.pt")
    common.save_checkpoint(path, {"clips": out, "silence": silence_mean[0].half(), "latent_std": latent_std,
                                  "max_frames": args.max_frames})
    print(f"saved {path}: {len(out)} clips, latent std {latent_std:.3f}, {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
