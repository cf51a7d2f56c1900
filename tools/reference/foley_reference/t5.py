"""T5 encoder (the text side of SAOS) with Hugging Face `T5EncoderModel` state_dict keys.

Pre-norm blocks with an RMS norm (no mean, no bias), unscaled dot-product attention plus a
learned relative-position bias shared by all blocks (only block 0 owns the table), ReLU or
gated-GELU feed-forward, and a final RMS norm. Dropout is not modelled (inference and
frozen-encoder training only).
"""
from __future__ import annotations

import json
import math
import os
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .safetensors_io import load_safetensors


class T5RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        variance = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps)).to(self.weight.dtype)


def relative_position_bucket(relative_position: torch.Tensor, num_buckets: int, max_distance: int):
    """Bidirectional bucket of r = key - query: half the buckets for r > 0, exact buckets for
    small |r|, log-spaced buckets up to max_distance, the last bucket beyond."""
    num_buckets //= 2
    buckets = (relative_position > 0).long() * num_buckets
    distance = relative_position.abs()
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # clamp(min=1) only keeps log() finite for the small distances that where() discards.
    large = max_exact + (
        torch.log(distance.float().clamp(min=1) / max_exact) / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)).long()
    large = torch.minimum(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(is_small, distance, large)


class T5Attention(nn.Module):
    def __init__(self, cfg: dict, has_relative_bias: bool):
        super().__init__()
        d_model, d_kv, heads = cfg["d_model"], cfg["d_kv"], cfg["num_heads"]
        self.heads, self.d_kv = heads, d_kv
        self.num_buckets = cfg.get("relative_attention_num_buckets", 32)
        self.max_distance = cfg.get("relative_attention_max_distance", 128)
        inner = heads * d_kv
        self.q = nn.Linear(d_model, inner, bias=False)
        self.k = nn.Linear(d_model, inner, bias=False)
        self.v = nn.Linear(d_model, inner, bias=False)
        self.o = nn.Linear(inner, d_model, bias=False)
        if has_relative_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, heads)

    def compute_bias(self, q_len: int, k_len: int) -> torch.Tensor:
        """[1, heads, q_len, k_len] relative-position bias."""
        device = self.relative_attention_bias.weight.device
        rel = torch.arange(k_len, device=device)[None, :] - torch.arange(q_len, device=device)[:, None]
        buckets = relative_position_bucket(rel, self.num_buckets, self.max_distance)
        return self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

    def forward(self, x, position_bias):
        b, n, _ = x.shape

        def heads(t):
            return t.view(b, n, self.heads, self.d_kv).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) + position_bias  # T5: no 1/sqrt(d)
        attn = F.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, self.heads * self.d_kv)
        return self.o(out)


class T5LayerSelfAttention(nn.Module):
    def __init__(self, cfg, has_relative_bias):
        super().__init__()
        self.SelfAttention = T5Attention(cfg, has_relative_bias)
        self.layer_norm = T5RMSNorm(cfg["d_model"], cfg.get("layer_norm_epsilon", 1e-6))

    def forward(self, x, position_bias):
        return x + self.SelfAttention(self.layer_norm(x), position_bias)


class T5DenseReluDense(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wi = nn.Linear(cfg["d_model"], cfg["d_ff"], bias=False)
        self.wo = nn.Linear(cfg["d_ff"], cfg["d_model"], bias=False)

    def forward(self, x):
        return self.wo(F.relu(self.wi(x)))


class T5DenseGatedGelu(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wi_0 = nn.Linear(cfg["d_model"], cfg["d_ff"], bias=False)
        self.wi_1 = nn.Linear(cfg["d_model"], cfg["d_ff"], bias=False)
        self.wo = nn.Linear(cfg["d_ff"], cfg["d_model"], bias=False)

    def forward(self, x):
        # "gelu_new" of transformers is the tanh approximation.
        return self.wo(F.gelu(self.wi_0(x), approximate="tanh") * self.wi_1(x))


class T5LayerFF(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        proj = cfg.get("feed_forward_proj", "relu")
        if proj == "relu":
            self.DenseReluDense = T5DenseReluDense(cfg)
        elif proj in ("gated-gelu", "gated-gelu_new"):
            self.DenseReluDense = T5DenseGatedGelu(cfg)
        else:
            raise ValueError(f"T5 config: unsupported feed_forward_proj {proj!r} "
                             "(supported: 'relu', 'gated-gelu')")
        self.layer_norm = T5RMSNorm(cfg["d_model"], cfg.get("layer_norm_epsilon", 1e-6))

    def forward(self, x):
        return x + self.DenseReluDense(self.layer_norm(x))


class T5Block(nn.Module):
    def __init__(self, cfg, has_relative_bias):
        super().__init__()
        self.layer = nn.ModuleList([T5LayerSelfAttention(cfg, has_relative_bias), T5LayerFF(cfg)])

    def forward(self, x, position_bias):
        return self.layer[1](self.layer[0](x, position_bias))


class T5Stack(nn.Module):
    def __init__(self, cfg, embed_tokens: nn.Embedding):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.block = nn.ModuleList([T5Block(cfg, i == 0) for i in range(cfg["num_layers"])])
        self.final_layer_norm = T5RMSNorm(cfg["d_model"], cfg.get("layer_norm_epsilon", 1e-6))


class T5Encoder(nn.Module):
    """Keys: shared.weight, encoder.embed_tokens.weight (tied), encoder.block.*, encoder.final_layer_norm.*"""

    def __init__(self, cfg: dict):
        super().__init__()
        for key in ("vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_heads"):
            if key not in cfg:
                raise ValueError(f"T5 config: missing {key!r}")
        self.config = dict(cfg)
        self.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"])
        self.encoder = T5Stack(cfg, self.shared)  # the same module: tied like Hugging Face's

    @classmethod
    def from_config(cls, cfg: dict) -> "T5Encoder":
        return cls(cfg)

    @classmethod
    def from_pretrained(cls, directory: str) -> "T5Encoder":
        """Loads config.json + model.safetensors of a Hugging Face T5 (encoder) directory."""
        with open(os.path.join(directory, "config.json")) as f:
            model = cls(json.load(f))
        model.load_weights(load_safetensors(os.path.join(directory, "model.safetensors")))
        return model.eval()

    def load_weights(self, state: dict, strict: bool = True):
        """Loads a T5EncoderModel (or full T5) state_dict; fills the tied embedding name that a
        file may omit and ignores decoder/lm_head tensors of a full T5 checkpoint."""
        state = {k: v for k, v in state.items()
                 if not (k.startswith("decoder.") or k.startswith("lm_head."))}
        if "shared.weight" not in state and "encoder.embed_tokens.weight" in state:
            state["shared.weight"] = state["encoder.embed_tokens.weight"]
        if "encoder.embed_tokens.weight" not in state and "shared.weight" in state:
            state["encoder.embed_tokens.weight"] = state["shared.weight"]
        return self.load_state_dict(state, strict=strict)

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                output_hidden_states: bool = False):
        """input_ids [B, N] -> last_hidden_state [B, N, d_model] (or (last, all) with
        output_hidden_states, matching Hugging Face's tuple: embeddings, each block but the
        last, then the final normed output)."""
        x = self.shared(input_ids)
        n = input_ids.shape[1]
        bias = self.encoder.block[0].layer[0].SelfAttention.compute_bias(n, n).to(x.dtype)
        if attention_mask is not None:
            key_mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
            bias = bias + key_mask
        hidden = [x]
        for block in self.encoder.block:
            x = block(x, bias)
            hidden.append(x)
        x = self.encoder.final_layer_norm(x)
        if output_hidden_states:
            hidden[-1] = x
            return x, hidden
        return x


class T5PromptEncoder:
    """Text -> masked T5 embeddings, as the SAOS T5Conditioner does it: SentencePiece ids + </s>,
    padded with 0 to max_length, encoder output with padded positions zeroed."""

    def __init__(self, t5_dir: str, max_length: int = 64):
        import sentencepiece  # python3-sentencepiece

        self.encoder = T5Encoder.from_pretrained(t5_dir)
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=os.path.join(t5_dir, "spiece.model"))
        self.max_length = max_length

    def tokenize(self, prompts):
        ids = torch.zeros(len(prompts), self.max_length, dtype=torch.long)
        mask = torch.zeros(len(prompts), self.max_length, dtype=torch.long)
        for row, text in enumerate(prompts):
            tokens = self.tokenizer.encode(text)[: self.max_length - 1] + [1]  # </s> = 1
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        return ids, mask

    @torch.no_grad()
    def __call__(self, prompts):
        ids, mask = self.tokenize(prompts)
        out = self.encoder(ids, mask)
        return out * mask[..., None].to(out.dtype), mask.bool()
