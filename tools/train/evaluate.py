#!/usr/bin/env python3
"""Held-out metrics of an exported foley-mini (clips of the test split, never trained on).

* autoencoder: multi-resolution STFT distance and SNR of encode->decode on the first
  --frames latent frames of each held-out clip;
* DiT: rectified-flow loss at fixed t in {0.25, 0.5, 0.75} with the clip's own caption, with
  a caption of another category, and with the empty (zero) context. own < other means the
  model uses the text.
Usage: evaluate.py --cache data-cache --model models/foley-mini [--clips 60] [--json out.json]
"""
import argparse
import json
import os
import random

import numpy as np
import torch

import common
from foley_reference import T5PromptEncoder
from train_autoencoder import multi_res_stft_loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    common.set_threads()
    with open(os.path.join(args.model, "model_config.json")) as f:
        config = json.load(f)
    model = common.build_foley_model(config)
    ratio = config["model"]["pretransform"]["config"]["downsampling_ratio"]
    max_length = next(c for c in config["model"]["conditioning"]["configs"] if c["id"] == "prompt")["config"]["max_length"]
    model.load_state_dict(common.load_f32(os.path.join(args.model, "model.safetensors"))[0])
    model.eval()
    prompts = T5PromptEncoder(os.path.join(args.model, "t5"), max_length=max_length)
    prompts.encoder = prompts.encoder.float()
    rows = common.read_manifest(args.cache, "test")
    rng = random.Random(0)
    rng.shuffle(rows)
    rows = rows[: args.clips]
    stft, snr = [], []
    losses = {"own": [], "other": [], "empty": []}
    with torch.no_grad():
        for r in rows:
            audio = common.load_clip(args.cache, r["clip"])[:, : args.frames * ratio].astype(np.float32) / 32768
            frames = -(-audio.shape[1] // ratio)
            x = torch.zeros(1, 2, frames * ratio)
            x[0, :, : audio.shape[1]] = torch.from_numpy(audio)
            z = model.pretransform.encode(x, sample=True)  # a posterior sample, as in training
            y = model.pretransform.decode(z)
            stft.append(float(multi_res_stft_loss(y, x)))
            snr.append(float(10 * torch.log10(x.pow(2).sum() / (y - x).pow(2).sum().clamp_min(1e-9))))
            others = [o for o in rows if o["category"] != r["category"]] or rows
            other = rng.choice(others)
            secs = model.conditioner.conditioners["seconds_total"]([min(float(r["seconds"]), frames * ratio / 48000)])
            gen = torch.Generator().manual_seed(1)
            for key, text in (("own", r["caption_en"]), ("other", other["caption_en"]), ("empty", None)):
                if text is None:
                    emb, mask = prompts([""])
                    emb = torch.zeros_like(emb)
                else:
                    emb, mask = prompts([text])
                cond = model.get_conditioning_inputs({"prompt": (emb, mask), "seconds_total": secs})
                if text is None:
                    cond["cross_attn_cond"] = torch.zeros_like(cond["cross_attn_cond"])
                total = 0.0
                for t in (0.25, 0.5, 0.75):
                    gen.manual_seed(int(t * 100))
                    noise = torch.randn(z.shape, generator=gen)
                    tt = torch.full((1,), t)
                    v = model.dit((1 - t) * z + t * noise, tt, cond["cross_attn_cond"], cond["global_cond"])
                    total += float((v - (noise - z)).pow(2).mean())
                losses[key].append(total / 3)
    result = {"heldout_clips": len(rows), "ae_multires_stft": float(np.mean(stft)), "ae_snr_db": float(np.mean(snr)),
              **{f"dit_loss_{k}_caption": float(np.mean(v)) for k, v in losses.items()},
              "own_better_than_other_fraction": float(np.mean([a < b for a, b in zip(losses["own"], losses["other"])]))}
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
