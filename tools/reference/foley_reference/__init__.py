"""foley_reference: a clean PyTorch implementation of the Stable Audio Open Small family.

Public API (stable; tools/train imports it):
    build_model(config) / load_model(dir)     -> SAOSModel (state_dict keys as the official checkpoint)
    SAOSModel.dit(x, t, cross_attn_cond, global_cond, cfg_scale=...)
    SAOSModel.pretransform.encode(audio) / .decode(latent)
    SAOSModel.condition(batch, precomputed) / get_conditioning_inputs(cond) / sample(...) / generate(...)
    load_safetensors(path) / save_safetensors(tensors, path, metadata)
    T5Encoder.from_config(cfg) / T5Encoder.from_pretrained(dir), T5PromptEncoder(dir)
    pingpong_sigmas, euler_sigmas, sample_pingpong, sample_euler
"""
from .conditioning import NumberConditioner, T5Conditioner
from .dit import DiffusionTransformer
from .model import SAOSModel, build_model, load_model
from .oobleck import OobleckDecoder, OobleckEncoder
from .safetensors_io import SafetensorsError, load_safetensors, save_safetensors
from .sampling import euler_sigmas, pingpong_sigmas, sample_euler, sample_pingpong
from .t5 import T5Encoder, T5PromptEncoder

__all__ = ["build_model", "load_model", "SAOSModel", "DiffusionTransformer", "OobleckEncoder", "OobleckDecoder",
           "NumberConditioner", "T5Conditioner", "load_safetensors", "save_safetensors", "SafetensorsError",
           "T5Encoder", "T5PromptEncoder", "pingpong_sigmas", "euler_sigmas", "sample_pingpong", "sample_euler"]
