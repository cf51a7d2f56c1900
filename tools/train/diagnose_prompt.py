#!/usr/bin/env python3
"""Does the DiT of a checkpoint listen to the prompt? Two measurements on one training batch:

  1. where each layer's cross-attention goes: the prompt's tokens, the zero padding rows after
     them, or the seconds_total row (percent of attention weight, averaged over heads, frames
     and clips);
  2. how much the velocity changes when every clip gets another clip's prompt (relative L2).

A DiT that ignores its prompt shows most of the weight on the padding rows (zero keys and values:
attending to them is "attend to nothing") and a change of about 1 %.
Usage: diagnose_prompt.py --out checkpoints [--weights ema|trainable] [--batch 16]
"""
import argparse
import math
import os

import sentencepiece as spm
import torch

import common
import foley_reference.dit as reference_dit
from train_dit import Batcher, conditioning


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="checkpoint directory (dit.pt, latents_train.pt, spiece.model)")
    ap.add_argument("--weights", choices=("ema", "trainable"), default="ema")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    common.set_threads()
    latents = common.load_checkpoint(os.path.join(args.out, "latents_train.pt"))
    state = common.load_checkpoint(os.path.join(args.out, "dit.pt"))
    model = common.build_foley_model(common.model_config(latent_scale=latents["latent_std"]))
    t5 = common.new_t5()
    trainable = common.dit_modules(model, t5)
    trainable.load_state_dict(state[args.weights])
    trainable.eval()
    print(f"{args.out}/dit.pt step {state['step']} ({args.weights} weights)")

    rows = common.MAX_PROMPT_TOKENS
    weights = []  # per cross-attention call: [batch, heads, context rows]
    plain_attention = reference_dit.attention

    def recording_attention(q, k, v):
        if k.shape[-2] == rows + 1:  # cross-attention: prompt rows + seconds_total
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            weights.append(scores.softmax(-1).mean(dim=2))
        return plain_attention(q, k, v)

    reference_dit.attention = recording_attention
    tokenizer = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "spiece.model"))
    torch.manual_seed(0)
    x0, seconds, ids, mask, _, _ = Batcher(latents, tokenizer, seed=1).batch(args.batch)
    is_token = mask.float()[:, None, :]
    with torch.no_grad():
        cond, _ = conditioning(model, t5, ids, mask, seconds)
        context, global_cond = cond["cross_attn_cond"], cond["global_cond"]
        swapped = context.clone()
        swapped[:, :rows] = swapped[:, :rows].roll(1, dims=0)
        for t_value in (0.5, 0.97):
            weights.clear()
            t = torch.full((args.batch,), t_value)
            x_t = (1 - t_value) * x0 + t_value * torch.randn_like(x0)
            v_own = model.dit(x_t, t, cross_attn_cond=context, global_cond=global_cond)
            layers = list(weights)
            v_other = model.dit(x_t, t, cross_attn_cond=swapped, global_cond=global_cond)
            shares = []
            for w in layers:
                prompt = (w[..., :rows] * is_token).sum(-1).mean()
                padding = (w[..., :rows] * (1 - is_token)).sum(-1).mean()
                shares.append(f"{100 * prompt:.0f}/{100 * padding:.0f}/{100 * w[..., rows].mean():.0f}")
            change = float((v_own - v_other).norm() / v_own.norm())
            print(f"t={t_value}: attention prompt/padding/seconds % by layer: {' '.join(shares)}; "
                  f"another clip's prompt changes the velocity by {100 * change:.1f} %")


if __name__ == "__main__":
    main()
