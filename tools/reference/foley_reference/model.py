"""Top-level SAOS-family model: state_dict keys exactly as an official checkpoint
(model.model.*, conditioner.conditioners.*, pretransform.model.{encoder,decoder}.*)."""
from __future__ import annotations

import json
import os
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .conditioning import MultiConditioner, build_conditioner
from .dit import DiffusionTransformer
from .oobleck import AudioAutoencoder, AutoencoderPretransform, OobleckDecoder, OobleckEncoder
from .safetensors_io import load_safetensors, save_safetensors
from .sampling import euler_sigmas, pingpong_sigmas, sample_euler, sample_pingpong


class DiTWrapper(nn.Module):
    """Only exists so that the DiT's keys start with model.model."""

    def __init__(self, dit: DiffusionTransformer):
        super().__init__()
        self.model = dit

    def forward(self, *args, **kwargs):
        return self.model(*args, **kwargs)


class SAOSModel(nn.Module):
    def __init__(self, config: dict, dit: DiffusionTransformer, conditioner: MultiConditioner,
                 pretransform: Optional[AutoencoderPretransform]):
        super().__init__()
        self.config = config
        self.model = DiTWrapper(dit)
        self.conditioner = conditioner
        if pretransform is not None:
            self.pretransform = pretransform
        diffusion = config["model"]["diffusion"]
        self.cross_attn_cond_ids = list(diffusion.get("cross_attention_cond_ids", []))
        self.global_cond_ids = list(diffusion.get("global_cond_ids", []))
        self.diffusion_objective = diffusion.get("diffusion_objective", "rf_denoiser")
        self.sample_rate = config["sample_rate"]
        self.sample_size = config["sample_size"]
        self.io_channels = config["model"].get("io_channels", dit.io_channels)

    @property
    def dit(self) -> DiffusionTransformer:
        return self.model.model

    # ---- conditioning -------------------------------------------------------------------
    def get_conditioning_inputs(self, cond: Dict[str, Tuple[torch.Tensor, torch.Tensor]]):
        """cond: id -> (tensor [B, S, C] or [B, C], mask). Returns dict with cross_attn_cond
        (concatenated over tokens in cross_attention_cond_ids order), cross_attn_mask and
        global_cond (concatenated over channels in global_cond_ids order, [B, C])."""
        out = {}
        if self.cross_attn_cond_ids:
            tensors, masks = [], []
            for key in self.cross_attn_cond_ids:
                if key not in cond:
                    raise KeyError(f"conditioning: missing {key!r} (cross_attention_cond_ids)")
                t, m = cond[key]
                if t.dim() == 2:
                    t, m = t.unsqueeze(1), m.unsqueeze(1)
                tensors.append(t)
                masks.append(m.to(t.device))
            out["cross_attn_cond"] = torch.cat(tensors, dim=1)
            out["cross_attn_mask"] = torch.cat(masks, dim=1)
        if self.global_cond_ids:
            g = torch.cat([cond[key][0] for key in self.global_cond_ids], dim=-1)
            out["global_cond"] = g.squeeze(1) if g.dim() == 3 else g
        return out

    def condition(self, batch: Sequence[dict], precomputed: Optional[dict] = None, device=None):
        """Runs the conditioners on batch items ({"seconds_total": 5.0, "prompt": "..."}), merged
        with `precomputed` id -> (tensor, mask) (e.g. a prompt embedding computed elsewhere)."""
        cond = dict(precomputed or {})
        for key, conditioner in self.conditioner.conditioners.items():
            if key in cond:
                continue
            cond[key] = conditioner([item[key] for item in batch], device=device)
        return self.get_conditioning_inputs(cond)

    # ---- generation ---------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, cond_inputs: dict, noise: torch.Tensor, steps: int = 8, cfg_scale: float = 1.0,
               sampler: str = "pingpong", negative_inputs: Optional[dict] = None, step_noise=None,
               generator=None, callback=None) -> torch.Tensor:
        """Latent sampling from `noise` [B, io, T]; cond_inputs from condition() /
        get_conditioning_inputs(); negative_inputs likewise for a negative prompt."""
        neg = negative_inputs or {}

        def model_fn(x, t):
            return self.dit(x, t, cross_attn_cond=cond_inputs.get("cross_attn_cond"),
                            global_cond=cond_inputs.get("global_cond"), cfg_scale=cfg_scale,
                            negative_cross_attn_cond=neg.get("cross_attn_cond"),
                            negative_cross_attn_mask=neg.get("cross_attn_mask"))

        if sampler == "pingpong":
            return sample_pingpong(model_fn, noise, pingpong_sigmas(steps), step_noise=step_noise,
                                   generator=generator, callback=callback)
        if sampler == "euler":
            return sample_euler(model_fn, noise, euler_sigmas(steps), callback=callback)
        raise ValueError(f"unknown sampler {sampler!r} (use 'pingpong' or 'euler')")

    @torch.no_grad()
    def generate(self, cond_inputs: dict, seed: int = 0, steps: int = 8, cfg_scale: float = 1.0,
                 sampler: str = "pingpong", negative_inputs: Optional[dict] = None, latent_frames=None):
        """Full text/seconds-conditioned generation -> audio [B, channels, frames * ratio]."""
        batch = next(iter(cond_inputs.values())).shape[0]
        frames = latent_frames or self.sample_size // self.pretransform.downsampling_ratio
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn(batch, self.io_channels, frames, generator=gen)
        latent = self.sample(cond_inputs, noise, steps, cfg_scale, sampler, negative_inputs, generator=gen)
        return self.pretransform.decode(latent)

    # ---- weights ------------------------------------------------------------------------
    def load_weights(self, path: str, strict: bool = True):
        return self.load_state_dict(load_safetensors(path), strict=strict)

    def save_weights(self, path: str, metadata: Optional[dict] = None):
        save_safetensors(self.state_dict(), path, metadata)


def build_model(config: dict) -> SAOSModel:
    """Builds the model from a model_config.json dict (official schema, model_type diffusion_cond)."""
    if config.get("model_type") != "diffusion_cond":
        raise ValueError(f"model config: model_type must be 'diffusion_cond' (got {config.get('model_type')!r})")
    for key in ("sample_size", "sample_rate", "model"):
        if key not in config:
            raise ValueError(f"model config: missing {key!r}")
    m = config["model"]
    diffusion = m.get("diffusion")
    if not diffusion or diffusion.get("type") != "dit":
        raise ValueError("model config: model.diffusion.type must be 'dit'")
    dit = DiffusionTransformer.from_config(diffusion["config"], diffusion.get("diffusion_objective", "rf_denoiser"))
    dit.diffusion_objective = diffusion.get("diffusion_objective", "rf_denoiser")
    conditioner = build_conditioner(m.get("conditioning", {"cond_dim": 0, "configs": []}))
    pretransform = None
    if m.get("pretransform"):
        p = m["pretransform"]
        if p.get("type") != "autoencoder":
            raise ValueError("model config: pretransform.type must be 'autoencoder'")
        pc = p["config"]
        if pc.get("encoder", {}).get("type") != "oobleck" or pc.get("decoder", {}).get("type") != "oobleck":
            raise ValueError("model config: only oobleck encoder/decoder are supported")
        if (pc.get("bottleneck") or {}).get("type", "vae") != "vae":
            raise ValueError("model config: only the 'vae' bottleneck is supported")
        auto = AudioAutoencoder(OobleckEncoder.from_config(pc["encoder"]["config"]),
                                OobleckDecoder.from_config(pc["decoder"]["config"]),
                                latent_dim=pc["latent_dim"], downsampling_ratio=pc["downsampling_ratio"],
                                io_channels=pc.get("io_channels", 2))
        pretransform = AutoencoderPretransform(auto, scale=p.get("scale", 1.0), chunked=p.get("chunked", False))
    model = SAOSModel(config, dit, conditioner, pretransform)
    return model.eval()


def load_model(model_dir: str, weights: bool = True) -> SAOSModel:
    """model_dir with model_config.json (+ model.safetensors, loaded strictly)."""
    with open(os.path.join(model_dir, "model_config.json")) as f:
        model = build_model(json.load(f))
    if weights:
        model.load_weights(os.path.join(model_dir, "model.safetensors"))
    return model
