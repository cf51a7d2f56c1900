"""Diffusion transformer of the SAOS family (stable-audio-tools `DiffusionTransformer` with a
`ContinuousTransformer`), written from docs/saos-architecture.md; parameter names follow the
official checkpoint (`model.model.*` below the top-level module).

Supported configuration: global_cond_type "prepend" (the SAOS default), timestep_cond_type
"global", patch_size 1, no input-concat / prepend conditioning, qk_norm "ln" or "none".
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class BiaslessLayerNorm(nn.Module):
    """LayerNorm with a learned gain `gamma` and a zero buffer `beta` (both in the state_dict)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.register_buffer("beta", torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], weight=self.gamma, bias=self.beta, eps=self.eps)


class RotaryEmbedding(nn.Module):
    """NeoX-style rotary frequencies for the first `dim` channels of each head."""

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq)

    def freqs(self, seq_len: int) -> torch.Tensor:
        pos = torch.arange(seq_len, device=self.inv_freq.device).type_as(self.inv_freq)
        f = torch.einsum("i,j->ij", pos, self.inv_freq)
        return torch.cat((f, f), dim=-1)  # [seq, dim]


def _rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_partial_rotary(t: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Rotates the first freqs.shape[-1] channels of t [B, H, N, D] in float32; the rest pass."""
    out_dtype = t.dtype
    rot = freqs.shape[-1]
    freqs = freqs[-t.shape[-2]:].float()
    t = t.float()
    head, tail = t[..., :rot], t[..., rot:]
    head = head * freqs.cos() + _rotate_half(head) * freqs.sin()
    return torch.cat((head.to(out_dtype), tail.to(out_dtype)), dim=-1)


def attention(q, k, v):
    """softmax(q k^T / sqrt(d)) v, no mask: the exact math of scaled_dot_product_attention."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    return torch.matmul(scores.softmax(dim=-1), v)


class Attention(nn.Module):
    def __init__(self, dim: int, dim_heads: int, dim_context: Optional[int] = None, qk_norm: str = "none"):
        super().__init__()
        self.heads = dim // dim_heads
        self.dim_heads = dim_heads
        self.is_cross = dim_context is not None
        if self.is_cross:
            self.kv_heads = dim_context // dim_heads
            self.to_q = nn.Linear(dim, dim, bias=False)
            self.to_kv = nn.Linear(dim_context, dim_context * 2, bias=False)
        else:
            self.kv_heads = self.heads
            self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim, bias=False)
        if qk_norm == "ln":
            self.q_norm = nn.LayerNorm(dim_heads, elementwise_affine=True, eps=1e-6)
            self.k_norm = nn.LayerNorm(dim_heads, elementwise_affine=True, eps=1e-6)
        elif qk_norm != "none":
            raise ValueError(f"DiT config: unsupported attn_kwargs.qk_norm {qk_norm!r} (use 'ln' or 'none')")
        self.qk_norm = qk_norm

    def forward(self, x, context=None, rotary_freqs=None):
        b, n, _ = x.shape

        def split(t, h):
            return t.reshape(t.shape[0], t.shape[1], h, self.dim_heads).transpose(1, 2)

        if self.is_cross:
            q = split(self.to_q(x), self.heads)
            k, v = self.to_kv(context).chunk(2, dim=-1)
            k, v = split(k, self.kv_heads), split(v, self.kv_heads)
        else:
            q, k, v = self.to_qkv(x).chunk(3, dim=-1)
            q, k, v = split(q, self.heads), split(k, self.heads), split(v, self.heads)
        if self.qk_norm == "ln":
            q, k = self.q_norm(q), self.k_norm(k)
        if rotary_freqs is not None and not self.is_cross:
            q, k = apply_partial_rotary(q, rotary_freqs), apply_partial_rotary(k, rotary_freqs)
        if self.kv_heads != self.heads:
            rep = self.heads // self.kv_heads
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        out = attention(q, k, v).transpose(1, 2).reshape(b, n, self.heads * self.dim_heads)
        return self.to_out(out)


class GLU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.silu(gate)


class FeedForward(nn.Module):
    """SwiGLU: keys ff.0.proj (dim -> 2*inner) and ff.2 (inner -> dim)."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        inner = int(dim * mult)
        self.ff = nn.Sequential(GLU(dim, inner), nn.Identity(), nn.Linear(inner, dim), nn.Identity())

    def forward(self, x):
        return self.ff(x)


class TransformerBlock(nn.Module):
    def __init__(self, dim, dim_heads, cross_attend, dim_context, qk_norm):
        super().__init__()
        self.pre_norm = BiaslessLayerNorm(dim)
        self.self_attn = Attention(dim, dim_heads, qk_norm=qk_norm)
        if cross_attend:
            self.cross_attend_norm = BiaslessLayerNorm(dim)
            self.cross_attn = Attention(dim, dim_heads, dim_context=dim_context, qk_norm=qk_norm)
        self.ff_norm = BiaslessLayerNorm(dim)
        self.ff = FeedForward(dim)
        self.cross_attend = cross_attend

    def forward(self, x, context=None, rotary_freqs=None, trace=None):
        a = self.self_attn(self.pre_norm(x), rotary_freqs=rotary_freqs)
        x = x + a
        c = None
        if context is not None and self.cross_attend:
            c = self.cross_attn(self.cross_attend_norm(x), context=context)
            x = x + c
        f = self.ff(self.ff_norm(x))
        x = x + f
        if trace is not None:
            trace.append({"self_attn_out": a, "cross_attn_out": c, "ff_out": f, "output": x})
        return x


class ContinuousTransformer(nn.Module):
    def __init__(self, dim, depth, dim_heads, dim_in, dim_out, cross_attend, dim_context, qk_norm):
        super().__init__()
        self.project_in = nn.Linear(dim_in, dim, bias=False)
        self.project_out = nn.Linear(dim, dim_out, bias=False)
        self.rotary_pos_emb = RotaryEmbedding(max(dim_heads // 2, 32))
        self.layers = nn.ModuleList([TransformerBlock(dim, dim_heads, cross_attend, dim_context, qk_norm)
                                     for _ in range(depth)])

    def forward(self, x, prepend=None, context=None, trace=None):
        x = self.project_in(x)
        if trace is not None:
            trace["project_in_output"] = x
        if prepend is not None:
            x = torch.cat((prepend, x), dim=-2)
        freqs = self.rotary_pos_emb.freqs(x.shape[1])
        blocks = [] if trace is not None else None
        if trace is not None:
            trace["block0_input"] = x
        for layer in self.layers:
            x = layer(x, context=context, rotary_freqs=freqs, trace=blocks)
        x = self.project_out(x)
        if trace is not None:
            trace["blocks"] = blocks
            trace["project_out_output"] = x
        return x


class FourierFeatures(nn.Module):
    def __init__(self, in_features: int, out_features: int, std: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features // 2, in_features) * std)

    def forward(self, x):
        f = 2 * math.pi * x @ self.weight.T
        return torch.cat([f.cos(), f.sin()], dim=-1)


class DiffusionTransformer(nn.Module):
    """x [B, io, T], t [B] -> velocity [B, io, T] (rectified flow: v ~ noise - x0)."""

    SUPPORTED = {"io_channels", "embed_dim", "depth", "num_heads", "cond_token_dim", "global_cond_dim",
                 "transformer_type", "attn_kwargs", "project_cond_tokens", "project_global_cond",
                 "global_cond_type", "timestep_features_dim", "patch_size", "input_concat_dim",
                 "prepend_cond_dim", "timestep_cond_type", "diffusion_objective"}

    def __init__(self, io_channels=32, embed_dim=768, depth=12, num_heads=8, cond_token_dim=0,
                 global_cond_dim=0, project_cond_tokens=True, project_global_cond=True,
                 timestep_features_dim=256, qk_norm="none", diffusion_objective="rf_denoiser"):
        super().__init__()
        self.io_channels = io_channels
        self.embed_dim = embed_dim
        self.diffusion_objective = diffusion_objective
        self.timestep_features = FourierFeatures(1, timestep_features_dim)
        self.to_timestep_embed = nn.Sequential(nn.Linear(timestep_features_dim, embed_dim, bias=True),
                                               nn.SiLU(), nn.Linear(embed_dim, embed_dim, bias=True))
        cond_embed_dim = embed_dim if project_cond_tokens else cond_token_dim
        if cond_token_dim > 0:
            self.to_cond_embed = nn.Sequential(nn.Linear(cond_token_dim, cond_embed_dim, bias=False), nn.SiLU(),
                                               nn.Linear(cond_embed_dim, cond_embed_dim, bias=False))
        global_embed_dim = embed_dim if project_global_cond else global_cond_dim
        if global_embed_dim != embed_dim:
            raise ValueError("DiT config: with global_cond_type 'prepend' the global embedding must have "
                             "embed_dim channels (keep project_global_cond true)")
        if global_cond_dim > 0:
            self.to_global_embed = nn.Sequential(nn.Linear(global_cond_dim, global_embed_dim, bias=False), nn.SiLU(),
                                                 nn.Linear(global_embed_dim, global_embed_dim, bias=False))
        self.transformer = ContinuousTransformer(
            dim=embed_dim, depth=depth, dim_heads=embed_dim // num_heads, dim_in=io_channels,
            dim_out=io_channels, cross_attend=cond_token_dim > 0, dim_context=cond_embed_dim, qk_norm=qk_norm)
        self.preprocess_conv = nn.Conv1d(io_channels, io_channels, 1, bias=False)
        self.postprocess_conv = nn.Conv1d(io_channels, io_channels, 1, bias=False)
        nn.init.zeros_(self.preprocess_conv.weight)
        nn.init.zeros_(self.postprocess_conv.weight)

    @classmethod
    def from_config(cls, cfg: dict, diffusion_objective: str = "rf_denoiser") -> "DiffusionTransformer":
        unknown = set(cfg) - cls.SUPPORTED
        if unknown:
            raise ValueError(f"DiT config: unsupported keys {sorted(unknown)}")
        if cfg.get("transformer_type", "continuous_transformer") != "continuous_transformer":
            raise ValueError("DiT config: only transformer_type 'continuous_transformer' is supported")
        for key, default in (("global_cond_type", "prepend"), ("timestep_cond_type", "global"), ("patch_size", 1),
                             ("input_concat_dim", 0), ("prepend_cond_dim", 0)):
            if cfg.get(key, default) != default:
                raise ValueError(f"DiT config: {key} must be {default!r} (got {cfg[key]!r})")
        attn_kwargs = cfg.get("attn_kwargs") or {}
        if set(attn_kwargs) - {"qk_norm"}:
            raise ValueError(f"DiT config: unsupported attn_kwargs {sorted(set(attn_kwargs) - {'qk_norm'})}")
        return cls(io_channels=cfg.get("io_channels", 32), embed_dim=cfg.get("embed_dim", 768),
                   depth=cfg.get("depth", 12), num_heads=cfg.get("num_heads", 8),
                   cond_token_dim=cfg.get("cond_token_dim", 0), global_cond_dim=cfg.get("global_cond_dim", 0),
                   project_cond_tokens=cfg.get("project_cond_tokens", True),
                   project_global_cond=cfg.get("project_global_cond", True),
                   timestep_features_dim=cfg.get("timestep_features_dim", 256),
                   qk_norm=attn_kwargs.get("qk_norm", "none"),
                   diffusion_objective=cfg.get("diffusion_objective", diffusion_objective))

    def forward_single(self, x, t, cross_attn_cond=None, global_cond=None, trace=None):
        """One pass without guidance. `trace` (a dict) receives the intermediates."""
        context = self.to_cond_embed(cross_attn_cond) if cross_attn_cond is not None else None
        timestep_embed = self.to_timestep_embed(self.timestep_features(t[:, None]))
        if global_cond is not None:
            global_proj = self.to_global_embed(global_cond)
            global_embed = global_proj + timestep_embed
        else:
            global_proj, global_embed = None, timestep_embed
        x = self.preprocess_conv(x) + x
        x = x.transpose(1, 2)
        if trace is not None:
            trace.update(timestep_embed=timestep_embed, global_embed_proj=global_proj, cond_embed=context,
                         project_in_input=x)
        out = self.transformer(x, prepend=global_embed.unsqueeze(1), context=context, trace=trace)
        out = out.transpose(1, 2)[:, :, 1:]
        return self.postprocess_conv(out) + out

    def forward(self, x, t, cross_attn_cond=None, global_cond=None, cfg_scale: float = 1.0,
                negative_cross_attn_cond=None, negative_cross_attn_mask=None, cfg_dropout_prob: float = 0.0,
                scale_phi: float = 0.0, cfg_interval=(0.0, 1.0), trace=None, return_uncond: bool = False):
        """Velocity for x [B, io, T] at t [B].

        cross_attn_cond [B, S, cond_token_dim]; global_cond [B, global_cond_dim]. With
        cfg_scale != 1 the batch is doubled: [cond; uncond], where uncond's context is zeros (or
        the negative context with its masked tokens zeroed) and the global cond is kept; the
        output is u + (c - u) * cfg_scale. cfg_dropout_prob (training, cfg_scale == 1) replaces
        whole contexts by zeros with that probability. The context mask is deliberately not
        used (the official model ignores it)."""
        if cfg_dropout_prob > 0.0 and cfg_scale == 1.0 and cross_attn_cond is not None:
            drop = torch.bernoulli(torch.full((cross_attn_cond.shape[0], 1, 1), cfg_dropout_prob,
                                              device=cross_attn_cond.device)).bool()
            cross_attn_cond = torch.where(drop, torch.zeros_like(cross_attn_cond), cross_attn_cond)
        sigma = t
        if self.diffusion_objective == "v":
            sigma = torch.sin(t * math.pi / 2)
        use_cfg = (cfg_scale != 1.0 and cross_attn_cond is not None
                   and cfg_interval[0] <= float(sigma[0]) <= cfg_interval[1])
        if not use_cfg:
            return self.forward_single(x, t, cross_attn_cond, global_cond, trace=trace)
        null = torch.zeros_like(cross_attn_cond)
        if negative_cross_attn_cond is not None:
            uncond = negative_cross_attn_cond
            if negative_cross_attn_mask is not None:
                uncond = torch.where(negative_cross_attn_mask.bool().unsqueeze(2), uncond, null)
        else:
            uncond = null
        batch_global = torch.cat([global_cond, global_cond]) if global_cond is not None else None
        out = self.forward_single(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cross_attn_cond, uncond]),
                                  batch_global, trace=trace)
        cond_out, uncond_out = out.chunk(2)
        guided = uncond_out + (cond_out - uncond_out) * cfg_scale
        if scale_phi != 0.0:
            ratio = cond_out.std(dim=1, keepdim=True) / guided.std(dim=1, keepdim=True)
            guided = scale_phi * (guided * ratio) + (1 - scale_phi) * guided
        return (guided, uncond_out) if return_uncond else guided
