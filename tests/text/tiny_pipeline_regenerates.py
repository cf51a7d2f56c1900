#!/usr/bin/env python3
"""Regenerates tests/data/tiny-pipeline into a temporary folder and checks that every
committed file is byte-identical: the data is what its generator says it is.
Exits 77 (CTest: skipped) when a tool the generator needs is missing."""
import filecmp
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "tiny-pipeline")
FILES = ["model_config.json", "model.safetensors", "reference.safetensors",
         "reference_prompts.json", "t5/config.json", "t5/model.safetensors", "t5/spiece.model"]


def main():
    if shutil.which("spm_train") is None:
        print("skipped: spm_train (Debian package sentencepiece) is not installed")
        return 77
    for module in ("numpy", "sentencepiece"):
        if importlib.util.find_spec(module) is None:
            print("skipped: python module %s is not installed" % module)
            return 77
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(DATA, "make_tiny_pipeline.py"), "--out", out],
                       check=True)
        bad = [f for f in FILES
               if not filecmp.cmp(os.path.join(DATA, f), os.path.join(out, f), shallow=False)]
    if bad:
        print("regenerated files differ from the committed ones: " + ", ".join(bad))
        print("run tests/data/tiny-pipeline/make_tiny_pipeline.py and commit, or fix the generator")
        return 1
    print("ok: tiny-pipeline regenerates byte-identically (%d files)" % len(FILES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
