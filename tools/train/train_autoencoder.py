#!/usr/bin/env python3
"""Stage 1: train the Oobleck VAE (encoder + decoder) of foley-mini on the training split.

Loss: multi-resolution STFT (log-magnitude L1 + spectral convergence, on left/right and on
mid/side) + waveform L1 + a small KL term. No adversarial loss: the CPU budget is minutes,
not days. Resumes from <out>/autoencoder.pt; stops after --minutes or --steps.
Usage: train_autoencoder.py --cache data-cache --out checkpoints [--minutes 45]
"""
import argparse
import os
import random
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

import common


def stft_mag(x, n_fft):
    window = torch.hann_window(n_fft)
    spec = torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop_length=n_fft // 4, window=window,
                      return_complex=True)
    return spec.abs().clamp_min(1e-5)


def multi_res_stft_loss(pred, target, sizes=(2048, 1024, 512, 256, 128, 64)):
    def mid_side(x):
        return torch.stack([x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]], dim=1) * 0.5

    loss = 0.0
    for a, b in ((pred, target), (mid_side(pred), mid_side(target))):
        for n in sizes:
            pm, tm = stft_mag(a, n), stft_mag(b, n)
            loss = loss + F.l1_loss(pm.log(), tm.log())
            loss = loss + (torch.linalg.norm(tm - pm) / torch.linalg.norm(tm).clamp_min(1e-5))
    return loss / len(sizes)


def warm_start(ae, path):
    """Initialise from an earlier autoencoder.pt, also one with fewer latent channels: the
    encoder's last conv gains rows (mean and scale halves each padded) and the decoder's first
    conv gains zero input columns, so the old model's function is kept exactly (weight norm:
    zero columns leave |v| unchanged) and the new channels start unused."""
    old = torch.load(path)["autoencoder"]
    new = ae.state_dict()
    for key, value in new.items():
        src = old[key]
        if src.shape == value.shape:
            new[key] = src
        elif key.startswith("encoder.") and src.shape[1:] == value.shape[1:]:
            h_old, h_new = src.shape[0] // 2, value.shape[0] // 2
            value[:h_old], value[h_new:h_new + h_old] = src[:h_old], src[h_old:]
        elif key.startswith("decoder.") and src.shape[0] == value.shape[0] and src.shape[2:] == value.shape[2:]:
            value.zero_()
            value[:, : src.shape[1]] = src
        else:
            raise SystemExit(f"--init-from: cannot map {key} {tuple(src.shape)} -> {tuple(value.shape)}")
    ae.load_state_dict(new)
    print(f"initialised from {path}", flush=True)


class CropSampler:
    """Random crops of `length` samples from the training clips, avoiding silent crops."""

    def __init__(self, cache, length, seed=0):
        rows = common.read_manifest(cache, "train")
        self.clips = [common.load_clip(cache, r["clip"]) for r in rows]
        self.length = length
        self.rng = random.Random(seed)
        print(f"autoencoder data: {len(self.clips)} clips, "
              f"{sum(c.shape[1] for c in self.clips) / common.SAMPLE_RATE / 3600:.2f} h", flush=True)

    def batch(self, size):
        out = np.zeros((size, 2, self.length), dtype=np.float32)
        for i in range(size):
            for _ in range(4):  # retry a few times to avoid near-silent crops
                clip = self.clips[self.rng.randrange(len(self.clips))]
                n = clip.shape[1]
                start = self.rng.randrange(max(1, n - self.length + 1))
                crop = clip[:, start:start + self.length].astype(np.float32) / 32768.0
                if np.abs(crop).max() > 0.01:
                    break
            gain = 10 ** (self.rng.uniform(-12, 0) / 20)  # level augmentation
            if self.rng.random() < 0.5:
                crop = crop[::-1]  # swap left/right
            out[i, :, :crop.shape[1]] = crop * gain
        return torch.from_numpy(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=16384)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--kl", type=float, default=1e-4)
    ap.add_argument("--init-from", default="", help="start a new run from another autoencoder.pt (see warm_start)")
    ap.add_argument("--cosine", action="store_true",
                    help="cosine learning-rate decay to 10 %% at --steps (the step budget, resumable)")
    ap.add_argument("--decoder-only", action="store_true",
                    help="freeze the encoder (its latents are already cached for the DiT) and fine-tune the decoder")
    args = ap.parse_args()
    common.set_threads()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "autoencoder.pt")

    model = common.build_foley_model(common.model_config())
    ae = model.pretransform.model
    params = ae.decoder.parameters() if args.decoder_only else ae.parameters()
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.8, 0.99), weight_decay=0.0)
    step, log = 0, []
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        ae.load_state_dict(state["autoencoder"])
        if state.get("decoder_only", False) == args.decoder_only:
            opt.load_state_dict(state["optimizer"])  # else: a fresh optimizer for the new parameter set
        step, log = state["step"], state.get("log", [])
        print(f"resumed at step {step}", flush=True)
    elif args.init_from:
        warm_start(ae, args.init_from)
    sampler = CropSampler(args.cache, args.crop, seed=step)
    ae.train()
    start = time.time()
    last_save = start
    running = []
    stop = []  # SIGTERM ends the run cleanly: the loop exits and the checkpoint is saved
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while step < args.steps and (time.time() - start) < args.minutes * 60 and not stop:
        x = sampler.batch(args.batch)
        if args.decoder_only:
            with torch.no_grad():
                pre = ae.encoder(x)
        else:
            pre = ae.encoder(x)
        z, kl = ae.bottleneck.encode(pre, return_kl=True)
        y = ae.decoder(z)
        stft = multi_res_stft_loss(y, x)
        wav = F.l1_loss(y, x)
        loss = stft + 0.5 * wav + args.kl * kl
        if args.cosine:
            progress = min(1.0, step / max(1, args.steps))
            for g in opt.param_groups:
                g["lr"] = args.lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ae.decoder.parameters() if args.decoder_only else ae.parameters(), 1.0)
        opt.step()
        step += 1
        running.append((stft.item(), wav.item(), kl.item()))
        if step % 25 == 0:
            s, w, k = np.mean(running, axis=0)
            running = []
            log.append({"step": step, "stft": float(s), "l1": float(w), "kl": float(k),
                        "elapsed_s": time.time() - start})
            print(f"step {step} stft {s:.4f} l1 {w:.4f} kl {k:.2f} ({time.time() - start:.0f}s)", flush=True)
        if time.time() - last_save > 300:
            common.save_checkpoint(ckpt_path, {"autoencoder": ae.state_dict(), "optimizer": opt.state_dict(),
                                               "step": step, "log": log,
                                               "decoder_only": args.decoder_only})
            last_save = time.time()
    common.save_checkpoint(ckpt_path, {"autoencoder": ae.state_dict(), "optimizer": opt.state_dict(),
                                       "step": step, "log": log,
                                               "decoder_only": args.decoder_only})
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
