#!/usr/bin/env python3
"""Turn an exported foley-mini back into training checkpoints, so a run can go on from the
shipped weights when the checkpoints they came from are gone (checkpoints/ is git-ignored and
does not outlive the machine; only models/foley-mini is committed).

  <out>/autoencoder.pt   the Oobleck VAE, as train_autoencoder.py saves it (no optimizer state)
  <out>/dit.pt           DiT + conditioners + T5, as train_dit.py saves it (trainable = ema = the
                         exported weights, which are the EMA; no optimizer state)
  <out>/spiece.model     the bilingual SentencePiece vocabulary
  <out>/band_latents.pt  for a model of computed band latents: their statistics (from the export's
                         metadata), for cache_latents.py --band-latents

The weights come back from F16, so they are the exported ones, not the F32 originals; the step
counts come from the export's metadata. The training scripts restart their optimizer (with a
short warm-up) when a checkpoint has no optimizer state.
Usage: import_model.py --model models/foley-mini --out checkpoints/run
"""
import argparse
import json
import os
import shutil

import band_latents
import common


def pinned_noise_channels(ae) -> int:
    """How many trailing latent channels the encoder pins to the prior (train_autoencoder.
    pin_noise_channels zeroes their mean rows' weight norm), counted from the end of the mean half."""
    g = ae.encoder.layers[-1].weight_g.detach().flatten()
    half = g.shape[0] // 2
    n = 0
    while n < half and float(g[half - 1 - n]) == 0.0:
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="an export of export.py (model_config.json, model.safetensors, t5/)")
    ap.add_argument("--out", required=True, help="checkpoint directory to write")
    args = ap.parse_args()
    for name in ("autoencoder.pt", "dit.pt"):
        if os.path.exists(os.path.join(args.out, name)):
            raise SystemExit(f"{os.path.join(args.out, name)} exists; import into an empty directory")
    with open(os.path.join(args.model, "model_config.json")) as f:
        config = json.load(f)
    weights, meta = common.load_f32(os.path.join(args.model, "model.safetensors"))
    bands = None
    if "latents" in meta:
        if "band_latents" not in meta:
            raise SystemExit(f"{args.model} decodes computed band latents (band_latents.py) but was exported "
                             "without their statistics; run band_latents.py again instead")
        bands = band_latents.state_from_json(meta["band_latents"])
    model = common.build_foley_model(config)
    model.load_state_dict(weights, strict=True)
    t5 = common.new_t5()
    t5_weights, _ = common.load_f32(os.path.join(args.model, "t5", "model.safetensors"))
    t5_weights["encoder.embed_tokens.weight"] = t5_weights["shared.weight"]  # tied; export leaves the copy out
    t5.load_state_dict(t5_weights, strict=True)

    ae_state = model.pretransform.model.state_dict()
    noise_channels = pinned_noise_channels(model.pretransform.model)
    dit = common.dit_modules(model, t5).state_dict()
    os.makedirs(args.out, exist_ok=True)
    ae = {"autoencoder": ae_state, "step": int(meta.get("autoencoder_steps", 0)), "log": [],
          "decoder_only": True, "noise_channels": noise_channels, "imported_from": args.model}
    if bands is not None:  # band latents: their statistics for cache_latents.py, as band_latents.py writes them
        ae["band_latents"] = bands
        common.save_checkpoint(os.path.join(args.out, "band_latents.pt"), bands)
    if "decoder" in meta:
        ae["vocoder_decoder"] = {"imported_from": args.model}
    common.save_checkpoint(os.path.join(args.out, "autoencoder.pt"), ae)
    common.save_checkpoint(os.path.join(args.out, "dit.pt"), {
        "trainable": dit, "ema": dit, "step": int(meta.get("dit_steps", 0)), "log": [],
        "latent_std": float(config["model"]["pretransform"]["scale"]), "imported_from": args.model})
    shutil.copyfile(os.path.join(args.model, "t5", "spiece.model"), os.path.join(args.out, "spiece.model"))
    print(f"imported {args.model} into {args.out}: autoencoder step {meta.get('autoencoder_steps')}, "
          f"{noise_channels} pinned noise channels; DiT step {meta.get('dit_steps')}", flush=True)


if __name__ == "__main__":
    main()
