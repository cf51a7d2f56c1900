#!/usr/bin/env python3
"""Builds tests/data/tiny-pipeline: a complete, tiny prompt -> audio model for end-to-end tests.

Deterministic: running it again rewrites byte-identical files (fixed seeds, one-thread
SentencePiece training, sorted JSON). Needs Debian's `sentencepiece` (spm_train),
python3-numpy and python3-sentencepiece. Run from anywhere:

    /usr/bin/python3 tests/data/tiny-pipeline/make_tiny_pipeline.py [--out DIR]

What it writes next to itself (or into DIR; tests/text regenerates into a temporary DIR and
compares with the committed files):
  model_config.json   saos-tiny's config plus the real "prompt" t5 conditioner entry
  model.safetensors   saos-tiny's weights (tests/data/saos-tiny), stored as F16 to stay small
  t5/spiece.model     SentencePiece unigram model trained on captions.txt (T5 ids: pad 0,
                      </s> 1, <unk> 2; byte fallback so any UTF-8 text, Chinese included, encodes)
  t5/config.json      T5 encoder config, t5-base structure (ReLU FF) at d_model 32 = cond_dim
  t5/model.safetensors random T5 weights (seeded numpy), F16, Hugging Face key names
  reference.safetensors  float64 numpy re-derivation of the T5 output (masked
                      last_hidden_state) for a few prompts, for the C++ text-encoder test
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAOS_TINY = os.path.join(HERE, "..", "saos-tiny")
OUT = HERE
T5_DIR = os.path.join(OUT, "t5")
MAX_LENGTH = 64
TEST_SAMPLE_SIZE = 65536  # model window in samples; see the config step in main()

T5_CONFIG = {
    "architectures": ["T5EncoderModel"],
    "model_type": "t5",
    "d_ff": 64,
    "d_kv": 16,
    "d_model": 32,
    "dropout_rate": 0.0,
    "eos_token_id": 1,
    "feed_forward_proj": "relu",
    "is_encoder_decoder": True,
    "layer_norm_epsilon": 1e-06,
    "num_heads": 2,
    "num_layers": 2,
    "pad_token_id": 0,
    "relative_attention_max_distance": 128,
    "relative_attention_num_buckets": 32,
    # Like t5-base (32000 pieces, vocab_size 32128) the table is larger than the tokenizer.
    "vocab_size": 1024,
}
SPM_VOCAB = 1000

REFERENCE_PROMPTS = [
    "A dog barking in the distance",
    "夜晚的雷声在山间回荡, heavy rain",
    "",
]


def write_safetensors(path, tensors, dtype):
    """Minimal safetensors writer: sorted keys, 8-byte aligned header, little-endian data."""
    code = {np.float16: "F16", np.float32: "F32", np.float64: "F64"}[dtype]
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype=dtype).astype("<" + np.dtype(dtype).str[1:])
        raw = data.tobytes()
        header[name] = {"dtype": code, "shape": list(data.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt", "made_by": "tests/data/tiny-pipeline/make_tiny_pipeline.py"}
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    types = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "U8": "u1", "I64": "<i8"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=types[info["dtype"]]).reshape(info["shape"])
    return out


def train_tokenizer():
    os.makedirs(T5_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # The input path and model_prefix are stored inside the model: keep both relative and
        # constant so the output is byte-identical wherever the repository lives.
        shutil.copyfile(os.path.join(HERE, "captions.txt"), os.path.join(tmp, "captions.txt"))
        cmd = ["spm_train", "--input=captions.txt",
               "--model_prefix=spiece", "--vocab_size=%d" % SPM_VOCAB,
               "--model_type=unigram", "--character_coverage=0.9995", "--byte_fallback=true",
               "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
               "--num_threads=1", "--hard_vocab_limit=false"]
        subprocess.run(cmd, check=True, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.copyfile(os.path.join(tmp, "spiece.model"), os.path.join(T5_DIR, "spiece.model"))


def make_t5_weights():
    """Random weights scaled so activations stay O(1); RMS gains and the bias table non-trivial."""
    c = T5_CONFIG
    rng = np.random.default_rng(20261124)
    d, inner, ff = c["d_model"], c["num_heads"] * c["d_kv"], c["d_ff"]
    w = {"shared.weight": rng.standard_normal((c["vocab_size"], d))}
    for i in range(c["num_layers"]):
        p = "encoder.block.%d.layer." % i
        w[p + "0.layer_norm.weight"] = 1.0 + 0.2 * rng.standard_normal(d)
        for name in "qkv":
            w[p + "0.SelfAttention.%s.weight" % name] = rng.standard_normal((inner, d)) / np.sqrt(d)
        w[p + "0.SelfAttention.o.weight"] = rng.standard_normal((d, inner)) / np.sqrt(inner)
        if i == 0:
            w[p + "0.SelfAttention.relative_attention_bias.weight"] = rng.standard_normal(
                (c["relative_attention_num_buckets"], c["num_heads"]))
        w[p + "1.layer_norm.weight"] = 1.0 + 0.2 * rng.standard_normal(d)
        w[p + "1.DenseReluDense.wi.weight"] = rng.standard_normal((ff, d)) / np.sqrt(d)
        w[p + "1.DenseReluDense.wo.weight"] = rng.standard_normal((d, ff)) / np.sqrt(ff)
    w["encoder.final_layer_norm.weight"] = 1.0 + 0.2 * rng.standard_normal(d)
    # What the engine will read back: F16-rounded values.
    return {k: v.astype(np.float16) for k, v in w.items()}


def bucket(rel, num_buckets, max_distance):
    half = num_buckets // 2
    out = half if rel > 0 else 0
    n = abs(rel)
    max_exact = half // 2
    if n < max_exact:
        return out + n
    large = max_exact + int(np.float32(np.log(np.float32(n) / np.float32(max_exact)))
                            / np.float32(np.log(max_distance / max_exact))
                            * np.float32(half - max_exact))
    return out + min(large, half - 1)


def t5_reference(w, ids, mask):
    """Independent float64 T5 encoder (ReLU FF), returns the masked last_hidden_state."""
    c = T5_CONFIG
    w = {k: v.astype(np.float64) for k, v in w.items()}
    seq, heads, dk = len(ids), c["num_heads"], c["d_kv"]

    def rms(x, g):
        return g * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + c["layer_norm_epsilon"])

    table = w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
    bias = np.zeros((heads, seq, seq))
    for q in range(seq):
        for k in range(seq):
            b = bucket(k - q, c["relative_attention_num_buckets"], c["relative_attention_max_distance"])
            bias[:, q, k] = table[b]
    bias = bias + np.where(mask[None, None, :] > 0, 0.0, np.finfo(np.float32).min)
    h = w["shared.weight"][ids]
    for i in range(c["num_layers"]):
        p = "encoder.block.%d.layer." % i
        x = rms(h, w[p + "0.layer_norm.weight"])
        q = (x @ w[p + "0.SelfAttention.q.weight"].T).reshape(seq, heads, dk).transpose(1, 0, 2)
        k = (x @ w[p + "0.SelfAttention.k.weight"].T).reshape(seq, heads, dk).transpose(1, 0, 2)
        v = (x @ w[p + "0.SelfAttention.v.weight"].T).reshape(seq, heads, dk).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) + bias
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(seq, heads * dk)
        h = h + ctx @ w[p + "0.SelfAttention.o.weight"].T
        x = rms(h, w[p + "1.layer_norm.weight"])
        h = h + np.maximum(x @ w[p + "1.DenseReluDense.wi.weight"].T, 0) @ w[p + "1.DenseReluDense.wo.weight"].T
    out = rms(h, w["encoder.final_layer_norm.weight"])
    return out * mask[:, None]


def tokenize(prompt):
    import sentencepiece
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(T5_DIR, "spiece.model"))
    pieces = sp.encode(prompt)[: MAX_LENGTH - 1] + [1]
    ids = np.zeros(MAX_LENGTH, dtype=np.int64)
    ids[: len(pieces)] = pieces
    mask = np.zeros(MAX_LENGTH, dtype=np.int64)
    mask[: len(pieces)] = 1
    return ids, mask


def main():
    global OUT, T5_DIR
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=HERE, help="output folder (default: next to this script)")
    OUT = os.path.abspath(parser.parse_args().out)
    T5_DIR = os.path.join(OUT, "t5")
    os.makedirs(OUT, exist_ok=True)
    train_tokenizer()

    with open(os.path.join(T5_DIR, "config.json"), "w") as f:
        json.dump(T5_CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    t5 = make_t5_weights()
    write_safetensors(os.path.join(T5_DIR, "model.safetensors"), t5, np.float16)

    with open(os.path.join(SAOS_TINY, "model_config.json")) as f:
        config = json.load(f)
    cond = config["model"]["conditioning"]
    cond.pop("fixture_note", None)
    prompt_entry = {"id": "prompt", "type": "t5",
                    "config": {"t5_model_name": "t5-base", "max_length": MAX_LENGTH}}
    cond["configs"] = [prompt_entry] + [e for e in cond["configs"] if e["id"] != "prompt"]
    # saos-tiny's 8192-sample window (0.19 s) is below the API's 0.5 s minimum duration.
    # The weights do not depend on the window, so the test model gets 1.49 s (256 latent
    # frames): every API path (defaults, n >= 2, studio) works on it and stays fast.
    config["sample_size"] = TEST_SAMPLE_SIZE
    with open(os.path.join(OUT, "model_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    saos = read_safetensors(os.path.join(SAOS_TINY, "model.safetensors"))
    write_safetensors(os.path.join(OUT, "model.safetensors"), saos, np.float16)

    ref = {}
    for i, prompt in enumerate(REFERENCE_PROMPTS):
        ids, mask = tokenize(prompt)
        ref["prompt%d.input_ids" % i] = ids.astype(np.float64)
        ref["prompt%d.masked_last_hidden_state" % i] = t5_reference(t5, ids, mask)
    write_safetensors(os.path.join(OUT, "reference.safetensors"), ref, np.float32)
    with open(os.path.join(OUT, "reference_prompts.json"), "w") as f:
        json.dump(REFERENCE_PROMPTS, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
