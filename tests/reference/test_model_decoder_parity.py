#!/usr/bin/env python3
"""The engine decodes a shipped model's latents as the reference does: `foley check` on a copy of the
model folder with decoder cases (whole, chunked, every layer) computed here by foley_reference from
the same F16 weights. For models/foley-mini, whose decoder weights are computed rather than trained
(tools/train/vocoder_decoder.py), this covers what no random-weight fixture does: Snakes used as
exact squarers (alpha ~1e-3, beta = alpha^2) and differences of large squares.

usage: test_model_decoder_parity.py --foley PATH_TO_FOLEY_CLI [--model models/foley-mini]"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))

import common  # noqa: E402
from decoder_check import check_decoder, write_decoder_cases  # noqa: E402


def write_cases(model_dir, folder):
    with open(os.path.join(model_dir, "model_config.json")) as f:
        model = common.build_foley_model(json.load(f))
    model.load_state_dict(common.load_f32(os.path.join(model_dir, "model.safetensors"))[0], strict=True)
    decoder = model.pretransform.model.decoder
    latent_dim = decoder.layers[0].weight_v.shape[1]
    return write_decoder_cases(decoder, latent_dim, folder, torch.Generator().manual_seed(0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--foley", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "foley-mini"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "model")
        shutil.copytree(args.model, folder)
        layers = write_cases(args.model, folder)
        check_decoder(args.foley, folder, layers, f"{args.model}'s decoder")
    print(f"ok: the engine decodes {args.model} as the reference does")


if __name__ == "__main__":
    main()
