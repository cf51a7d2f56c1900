"""What the decoder parity tests share: decoder cases computed by foley_reference (whole, and
per layer on a short latent), and `foley check` on a model folder holding them."""
import os
import subprocess

import torch

from foley_reference import save_safetensors


def write_decoder_cases(decoder, latent_dim, folder, gen=None):
    """cases.safetensors in `folder`: decode.* (24 frames) and decode2.* with every layer's output.
    Returns the number of layers traced."""
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


def check_decoder(foley, folder, layers, what):
    """Run `foley check` on `folder`; fail unless it passes and compared every decoder case."""
    run = subprocess.run([foley, "check", folder], capture_output=True, text=True)
    print(run.stdout + run.stderr)
    checked = [line for line in run.stdout.splitlines() if line.startswith(("decode.", "decode2."))]
    if run.returncode != 0:
        raise SystemExit(f"foley check failed on {what}")
    if len(checked) < 3 + layers:  # decode.audio twice (whole, chunked), decode2.audio, every layer
        raise SystemExit(f"foley check compared only {len(checked)} decoder cases of {what}")
