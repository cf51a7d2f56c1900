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
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))

import common  # noqa: E402
from foley_reference import save_safetensors  # noqa: E402


def write_cases(model_dir, folder):
    with open(os.path.join(model_dir, "model_config.json")) as f:
        model = common.build_foley_model(json.load(f))
    model.load_state_dict(common.load_f32(os.path.join(model_dir, "model.safetensors"))[0], strict=True)
    decoder = model.pretransform.model.decoder
    latent_dim = model.pretransform.model.decoder.layers[0].weight_v.shape[1]
    gen = torch.Generator().manual_seed(0)
    cases = {}
    with torch.no_grad():
        z = torch.randn(1, latent_dim, 24, generator=gen)
        cases["decode.latent"], cases["decode.audio"] = z, decoder(z)
        z2 = torch.randn(1, latent_dim, 6, generator=gen)
        trace = []
        cases["decode2.latent"], cases["decode2.audio"] = z2, decoder(z2, trace=trace)
        for i, out in enumerate(trace):
            cases[f"decode2.layer{i}"] = out
    save_safetensors({k: v.contiguous() for k, v in cases.items()}, os.path.join(folder, "cases.safetensors"))
    return len(trace)


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
        run = subprocess.run([args.foley, "check", folder], capture_output=True, text=True)
        print(run.stdout + run.stderr)
        checked = [line for line in run.stdout.splitlines() if line.startswith(("decode.", "decode2."))]
        if run.returncode != 0:
            raise SystemExit(f"foley check failed on {args.model}'s decoder")
        if len(checked) < 3 + layers:  # decode.audio twice (whole, chunked), decode2.audio, every layer
            raise SystemExit(f"foley check compared only {len(checked)} decoder cases")
    print(f"ok: the engine decodes {args.model} as the reference does")


if __name__ == "__main__":
    main()
