#!/usr/bin/env python3
"""The Oobleck decoder's `use_nearest_upsample` option, end to end:
1. foley_reference's NearestUpsample equals the official formulation
   (nn.Upsample(nearest) then a conv with padding="same"), bit for bit;
2. `foley check` on a fixture written here (saos-tiny's topology with that option, seeded random
   weights, the reference's decoder outputs whole and per layer) passes every case.

usage: test_nearest_upsample_parity.py --foley PATH_TO_FOLEY_CLI"""
import argparse
import json
import os
import sys
import tempfile
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Using padding=.same. with even kernel")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

from decoder_check import check_decoder, write_decoder_cases  # noqa: E402
from foley_reference import build_model  # noqa: E402
from foley_reference.oobleck import NearestUpsample  # noqa: E402

SAOS = os.path.join(ROOT, "tests", "data", "saos-tiny")


def check_official_formulation():
    torch.manual_seed(1)
    for stride in (2, 3, 4, 8):
        up = NearestUpsample(5, 3, stride)
        x = torch.randn(2, 5, 7)
        official = F.conv1d(torch.nn.Upsample(scale_factor=stride, mode="nearest")(x), up[1].weight(), None,
                            padding="same")
        ours = up(x)
        if ours.shape != official.shape or not torch.equal(ours, official):
            raise SystemExit(f"stride {stride}: NearestUpsample differs from nn.Upsample + conv(padding='same')")
        # What the option is for: a constant input gives a constant output (away from the edges).
        flat = up(torch.ones(1, 5, 6))[..., 2 * stride:-2 * stride]
        if (flat - flat[..., :1]).abs().max() > 1e-5:
            raise SystemExit(f"stride {stride}: a constant input did not give a constant output")
    print("ok: NearestUpsample == official nn.Upsample + conv(padding='same')")


def write_fixture(folder):
    with open(os.path.join(SAOS, "model_config.json")) as f:
        config = json.load(f)
    config["model"]["pretransform"]["config"]["decoder"]["config"]["use_nearest_upsample"] = True
    torch.manual_seed(0)
    model = build_model(config)
    with torch.no_grad():  # Snake parameters away from their init, so that a mix-up of alpha and beta shows
        for name, p in model.named_parameters():
            if name.endswith((".alpha", ".beta")):
                p.uniform_(-0.5, 0.5)
    with open(os.path.join(folder, "model_config.json"), "w") as f:
        json.dump(config, f)
    model.save_weights(os.path.join(folder, "model.safetensors"))
    return write_decoder_cases(model.pretransform.model.decoder, 8, folder)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--foley", required=True)
    args = ap.parse_args()
    check_official_formulation()
    with tempfile.TemporaryDirectory() as tmp:
        layers = write_fixture(tmp)
        check_decoder(args.foley, tmp, layers, "the nearest-upsample decoder")
    print("ok: the engine's nearest-upsample decoder matches the reference")


if __name__ == "__main__":
    main()
