#!/usr/bin/env python3
"""A DiT for band latents of more bands, started from a DiT trained on fewer.

The shipped DiT took about 35,000 CPU steps on 32-band latents; a DiT for 64 bands (whose noise
vocoder is heard as the original in 63 % of held-out clips against 51 % at 32: eighteenth run)
would start again from nothing. Instead the trained DiT is seen through two fixed maps between the
layouts: each new band stands for its parent, the old band that holds its centre frequency, and
the excitation channels after the bands map one to one.
  L (old -> new): every child takes its parent's value;  P (new -> old): the mean of the children.
P L = I, so with project_in' = project_in P, project_out' = L project_out, and the residual 1x1
convs pre' = L pre P, post' = L post P, the new DiT's velocity for latents whose children equal
their parent (x' = L x) is L times the old DiT's for x: it starts where the old one is, and
training on the wider latents teaches it what differs between sibling bands. (Noise is not of
that form: P averages the children's noise, so at first the transformer sees less noise in the
band channels than it was trained on; training takes that up too.)
The step, the category head and the text path are kept; the optimizer starts fresh, so
train_dit.py warms the learning rate up again.
Usage: widen_dit.py --dit checkpoints/r22/dit.pt --from-bands checkpoints/r22/band_latents.pt \
           --to-bands checkpoints/b64/band_latents.pt --out checkpoints/b64/dit.pt
"""
import argparse

import numpy as np
import torch

import common
from band_latents import BandLatents, band_edges

IO_WEIGHTS = ("transformer.project_in.weight", "transformer.project_out.weight",
              "preprocess_conv.weight", "postprocess_conv.weight")


def parents(old_bands, new_bands):
    """[new_bands]: the old band whose FFT bins hold each new band's centre."""
    old_edges, new_edges = band_edges(old_bands), band_edges(new_bands)
    centres = (new_edges[:-1] + new_edges[1:] - 1) / 2.0
    return np.searchsorted(old_edges, centres, side="right") - 1


def layout_maps(old: BandLatents, new: BandLatents):
    """(L [new_dim, old_dim], P [old_dim, new_dim]) over the whole latent frame, bands then excitation."""
    if new.latent_dim - new.bands != old.latent_dim - old.bands:
        raise ValueError(f"excitation channels differ: {old.latent_dim - old.bands} in the old layout, "
                         f"{new.latent_dim - new.bands} in the new")
    lift = torch.zeros(new.latent_dim, old.latent_dim, dtype=torch.float64)
    for child, parent in enumerate(parents(old.bands, new.bands)):
        lift[child, parent] = 1.0
    for j in range(new.latent_dim - new.bands):
        lift[new.bands + j, old.bands + j] = 1.0
    children = lift.sum(0)
    if bool((children == 0).any()):
        raise ValueError(f"{new.bands} bands leave some of the {old.bands} old bands without a child")
    return lift, (lift / children).T


def widen_state(state: dict, lift, pool) -> dict:
    """A DiT state dict (any key prefix) with its four io weights mapped to the new layout."""
    out = dict(state)
    found = 0
    for key, w in state.items():
        name = next((n for n in IO_WEIGHTS if key.endswith(n)), None)
        if name is None:
            continue
        found += 1
        L, P = lift.to(w.dtype), pool.to(w.dtype)
        if name == "transformer.project_in.weight":  # [embed, io]
            out[key] = w @ P
        elif name == "transformer.project_out.weight":  # [io, embed]
            out[key] = L @ w
        else:  # [io, io, 1]
            out[key] = (L @ w[..., 0] @ P)[..., None]
    if found != len(IO_WEIGHTS):
        raise ValueError(f"not a DiT state: found {found} of its {len(IO_WEIGHTS)} io weights")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dit", required=True, help="dit.pt of train_dit.py (or import_model.py) on the old layout")
    ap.add_argument("--from-bands", required=True, help="band_latents.pt the DiT was trained on")
    ap.add_argument("--to-bands", required=True, help="band_latents.pt of the wider latents")
    ap.add_argument("--out", required=True, help="the new dit.pt (beside the new latents_train.pt)")
    args = ap.parse_args()
    old, new = BandLatents.load(args.from_bands), BandLatents.load(args.to_bands)
    try:
        lift, pool = layout_maps(old, new)
        state = common.load_checkpoint(args.dit)
        widened = {"trainable": widen_state(state["trainable"], lift, pool),
                   "ema": widen_state(state["ema"], lift, pool)}
    except (ValueError, KeyError) as e:
        raise SystemExit(f"widen_dit: {e}")
    kept = {k: v for k, v in state.items() if k in ("step", "log", "aux_head", "aux_categories")}
    common.save_checkpoint(args.out, {**kept, **widened})
    print(f"saved {args.out}: step {state.get('step')}, {old.latent_dim} -> {new.latent_dim} latent channels "
          f"({old.bands} -> {new.bands} bands)", flush=True)


if __name__ == "__main__":
    main()
