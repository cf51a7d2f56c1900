"""Audio file reading/writing for the evaluation tools.

Reads WAV/FLAC/OGG through the system libsndfile (ctypes; it is already a Debian
dependency on this machine, so no Python audio package is needed) and falls back
to the standard-library wave module for PCM WAV. Resampling is polyphase
(scipy.signal.resample_poly) with the exact rational ratio.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import wave as wave_mod

import numpy as np
from scipy.signal import resample_poly


class AudioError(ValueError):
    pass


class _SfInfo(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int),
                ("channels", ctypes.c_int), ("format", ctypes.c_int),
                ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def _libsndfile():
    name = ctypes.util.find_library("sndfile")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_SfInfo)]
    lib.sf_readf_float.restype = ctypes.c_int64
    lib.sf_readf_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    lib.sf_strerror.restype = ctypes.c_char_p
    lib.sf_strerror.argtypes = [ctypes.c_void_p]
    return lib


_LIB = _libsndfile()
_SFM_READ = 0x10


def read(path: str) -> tuple[np.ndarray, int]:
    """Returns (float32 [frames, channels] in [-1, 1], sample_rate)."""
    if _LIB is not None:
        info = _SfInfo()
        handle = _LIB.sf_open(str(path).encode(), _SFM_READ, ctypes.byref(info))
        if not handle:
            raise AudioError(f"{path}: {_LIB.sf_strerror(None).decode(errors='replace')}")
        try:
            if info.channels <= 0 or info.samplerate <= 0:
                raise AudioError(f"{path}: invalid header")
            # Vorbis may report frames inexactly: read in chunks until EOF.
            chunks, chunk = [], 1 << 16
            while True:
                buf = np.empty((chunk, info.channels), np.float32)
                n = _LIB.sf_readf_float(handle, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), chunk)
                if n <= 0:
                    break
                chunks.append(buf[:n])
            data = np.concatenate(chunks) if chunks else np.zeros((0, info.channels), np.float32)
            return data, info.samplerate
        finally:
            _LIB.sf_close(handle)
    with wave_mod.open(str(path), "rb") as w:
        width, ch, sr = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    else:
        raise AudioError(f"{path}: unsupported sample width {width}")
    return data.reshape(-1, ch), sr


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample along axis 0."""
    if sr_in == sr_out:
        return x
    g = math.gcd(int(sr_in), int(sr_out))
    return resample_poly(x, sr_out // g, sr_in // g, axis=0)


def load_mono_16k(path: str, normalize_peak: bool = False) -> np.ndarray:
    data, sr = read(path)
    return to_mono_16k(data, sr, normalize_peak)


def to_mono_16k(data: np.ndarray, sr: int, normalize_peak: bool = False) -> np.ndarray:
    mono = data.mean(axis=1) if data.ndim == 2 else data
    out = resample(mono.astype(np.float64), sr, 16000)
    if normalize_peak:
        out = peak_normalize(out)
    return out


def audible_part(x: np.ndarray, sr: int, below_peak_db: float = 50.0, block_s: float = 0.1,
                 min_s: float = 1.0) -> np.ndarray:
    """x [frames] from its first to its last 0.1 s block within `below_peak_db` of the loudest
    block, at least `min_s` long (YAMNet's window is 0.96 s). YAMNet averages its scores over
    every 0.96 s patch, so a one-second door slam in a five-second clip scores as Silence,
    though a listener hears a door slam and then nothing."""
    block = max(1, int(block_s * sr))
    n = len(x) // block
    if n == 0:
        return x
    level = 10 * np.log10(np.mean(x[: n * block].reshape(n, block) ** 2, axis=1) + 1e-20)
    loud = np.flatnonzero(level > level.max() - below_peak_db)
    start, end = loud[0] * block, (loud[-1] + 1) * block
    end = max(end, min(len(x), start + int(min_s * sr)))
    start = min(start, max(0, end - int(min_s * sr)))
    return x[start:end]


def peak_normalize(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """YAMNet scores quiet clips lower, so compare clips at a common peak level."""
    m = float(np.max(np.abs(x))) if len(x) else 0.0
    return x * (peak / m) if m > 1e-6 else x


def write_wav(path: str, data: np.ndarray, sr: int) -> None:
    """16-bit PCM WAV, data [frames] or [frames, channels]."""
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave_mod.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
