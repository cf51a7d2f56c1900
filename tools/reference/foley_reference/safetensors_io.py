"""Pure-Python reader/writer for the safetensors format (Debian ships no `safetensors`).

Layout: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the raw little-endian tensor bytes (offsets are relative to the end of the header).
"""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, Mapping, Optional, Tuple

import torch

# safetensors dtype name -> (torch dtype, bytes per element)
_DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
_NAMES = {dtype: name for name, (dtype, _) in _DTYPES.items()}


class SafetensorsError(ValueError):
    """A malformed or unsupported safetensors file."""


def read_header(path: str) -> Tuple[dict, int]:
    """Returns (header dict including __metadata__ if present, byte offset of the data)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise SafetensorsError(f"{path}: shorter than the 8-byte header length")
        (n,) = struct.unpack("<Q", raw)
        size = os.fstat(f.fileno()).st_size
        if n > size - 8:
            raise SafetensorsError(f"{path}: header length {n} exceeds the file size {size}")
        try:
            header = json.loads(f.read(n))
        except json.JSONDecodeError as e:
            raise SafetensorsError(f"{path}: header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")
    return header, 8 + n


def load_safetensors(path: str, with_metadata: bool = False):
    """Loads every tensor of `path` into a dict name -> torch.Tensor (CPU, writable).

    With `with_metadata=True` returns (tensors, metadata dict)."""
    header, data_start = read_header(path)
    metadata = header.pop("__metadata__", {}) or {}
    data_size = os.path.getsize(path) - data_start
    tensors: Dict[str, torch.Tensor] = {}
    f = open(path, "rb")
    for name, info in header.items():
        try:
            dtype_name, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError(f"{path}: tensor {name!r} has a malformed header entry") from None
        if dtype_name not in _DTYPES:
            raise SafetensorsError(f"{path}: tensor {name!r} has unsupported dtype {dtype_name}")
        dtype, itemsize = _DTYPES[dtype_name]
        count = 1
        for d in shape:
            count *= int(d)
        if end - begin != count * itemsize or begin < 0 or end > data_size:
            raise SafetensorsError(
                f"{path}: tensor {name!r} ({dtype_name} {shape}) has byte range [{begin}, {end}) "
                f"inconsistent with its shape or the file size")
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
            continue
        # One read per tensor: aligned, writable memory and no second copy of the file.
        chunk = bytearray(end - begin)
        f.seek(data_start + begin)
        f.readinto(chunk)
        tensors[name] = torch.frombuffer(chunk, dtype=dtype).reshape(shape)
    f.close()
    return (tensors, dict(metadata)) if with_metadata else tensors


def save_safetensors(tensors: Mapping[str, torch.Tensor], path: str,
                     metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes `tensors` (name -> tensor) to `path`; tensors keep their dtype."""
    header: dict = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    names = sorted(tensors)
    for name in names:
        t = tensors[name]
        if t.dtype not in _NAMES:
            raise SafetensorsError(f"tensor {name!r}: dtype {t.dtype} cannot be stored")
        size = t.numel() * t.element_size()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)  # keep the data 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        # One tensor at a time so that writing a 2 GB model does not double its memory.
        for name in names:
            t = tensors[name].detach().cpu().contiguous()
            if t.dtype == torch.bfloat16:
                t = t.view(torch.int16)
            f.write(t.numpy().tobytes())
    os.replace(tmp, path)
