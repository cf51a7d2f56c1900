#!/usr/bin/env python3
"""How much of a clip's category do the cached latents carry, against the audio itself?

The same small convolutional probe (three 1-D convolutions, mean pooling, a linear layer) learns
the clip's category from a 64-frame window of (a) the DiT's training latents and (b) the clip's
64-band log-mel spectrogram at the latent frame rate (2048-point frames, hop = DOWNSAMPLING), on
80 % of the cached clips; it reports the accuracy on the other 20 % beside the majority class.
With --decoded, also (c) the log-mel of the decoder's reconstruction from cached posterior
samples (needs the autoencoder.pt the cache was made with in --out): if (c) is well above (a), the
latents hold the information in a form the small probe cannot read.
A DiT can only learn to make from a prompt what its latents can tell apart: where (a) is near
the majority rate and (b) is well above it, the encoder is what keeps the prompt from mattering,
and more DiT steps will not help.
Usage: probe_latents.py --out checkpoints [--cache data-cache] [--steps 1500] [--decoded]
"""
import argparse
import collections
import os
import random

import torch
import torch.nn.functional as F
from torch import nn

import common
from spectra import log_mag, mel_bank, stft_mag

WINDOW = 64  # latent frames per probe example (1.4 s)


def log_mel_frames(audio, frames, bank=mel_bank(2048, 64)):
    """[64, frames] log mel magnitudes of the mid signal of [2, samples], one frame per latent frame."""
    return log_mag(bank @ stft_mag(audio.mean(0), 2048, hop=common.DOWNSAMPLING)[0], 1e-3)[:, :frames]


def crop(features, rng):
    if features.shape[1] >= WINDOW:
        start = rng.randrange(features.shape[1] - WINDOW + 1)
        return features[:, start:start + WINDOW]
    return F.pad(features, (0, WINDOW - features.shape[1]))


def probe_accuracy(examples, classes, steps, seed=0):
    """examples: [(features [channels, frames], class index)], already shuffled."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    split = len(examples) * 4 // 5
    train, test = examples[:split], examples[split:]
    width = 128
    net = nn.Sequential(nn.Conv1d(examples[0][0].shape[0], width, 3, padding=1), nn.GELU(),
                        nn.Conv1d(width, width, 3, padding=1, stride=2), nn.GELU(),
                        nn.Conv1d(width, width, 3, padding=1, stride=2), nn.GELU(),
                        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(width, classes))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(steps):
        batch = rng.sample(train, 32)
        x = torch.stack([crop(f, rng) for f, _ in batch])
        loss = F.cross_entropy(net(x), torch.tensor([c for _, c in batch]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        hits = sum(int(net(crop(f, rng)[None]).argmax()) == c for f, c in test)
    return hits / len(test), test


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="checkpoint directory with latents_train.pt")
    ap.add_argument("--cache", default="data-cache")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--decoded", action="store_true", help="also probe the decoder's reconstructions")
    args = ap.parse_args()
    common.set_threads()
    latents = common.load_checkpoint(os.path.join(args.out, "latents_train.pt"))
    items = list(latents["clips"].items())
    random.Random(0).shuffle(items)
    categories = sorted({c["category"] for _, c in items})
    index = {c: i for i, c in enumerate(categories)}
    scale = latents["latent_std"]
    latent_examples = [(c["mean"].float() / scale, index[c["category"]]) for _, c in items]

    def sample(c):
        return c["mean"].float() + c["std"].float() * torch.randn(c["mean"].shape)

    def audio(key):
        return torch.from_numpy(common.load_clip(args.cache, key).astype("float32") / 32768.0)

    mel_examples = [(log_mel_frames(audio(key), c["mean"].shape[1]), index[c["category"]]) for key, c in items]
    latent_acc, test = probe_accuracy(latent_examples, len(categories), args.steps)
    mel_acc, _ = probe_accuracy(mel_examples, len(categories), args.steps)
    majority = collections.Counter(c for _, c in test).most_common(1)[0][1] / len(test)
    decoded = ""
    if args.decoded:
        ae = common.load_autoencoder(os.path.join(args.out, "autoencoder.pt"))[0].pretransform.model
        with torch.no_grad():
            torch.manual_seed(0)  # posterior samples, as the decoder was trained on (pinned channels are noise)
            decoded_examples = [(log_mel_frames(ae.decoder(sample(c)[None])[0], c["mean"].shape[1]),
                                 index[c["category"]]) for _, c in items]
        decoded = f", log-mel of the reconstruction {probe_accuracy(decoded_examples, len(categories), args.steps)[0]:.1%}"
    print(f"category from a {WINDOW}-frame window, {len(test)} held-out clips of {len(categories)} categories: "
          f"latents {latent_acc:.1%}, log-mel of the audio {mel_acc:.1%}{decoded}, majority class {majority:.1%}")


if __name__ == "__main__":
    main()
