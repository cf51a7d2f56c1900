"""Shared pieces of the foley-mini training scripts: the model sizes, the dataset loader and
the bridge to the reference implementation (tools/reference/foley_reference), whose
state_dict keys are the official ones, so what we save loads in the C++ engine unchanged."""
import csv
import ctypes
import json
import os
import re
import sys
import wave

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools", "reference"))
sys.path.insert(0, os.path.join(REPO, "tools", "data"))

from foley_reference import T5Encoder, build_model, load_safetensors  # noqa: E402

SAMPLE_RATE = 48000
# 1024 samples per latent frame (21.3 ms, 46.9 frames/s) and 64 values per frame: 3,000 values
# per second, about twice SAOS's 64 x 21.5. Runs one to six (x2048, 32 or 64 channels) found the
# small CPU-trained autoencoder to be the ceiling: YAMNet heard the caption in 5-9 % of its
# reconstructions of real clips (originals 46 %); a 42.7 ms frame of 32 values cannot even hold
# the mel envelope YAMNet listens to (64 bands every 10 ms). At x1024 a frame holds two 10.7 ms
# envelopes of 32 values each, and the decoder has one upsampling octave less to invent.
DOWNSAMPLING = 1024          # product of the Oobleck strides
LATENT_DIM = 64              # 2 ch x 1024 samples -> 64 values per frame (32:1); band latents of more
                             # bands are wider (band_latents.py --bands): model_config(latent_dim=...)
MAX_FRAMES = 256             # latent frames of the longest clip
SAMPLE_SIZE = MAX_FRAMES * DOWNSAMPLING  # 262144 samples = 5.46 s
SAMPLING = {"sampler": "euler", "steps": 24}  # model_config.json "sampling": the engine's default for this model
MAX_PROMPT_TOKENS = 8       # 99 % of captions are <= 7 pieces + </s>; the engine pads to this and the
                            # DiT's cross-attention has no mask, so every zero row dilutes the prompt

AE_CONFIG = {"channels": 16, "c_mults": [1, 2, 4, 8], "strides": [4, 4, 8, 8]}
DIT_CONFIG = {"embed_dim": 192, "depth": 4, "num_heads": 4}
T5_CONFIG = {  # Hugging Face T5 encoder config (t5-base structure, small sizes)
    "architectures": ["T5EncoderModel"], "model_type": "t5", "d_model": 128, "d_kv": 32, "d_ff": 512,
    "num_heads": 4, "num_layers": 3, "feed_forward_proj": "relu", "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128, "layer_norm_epsilon": 1e-6, "dropout_rate": 0.0,
    "is_encoder_decoder": True, "pad_token_id": 0, "eos_token_id": 1, "vocab_size": 2048,
}


def model_config(latent_scale: float = 1.0, nearest_upsample: bool = False, decoder_c_mults=None,
                 latent_dim: int = LATENT_DIM) -> dict:
    """model_config.json in the official stable-audio-tools schema. `nearest_upsample`: the decoder
    upsamples by repeating frames and a conv instead of a transposed conv (the official
    `use_nearest_upsample`; since the tenth run, see tools/train/README.md). `decoder_c_mults`:
    the decoder's widths where they differ from the encoder's (vocoder_decoder.py's). `latent_dim`: values
    per latent frame, the DiT's io_channels too."""
    cond_dim = T5_CONFIG["d_model"]  # equal widths: the T5 conditioner's proj_out is Identity, as in SAOS
    encoder = {"in_channels": 2, "latent_dim": 2 * latent_dim, "use_snake": True, **AE_CONFIG}
    decoder = {"out_channels": 2, "latent_dim": latent_dim, "use_snake": True, "final_tanh": False, **AE_CONFIG}
    if decoder_c_mults is not None:
        decoder["c_mults"] = list(decoder_c_mults)
    if nearest_upsample:
        decoder["use_nearest_upsample"] = True
    return {
        "model_type": "diffusion_cond",
        "sample_size": SAMPLE_SIZE,
        "sample_rate": SAMPLE_RATE,
        "audio_channels": 2,
        "sampling": dict(SAMPLING),
        "model": {
            "pretransform": {
                "type": "autoencoder",
                "scale": latent_scale,
                "config": {
                    "encoder": {"type": "oobleck", "config": encoder},
                    "decoder": {"type": "oobleck", "config": decoder},
                    "bottleneck": {"type": "vae"},
                    "latent_dim": latent_dim,
                    "downsampling_ratio": DOWNSAMPLING,
                    "io_channels": 2,
                },
            },
            "conditioning": {
                "configs": [
                    {"id": "prompt", "type": "t5", "config": {"t5_model_name": "t5-base", "max_length": MAX_PROMPT_TOKENS}},
                    {"id": "seconds_total", "type": "number", "config": {"min_val": 0, "max_val": 256}},
                ],
                "cond_dim": cond_dim,
            },
            "diffusion": {
                "cross_attention_cond_ids": ["prompt", "seconds_total"],
                "global_cond_ids": ["seconds_total"],
                "diffusion_objective": "rectified_flow",  # plain RF, not ARC-distilled: Euler, many steps
                "type": "dit",
                "config": {"io_channels": latent_dim, "cond_token_dim": cond_dim, "global_cond_dim": cond_dim,
                           "transformer_type": "continuous_transformer", "attn_kwargs": {"qk_norm": "ln"},
                           **DIT_CONFIG},
            },
            "io_channels": latent_dim,
        },
    }


def decoder_c_mults(ae_state: dict):
    """The decoder's c_mults, read from its weights' widths: the first conv makes channels *
    c_mults[-1], each block's upsampling conv the next width down, the last block `channels`."""
    first = ae_state["decoder.layers.0.weight_v"].shape[0]
    blocks = len(AE_CONFIG["strides"])
    widths = []
    for i in range(1, blocks + 1):
        nearest = ae_state.get(f"decoder.layers.{i}.layers.1.1.weight_v")
        widths.append(nearest.shape[0] if nearest is not None else
                      ae_state[f"decoder.layers.{i}.layers.1.weight_v"].shape[1])  # transposed: [in, out, k]
    channels = widths[-1]
    return [w // channels for w in reversed(widths[:-1])] + [first // channels]


def uses_nearest_upsample(ae_state: dict) -> bool:
    """Whether an autoencoder state_dict has the nearest-upsampling decoder: its upsampling convs
    sit one level deeper (decoder.layers.N.layers.1.1.weight_v) than transposed ones (...layers.1.weight_v)."""
    return any(re.fullmatch(r"decoder\.layers\.\d+\.layers\.1\.1\.weight_v", k) for k in ae_state)


def config_for(ae_state: dict, latent_scale: float = 1.0) -> dict:
    """model_config() for the autoencoder whose weights these are (latent_dim: the decoder's input width)."""
    return model_config(latent_scale, nearest_upsample=uses_nearest_upsample(ae_state),
                        decoder_c_mults=decoder_c_mults(ae_state),
                        latent_dim=ae_state["decoder.layers.0.weight_v"].shape[1])


def load_autoencoder(path: str, latent_scale: float = 1.0):
    """(model, checkpoint) for an autoencoder.pt of train_autoencoder.py: the foley-mini model
    built with that autoencoder's decoder (config_for) and its weights loaded; the DiT is untrained."""
    checkpoint = load_checkpoint(path)
    model = build_foley_model(config_for(checkpoint["autoencoder"], latent_scale))
    model.pretransform.model.load_state_dict(checkpoint["autoencoder"])
    return model, checkpoint


def build_foley_model(config: dict):
    """The reference model for our config. Our T5 is not t5-base (the name only keeps the
    official schema); its width equals cond_dim, so the prompt conditioner has no proj_out,
    exactly as the engine reads it (and as SAOS, where 768 == 768)."""
    prompt_cfg = next(c for c in config["model"]["conditioning"]["configs"] if c["id"] == "prompt")["config"]
    patched = json.loads(json.dumps(config))
    for c in patched["model"]["conditioning"]["configs"]:
        if c["id"] == "prompt":
            c["config"] = dict(prompt_cfg, t5_dim=config["model"]["conditioning"]["cond_dim"])
    model = build_model(patched)
    model.config = config
    return model


def load_f32(path: str):
    """(state dict promoted to float32, metadata) of an exported safetensors file (F16 on disk)."""
    state, meta = load_safetensors(path, with_metadata=True)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, meta


def new_t5():
    return T5Encoder.from_config(dict(T5_CONFIG))


def dit_modules(model, t5) -> torch.nn.ModuleDict:
    """What dit.pt stores (its "trainable" and "ema" state dicts): the DiT, the conditioners and
    the T5 encoder, under the keys dit.*, conditioner.*, t5.*."""
    return torch.nn.ModuleDict({"dit": model.model, "conditioner": model.conditioner, "t5": t5})


def set_threads():
    n = int(os.environ.get("FOLEY_THREADS", "2"))
    torch.set_num_threads(n)
    limit_openblas_threads(n)


def limit_openblas_threads(n: int):
    """Debian's torch calls whatever libblas.so.3 is; OpenBLAS's pthread build keeps a pool of
    one thread per core that torch.set_num_threads does not reach. Two one-thread runs side by
    side on the 2-core machine then kept four threads busy and top showed 100 % system time:
    a DiT step took 1.85 s instead of 1.5 s. No-op when the BLAS is not OpenBLAS."""
    if not os.path.exists("/proc/self/maps"):
        return
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    for path in paths:
        setter = getattr(ctypes.CDLL(path), "openblas_set_num_threads", None)
        if setter:
            setter(n)
            return


def training_device() -> torch.device:
    """Where the training scripts compute: FOLEY_DEVICE if set ("cpu", "cuda", "cuda:1"), else
    the first GPU PyTorch sees, else the CPU. The shipped runs had only a 2-core CPU; these
    small convolutional and attention models train many times faster on any GPU."""
    name = os.environ.get("FOLEY_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"FOLEY_DEVICE={name}, but this PyTorch sees no CUDA GPU")
    return device


def load_checkpoint(path: str) -> dict:
    """A checkpoint of these scripts onto the CPU, wherever it was saved: the scripts move what
    they train to training_device() themselves, and export and evaluation run on the CPU."""
    return torch.load(path, map_location="cpu")


def read_manifest(cache: str, split: str = None):
    with open(os.path.join(cache, "manifest.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r for r in rows if split is None or r["split"] == split]


def load_clip(cache: str, clip: str) -> np.ndarray:
    """int16 [2, frames] at 48 kHz."""
    with wave.open(os.path.join(cache, "clips", clip + ".wav")) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, 2).T.copy()


def save_checkpoint(path: str, state: dict):
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)
