#!/usr/bin/env python3
"""Writes a random-weight model with the REAL Stable Audio Open Small shapes, in the publisher's
layout, for benchmarks (never for listening):

    OUT/model_config.json      official schema (DiT 341M, Oobleck VAE, T5-base prompt, seconds_total)
    OUT/model.safetensors      ~498M parameters, F32, official key names (loads strict in foley_reference)
    OUT/t5/config.json         t5-base encoder config (12 layers, d_model 768, d_ff 3072, 12 heads, ReLU)
    OUT/t5/model.safetensors   T5 encoder weights, Hugging Face key names
    OUT/t5/spiece.model        SentencePiece model trained with Debian's spm_train on local text
                               (Debian has no t5-base spiece.model; this only changes which ids a
                               prompt maps to, not any shape or cost: the embedding table keeps
                               t5-base's 32128 rows)

Weights use a scaled initialisation so activations stay O(1) through every stage (NaN/inf-free
timings, realistic Snake/sin inputs). Deterministic for a given --seed.

    /usr/bin/python3 bench/saos_full/make_random_saos.py --out build-bench/saos-random
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from foley_reference import T5Encoder, build_model, save_safetensors  # noqa: E402
from foley_reference.oobleck import WNConv1d, WNConvTranspose1d, SnakeBeta  # noqa: E402

FORMAT_VERSION = "saos-random-v1"

SAOS_CONFIG = {
    "model_type": "diffusion_cond",
    "sample_size": 524288,
    "sample_rate": 44100,
    "audio_channels": 2,
    "model": {
        "pretransform": {
            "type": "autoencoder",
            "iterate_batch": True,
            "config": {
                "encoder": {"type": "oobleck", "config": {
                    "in_channels": 2, "channels": 128, "c_mults": [1, 2, 4, 8, 16], "strides": [2, 4, 4, 8, 8],
                    "latent_dim": 128, "use_snake": True}},
                "decoder": {"type": "oobleck", "config": {
                    "out_channels": 2, "channels": 128, "c_mults": [1, 2, 4, 8, 16], "strides": [2, 4, 4, 8, 8],
                    "latent_dim": 64, "use_snake": True, "final_tanh": False}},
                "bottleneck": {"type": "vae"},
                "latent_dim": 64,
                "downsampling_ratio": 2048,
                "io_channels": 2,
            },
        },
        "conditioning": {
            "configs": [
                {"id": "prompt", "type": "t5", "config": {"t5_model_name": "t5-base", "max_length": 64}},
                {"id": "seconds_total", "type": "number", "config": {"min_val": 0, "max_val": 256}},
            ],
            "cond_dim": 768,
        },
        "diffusion": {
            "cross_attention_cond_ids": ["prompt", "seconds_total"],
            "global_cond_ids": ["seconds_total"],
            "diffusion_objective": "rf_denoiser",
            "type": "dit",
            "config": {
                "io_channels": 64, "embed_dim": 1024, "depth": 16, "num_heads": 8,
                "cond_token_dim": 768, "global_cond_dim": 768,
                "transformer_type": "continuous_transformer", "attn_kwargs": {"qk_norm": "ln"},
            },
        },
        "io_channels": 64,
    },
    "foley_note": "RANDOM WEIGHTS with the real SAOS shapes, written by bench/saos_full/make_random_saos.py "
                  "for benchmarks. The audio it produces is noise.",
}

T5_BASE_CONFIG = {
    "architectures": ["T5EncoderModel"], "model_type": "t5", "vocab_size": 32128, "d_model": 768, "d_kv": 64,
    "d_ff": 3072, "num_layers": 12, "num_heads": 12, "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128, "feed_forward_proj": "relu", "dense_act_fn": "relu",
    "is_gated_act": False, "layer_norm_epsilon": 1e-6, "pad_token_id": 0, "eos_token_id": 1,
    "decoder_start_token_id": 0, "tie_word_embeddings": True,
    "foley_note": "t5-base encoder shapes with random weights (bench/saos_full/make_random_saos.py)",
}


def init_dit(dit, gen):
    depth = len(dit.transformer.layers)
    residual_scale = 1.0 / math.sqrt(2 * depth)  # keeps the residual stream O(1) after 3*depth adds
    for name, p in dit.named_parameters():
        if name.endswith("timestep_features.weight"):
            p.data.normal_(0, 1, generator=gen)
        elif p.dim() >= 2:
            fan_in = p.shape[1] * (p.shape[2] if p.dim() == 3 else 1)
            std = 1.0 / math.sqrt(fan_in)
            if name.endswith(("to_out.weight", "ff.ff.2.weight")):
                std *= residual_scale
            if "process_conv" in name:
                std *= 0.1
            p.data.normal_(0, std, generator=gen)
        elif name.endswith(("gamma", "norm.weight")):
            p.data.normal_(1.0, 0.05, generator=gen)
        else:  # biases
            p.data.normal_(0, 0.02, generator=gen)


def init_conditioner(cond, gen):
    emb = cond.conditioners["seconds_total"].embedder.embedding
    emb[0].weights.data.normal_(0, 1, generator=gen)
    emb[1].weight.data.normal_(0, 1 / math.sqrt(emb[1].weight.shape[1]), generator=gen)
    emb[1].bias.data.zero_()


def init_oobleck(module, gen, residual_gain=0.3):
    """Weight-norm gains chosen so every conv roughly preserves variance; the second conv of each
    residual unit is damped so that three residual units per block do not blow up."""
    for name, m in module.named_modules():
        if isinstance(m, (WNConv1d, WNConvTranspose1d)):
            m.weight_v.data.normal_(0, 1, generator=gen)
            if isinstance(m, WNConvTranspose1d):
                cin, cout, k = m.weight_v.shape
                gain = math.sqrt(cout * m.stride / cin)
            else:
                is_residual_out = m.weight_v.shape[2] == 1 and name.endswith("layers.3")
                gain = residual_gain if is_residual_out else 1.0
            m.weight_g.data.fill_(gain)
            if m.bias is not None:
                m.bias.data.normal_(0, 0.01, generator=gen)
        elif isinstance(m, SnakeBeta):
            m.alpha.data.normal_(0, 0.1, generator=gen)
            m.beta.data.normal_(0, 0.1, generator=gen)


def init_t5(t5, gen):
    c = t5.config
    d, dkv, h, dff = c["d_model"], c["d_kv"], c["num_heads"], c["d_ff"]
    for name, p in t5.named_parameters():
        if name == "shared.weight":
            p.data.normal_(0, 1, generator=gen)
        elif name.endswith("SelfAttention.q.weight"):
            p.data.normal_(0, (d * dkv) ** -0.5, generator=gen)
        elif name.endswith(("SelfAttention.k.weight", "SelfAttention.v.weight", "wi.weight")):
            p.data.normal_(0, d ** -0.5, generator=gen)
        elif name.endswith("SelfAttention.o.weight"):
            p.data.normal_(0, (h * dkv) ** -0.5, generator=gen)
        elif name.endswith("wo.weight"):
            p.data.normal_(0, dff ** -0.5 / math.sqrt(2 * c["num_layers"]), generator=gen)
        elif name.endswith("relative_attention_bias.weight"):
            p.data.normal_(0, 0.5, generator=gen)
        elif name.endswith("layer_norm.weight"):
            p.data.normal_(1.0, 0.05, generator=gen)
        else:
            raise RuntimeError(f"unexpected T5 parameter {name}")


def train_spiece(out_dir, vocab_size):
    """Unigram SentencePiece with t5-base's special ids, trained on local text (licenses, docs,
    Python sources); byte fallback so any prompt encodes without <unk>."""
    sources = sorted(glob.glob("/usr/share/common-licenses/*")) + \
        sorted(glob.glob("/usr/share/doc/*/copyright"))[:600] + \
        sorted(glob.glob("/usr/lib/python3.11/*.py"))
    captions = os.path.join(ROOT, "tests", "data", "tiny-pipeline", "captions.txt")
    if os.path.exists(captions):
        sources.insert(0, captions)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for path in sources:
                if not os.path.isfile(path):
                    continue
                with open(path, encoding="utf-8", errors="ignore") as src:
                    for line in src:
                        line = line.strip()
                        if line:
                            f.write(line[:2000] + "\n")
        prefix = os.path.join(out_dir, "spiece")
        cmd = ["spm_train", f"--input={corpus}", f"--model_prefix={prefix}", f"--vocab_size={vocab_size}",
               "--model_type=unigram", "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
               "--byte_fallback=true", "--hard_vocab_limit=false", "--character_coverage=0.9995",
               "--input_sentence_size=300000", "--shuffle_input_sentence=true", "--num_threads=2",
               "--normalization_rule_name=nmt_nfkc", "--minloglevel=2"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        os.remove(prefix + ".vocab")
    import sentencepiece
    return sentencepiece.SentencePieceProcessor(model_file=os.path.join(out_dir, "spiece.model")).get_piece_size()


@torch.no_grad()
def activation_report(model, t5):
    """RMS of each stage's output on a small input: all should be O(1)."""
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 32000, (1, 64), generator=gen)
    ids[0, 20] = 1
    mask = torch.zeros(1, 64, dtype=torch.long)
    mask[0, :21] = 1
    emb = t5(ids, mask) * mask[..., None]
    secs = model.conditioner.conditioners["seconds_total"]([11.9])
    inputs = model.get_conditioning_inputs({"prompt": (emb, mask), "seconds_total": secs})
    x = torch.randn(1, 64, 32, generator=gen)
    v = model.dit(x, torch.tensor([0.7]), inputs["cross_attn_cond"], inputs["global_cond"])
    audio = model.pretransform.decode(torch.randn(1, 64, 4, generator=gen))
    latent = model.pretransform.encode(audio, sample=False)
    rms = lambda t: float(t[t != 0].square().mean().sqrt()) if t.abs().sum() > 0 else 0.0  # noqa: E731
    return {"t5_rms": rms(emb), "dit_v_rms": rms(v), "decoder_audio_rms": rms(audio), "encoder_latent_rms": rms(latent)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "build-bench", "saos-random"))
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--vocab", type=int, default=32000, help="SentencePiece pieces (t5-base: 32000)")
    ap.add_argument("--force", action="store_true", help="rewrite even if the folder is up to date")
    args = ap.parse_args()
    stamp_path = os.path.join(args.out, "STAMP")
    stamp = f"{FORMAT_VERSION} seed={args.seed} vocab={args.vocab}"
    if not args.force and os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp:
        print(f"{args.out}: up to date ({stamp})")
        return 0
    os.makedirs(os.path.join(args.out, "t5"), exist_ok=True)
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(args.seed)

    model = build_model(SAOS_CONFIG)
    init_dit(model.dit, gen)
    init_conditioner(model.conditioner, gen)
    init_oobleck(model.pretransform.model.decoder, gen)
    init_oobleck(model.pretransform.model.encoder, gen)
    t5 = T5Encoder.from_config(T5_BASE_CONFIG)
    init_t5(t5, gen)
    t5.eval()

    report = activation_report(model, t5)
    print("activation RMS:", json.dumps(report))
    bad = {k: v for k, v in report.items() if not (0.05 < v < 20)}
    if bad:
        raise SystemExit(f"activations out of range: {bad}")

    counts = {"dit": sum(p.numel() for p in model.dit.parameters()),
              "decoder": sum(p.numel() for p in model.pretransform.model.decoder.parameters()),
              "encoder": sum(p.numel() for p in model.pretransform.model.encoder.parameters()),
              "t5": sum(p.numel() for p in t5.parameters())}
    print("parameters:", json.dumps(counts))
    meta = {"producer": "foley bench/saos_full/make_random_saos.py", "format": FORMAT_VERSION,
            "seed": str(args.seed), "note": "random weights, real SAOS shapes"}
    with open(os.path.join(args.out, "model_config.json"), "w") as f:
        json.dump(SAOS_CONFIG, f, indent=2)
    model.save_weights(os.path.join(args.out, "model.safetensors"), meta)
    del model
    with open(os.path.join(args.out, "t5", "config.json"), "w") as f:
        json.dump(T5_BASE_CONFIG, f, indent=2)
    save_safetensors(t5.state_dict(), os.path.join(args.out, "t5", "model.safetensors"), meta)
    pieces = train_spiece(os.path.join(args.out, "t5"), args.vocab)
    print(f"spiece.model: {pieces} pieces (requested {args.vocab}; the embedding table has 32128 rows)")
    with open(stamp_path, "w") as f:
        f.write(stamp + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
