#!/usr/bin/env python3
"""Stage 4: export foley-mini in the layout the engine loads, then check the round trip.

  <dest>/model_config.json        official stable-audio-tools schema
  <dest>/model.safetensors        F16, official key names (model.model.*, conditioner.*, pretransform.*)
  <dest>/t5/config.json           Hugging Face T5 encoder config
  <dest>/t5/model.safetensors     F16, Hugging Face key names
  <dest>/t5/spiece.model          the bilingual SentencePiece vocabulary

The round trip reloads the exported files strictly through tools/reference (F16 -> F32) and
compares the DiT velocity and the decoded audio with the F32 training weights; it then
renders a few prompts to <checkpoints>/samples/*.wav.
Usage: export.py --out checkpoints --dest models/foley-mini [--samples]
"""
import argparse
import json
import os
import shutil
import wave

import numpy as np
import torch

import band_latents
import common
from foley_reference import T5PromptEncoder, save_safetensors

SAMPLE_PROMPTS = ["door slam", "explosion", "footsteps on gravel", "雨声", "sword hitting metal", "wolf",
                  "rain", "爆炸", "dog barking", "machine hum"]


def to_f16(state):
    return {k: (v.detach().half() if v.is_floating_point() else v.detach()).contiguous() for k, v in state.items()}


def not_finite(state):
    """Names of the tensors that hold a NaN or an infinity (in F16: any value past 65504)."""
    return [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]


def write_wav(path, audio):
    audio = audio / max(1e-6, float(np.abs(audio).max())) * 0.9
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(common.SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="checkpoint directory")
    ap.add_argument("--dest", required=True, help="model directory to write")
    ap.add_argument("--samples", action="store_true", help="render SAMPLE_PROMPTS to <out>/samples")
    ap.add_argument("--cfg", type=float, default=4.5)
    ap.add_argument("--sampler", choices=("pingpong", "euler"), default=common.SAMPLING["sampler"],
                    help="the engine's default sampler for this model (model_config.json \"sampling\")")
    ap.add_argument("--steps", type=int, default=common.SAMPLING["steps"], help="its default number of steps")
    args = ap.parse_args()
    common.set_threads()
    dit_state = common.load_checkpoint(os.path.join(args.out, "dit.pt"))
    model, ae_state = common.load_autoencoder(os.path.join(args.out, "autoencoder.pt"),
                                              latent_scale=round(float(dit_state["latent_std"]), 6))
    config = model.config
    config["sampling"] = {"sampler": args.sampler, "steps": args.steps}
    t5 = common.new_t5()
    trainable = common.dit_modules(model, t5)
    trainable.load_state_dict(dit_state["ema"])
    model.eval()
    t5.eval()

    model16 = to_f16(model.state_dict())
    t5_16 = to_f16({k: v for k, v in t5.state_dict().items() if k != "encoder.embed_tokens.weight"})  # tied to shared
    # Refused before anything is written: a diverged run must not leave a broken model in --dest.
    bad = not_finite(model16) + not_finite(t5_16)
    if bad:
        raise SystemExit(f"not exported: {len(bad)} tensors hold NaN or values beyond F16 ({', '.join(bad[:3])}"
                         f"{', ...' if len(bad) > 3 else ''}); the checkpoint in {args.out} diverged")

    os.makedirs(os.path.join(args.dest, "t5"), exist_ok=True)
    meta = {"format": "pt", "model": "foley-mini", "autoencoder_steps": str(ae_state["step"]),
            "dit_steps": str(dit_state["step"]), "made_by": "tools/train/export.py"}
    if "band_latents" in ae_state:  # the decoder read computed latents; the file's encoder is not their source
        meta["latents"] = (f"{ae_state['band_latents']['bands']} standardised mel-band log powers per frame, computed by "
                           "tools/train/band_latents.py; the encoder weights here do not make them")
        # the statistics too, so import_model.py can give a later run the same latents
        meta["band_latents"] = band_latents.state_to_json(ae_state["band_latents"])
    if "vocoder_decoder" in ae_state:
        meta["decoder"] = "weights computed by tools/train/vocoder_decoder.py (a noise vocoder of the band latents), not trained"
    with open(os.path.join(args.dest, "model_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(model16, os.path.join(args.dest, "model.safetensors"), meta)
    save_safetensors(t5_16, os.path.join(args.dest, "t5", "model.safetensors"), meta)
    with open(os.path.join(args.dest, "t5", "config.json"), "w") as f:
        json.dump(common.T5_CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    shutil.copyfile(os.path.join(args.out, "spiece.model"), os.path.join(args.dest, "t5", "spiece.model"))
    sizes = {p: os.path.getsize(os.path.join(args.dest, p)) for p in
             ("model.safetensors", "t5/model.safetensors", "t5/spiece.model")}
    print("exported:", {k: f"{v / 1e6:.2f} MB" for k, v in sizes.items()})

    # Round trip: strict reload of the exported files (F16 weights promoted to F32).
    with open(os.path.join(args.dest, "model_config.json")) as f:
        reloaded = common.build_foley_model(json.load(f))
    reloaded.load_state_dict(common.load_f32(os.path.join(args.dest, "model.safetensors"))[0], strict=True)
    prompts = T5PromptEncoder(os.path.join(args.dest, "t5"), max_length=common.MAX_PROMPT_TOKENS)
    prompts.encoder = prompts.encoder.float()
    emb, mask = prompts(["door slam", "雨声"])
    with torch.no_grad():
        ids, id_mask = prompts.tokenize(["door slam", "雨声"])
        ref = t5(ids, id_mask) * id_mask[..., None]
        t5_err = float((emb - ref).abs().max() / ref.abs().max())
        secs = reloaded.conditioner.conditioners["seconds_total"]([5.0, 5.0])
        cond = reloaded.get_conditioning_inputs({"prompt": (emb, mask), "seconds_total": secs})
        cond32 = model.get_conditioning_inputs({"prompt": (ref, id_mask.bool()),
                                                "seconds_total": model.conditioner.conditioners["seconds_total"]([5.0, 5.0])})
        x = torch.randn(2, config["model"]["io_channels"], 32, generator=torch.Generator().manual_seed(0))
        t = torch.full((2,), 0.5)
        v16 = reloaded.dit(x, t, cond["cross_attn_cond"], cond["global_cond"])
        v32 = model.dit(x, t, cond32["cross_attn_cond"], cond32["global_cond"])
        dit_err = float((v16 - v32).abs().max() / v32.abs().max())
        a16 = reloaded.pretransform.decode(x[:1])
        a32 = model.pretransform.decode(x[:1])
        dec_err = float((a16 - a32).abs().max() / a32.abs().max())
    print(f"round trip (F16 export vs F32 weights, max|diff|/max|ref|): t5 {t5_err:.2e} dit {dit_err:.2e} "
          f"decoder {dec_err:.2e}")
    if not all(err <= 5e-2 for err in (t5_err, dit_err, dec_err)):  # NaN too (max() skips a NaN after a number)
        raise SystemExit("round trip error too large")

    if args.samples:
        sample_dir = os.path.join(args.out, "samples")
        os.makedirs(sample_dir, exist_ok=True)
        for i, text in enumerate(SAMPLE_PROMPTS):
            emb, mask = prompts([text])
            secs = reloaded.conditioner.conditioners["seconds_total"]([5.0])
            cond = reloaded.get_conditioning_inputs({"prompt": (emb, mask), "seconds_total": secs})
            audio = reloaded.generate(cond, seed=i, steps=args.steps, cfg_scale=args.cfg, sampler=args.sampler)[0].numpy()
            audio = audio[:, : 5 * common.SAMPLE_RATE]
            write_wav(os.path.join(sample_dir, f"{i:02d}.wav"), audio)
            print(f"sample {i:02d}: {text!r} rms {float(np.sqrt((audio ** 2).mean())):.4f}", flush=True)


if __name__ == "__main__":
    main()
