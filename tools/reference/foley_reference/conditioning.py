"""Conditioners: seconds_total (NumberConditioner) and the prompt (T5) side.

Keys: conditioner.conditioners.<id>.embedder.embedding.{0.weights,1.weight,1.bias} for numbers,
conditioner.conditioners.<id>.proj_out.{weight,bias} for a T5 prompt only when the T5 width
differs from cond_dim (otherwise the T5 conditioner has no parameters, as in SAOS; the T5
weights themselves live outside the checkpoint).
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

T5_DIMS = {"t5-small": 512, "t5-base": 768, "t5-large": 1024, "t5-3b": 1024, "t5-11b": 1024,
           "google/flan-t5-small": 512, "google/flan-t5-base": 768, "google/flan-t5-large": 1024,
           "google/t5-v1_1-small": 512, "google/t5-v1_1-base": 768}


class LearnedPositionalEmbedding(nn.Module):
    """x [B] -> [x, sin(2*pi*x*w), cos(2*pi*x*w)] with learned w [dim/2]."""

    def __init__(self, dim: int):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(dim // 2))

    def forward(self, x):
        x = x[:, None]
        freqs = x * self.weights[None, :] * 2 * math.pi
        return torch.cat((x, freqs.sin(), freqs.cos()), dim=-1)


class NumberEmbedder(nn.Module):
    def __init__(self, features: int, dim: int = 256):
        super().__init__()
        self.features = features
        self.embedding = nn.Sequential(LearnedPositionalEmbedding(dim), nn.Linear(dim + 1, features))

    def forward(self, x):
        shape = x.shape
        return self.embedding(x.reshape(-1)).view(*shape, self.features)


class NumberConditioner(nn.Module):
    """floats [B] -> ([B, 1, output_dim] embedding, [B, 1] ones mask); values clamped to [min, max]."""

    def __init__(self, output_dim: int, min_val: float = 0.0, max_val: float = 1.0):
        super().__init__()
        if not max_val > min_val:
            raise ValueError(f"number conditioner: max_val ({max_val}) must exceed min_val ({min_val})")
        self.min_val, self.max_val = float(min_val), float(max_val)
        self.embedder = NumberEmbedder(features=output_dim)

    def forward(self, values, device=None):
        device = device or self.embedder.embedding[1].weight.device
        if not torch.is_tensor(values):
            values = torch.tensor([float(v) for v in values])
        values = values.float().to(device).clamp(self.min_val, self.max_val)
        normalized = (values - self.min_val) / (self.max_val - self.min_val)
        normalized = normalized.to(self.embedder.embedding[1].weight.dtype)
        emb = self.embedder(normalized).unsqueeze(1)
        return emb, torch.ones(emb.shape[0], 1, device=device)


class T5Conditioner(nn.Module):
    """Holds only the optional projection; the encoder is attached with `attach_encoder` and is
    kept out of the state_dict (like the official conditioner)."""

    def __init__(self, output_dim: int, t5_model_name: str = "t5-base", max_length: int = 64,
                 project_out: bool = False, t5_dim: Optional[int] = None):
        super().__init__()
        dim = t5_dim or T5_DIMS.get(t5_model_name)
        if dim is None:
            raise ValueError(f"T5 conditioner: unknown t5_model_name {t5_model_name!r}; pass t5_dim")
        self.max_length = max_length
        self.proj_out = nn.Linear(dim, output_dim) if (dim != output_dim or project_out) else nn.Identity()
        self._encoder = [None]  # a list hides the encoder from state_dict / parameters()

    def attach_encoder(self, prompt_encoder) -> None:
        """prompt_encoder: a callable list[str] -> (embeddings [B, N, dim], mask [B, N]), e.g. T5PromptEncoder."""
        self._encoder[0] = prompt_encoder

    def forward(self, prompts: Sequence[str], device=None):
        if self._encoder[0] is None:
            raise RuntimeError("T5 conditioner: no encoder attached (call attach_encoder)")
        emb, mask = self._encoder[0](list(prompts))
        emb = emb.to(device or emb.device)
        emb = self.proj_out(emb.to(self.proj_out.weight.dtype) if isinstance(self.proj_out, nn.Linear) else emb)
        return emb * mask[..., None].to(emb.dtype).to(emb.device), mask.to(emb.device)


class MultiConditioner(nn.Module):
    def __init__(self, conditioners: Dict[str, nn.Module]):
        super().__init__()
        self.conditioners = nn.ModuleDict(conditioners)

    def forward(self, batch: Sequence[dict], device=None) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
        """batch: one dict per item, e.g. {"prompt": "rain", "seconds_total": 5.0}."""
        out = {}
        for key, conditioner in self.conditioners.items():
            values = [item[key] for item in batch]
            out[key] = conditioner(values, device=device)
        return out


def build_conditioner(conditioning_cfg: dict) -> MultiConditioner:
    cond_dim = conditioning_cfg["cond_dim"]
    modules = {}
    for entry in conditioning_cfg.get("configs", []):
        kind, cid, cfg = entry.get("type"), entry.get("id"), dict(entry.get("config", {}))
        if kind == "number":
            modules[cid] = NumberConditioner(cond_dim, cfg.get("min_val", 0), cfg.get("max_val", 1))
        elif kind == "t5":
            modules[cid] = T5Conditioner(cond_dim, cfg.get("t5_model_name", "t5-base"), cfg.get("max_length", 64),
                                         cfg.get("project_out", False), cfg.get("t5_dim"))
        else:
            raise ValueError(f"conditioning config: unsupported conditioner type {kind!r} (id {cid!r})")
    return MultiConditioner(modules)
