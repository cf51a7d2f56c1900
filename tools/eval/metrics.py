"""Signal metrics for evaluating generated and reconstructed audio.

All functions take float arrays in [-1, 1], shape [samples] or [samples, channels].
- mr_stft_distance: multi-resolution STFT distance (spectral convergence + log-magnitude L1,
  averaged over FFT sizes 2048/1024/512/256 with hop = size/4), lower is better.
- si_sdr: scale-invariant signal-to-distortion ratio in dB, higher is better.
- frechet_distance: Fréchet distance between two embedding sets (Gaussian fit).
- loudness_lufs: ITU-R BS.1770-4 integrated loudness (K-weighting, 400 ms blocks,
  absolute -70 LUFS and relative -10 LU gates), implemented from the standard's filter
  specification so it works at any sample rate.
- signal_checks: clipping, silence, duration.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.signal

EPS = 1e-8
STFT_SIZES = (2048, 1024, 512, 256)


def _as_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        return x[:, None]
    if x.ndim != 2:
        raise ValueError(f"expected [samples] or [samples, channels], got shape {x.shape}")
    return x


def _match(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_2d(x), _as_2d(y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"channel counts differ: {x.shape[1]} vs {y.shape[1]}")
    n = min(len(x), len(y))
    if n == 0:
        raise ValueError("empty signal")
    return x[:n], y[:n]


def _stft_mag(x: np.ndarray, n_fft: int) -> np.ndarray:
    hop = n_fft // 4
    if len(x) < n_fft:
        x = np.pad(x, ((0, n_fft - len(x)), (0, 0)))
    _, _, z = scipy.signal.stft(x.T, nperseg=n_fft, noverlap=n_fft - hop, window="hann",
                                boundary=None, padded=True)
    return np.abs(z)


def mr_stft_distance(estimate: np.ndarray, reference: np.ndarray,
                     sizes: tuple[int, ...] = STFT_SIZES) -> float:
    est, ref = _match(estimate, reference)
    total = 0.0
    for n_fft in sizes:
        e, r = _stft_mag(est, n_fft), _stft_mag(ref, n_fft)
        sc = np.linalg.norm(r - e) / (np.linalg.norm(r) + EPS)
        log_l1 = np.mean(np.abs(np.log(r + 1e-5) - np.log(e + 1e-5)))
        total += sc + log_l1
    return float(total / len(sizes))


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Per-channel SI-SDR averaged over channels (dB)."""
    est, ref = _match(estimate, reference)
    vals = []
    for c in range(ref.shape[1]):
        r = ref[:, c] - ref[:, c].mean()
        e = est[:, c] - est[:, c].mean()
        alpha = np.dot(e, r) / (np.dot(r, r) + EPS)
        target = alpha * r
        noise = e - target
        vals.append(10 * math.log10((np.dot(target, target) + EPS) / (np.dot(noise, noise) + EPS)))
    return float(np.mean(vals))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to embedding sets a [n, d] and b [m, d]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError("expected two [n, d] embedding arrays with the same d")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 embeddings per set")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(cov_a @ cov_b, disp=False)
    if not np.isfinite(covmean).all():
        # Rank-deficient covariances (n < d): regularise as is common practice.
        off = np.eye(len(mu_a)) * 1e-6
        covmean = scipy.linalg.sqrtm((cov_a + off) @ (cov_b + off))
    covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


# --- loudness (ITU-R BS.1770-4) -------------------------------------------------------

def _k_weighting(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stage 1 high shelf (+4 dB above ~1.5 kHz) and stage 2 RLB high-pass, as biquads
    derived from their analogue prototypes for the given sample rate."""
    # High shelf: f0 = 1681.97 Hz, gain 4.0 dB, Q = 0.7072.
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0,
                        (vh - vb * k / q + k * k) / a0])
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    # High-pass: f0 = 38.14 Hz, Q = 0.5003.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    a0 = 1 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return [(shelf_b, shelf_a), (hp_b, hp_a)]


def loudness_lufs(x: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS; -inf for silence or clips shorter than one 400 ms block
    (those fall back to the ungated mean-square loudness of the whole clip)."""
    x = _as_2d(x)
    y = x
    for b, a in _k_weighting(sr):
        y = scipy.signal.lfilter(b, a, y, axis=0)
    block, step = int(round(0.4 * sr)), int(round(0.1 * sr))
    if len(y) < block:
        ms = np.mean(y ** 2, axis=0).sum()
        return -math.inf if ms <= 0 else -0.691 + 10 * math.log10(ms)
    starts = np.arange(0, len(y) - block + 1, step)
    cs = np.concatenate([np.zeros((1, y.shape[1])), np.cumsum(y ** 2, axis=0)])
    z = (cs[starts + block] - cs[starts]) / block          # [blocks, channels]
    power = z.sum(axis=1)                                   # L/R weights are 1.0
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(power)
    gated = power[lk > -70.0]
    if gated.size == 0:
        return -math.inf
    rel = -0.691 + 10 * math.log10(gated.mean()) - 10.0
    gated = power[(lk > -70.0) & (lk > rel)]
    return -0.691 + 10 * math.log10(gated.mean())


def rms_dbfs(x: np.ndarray) -> float:
    ms = float(np.mean(_as_2d(x) ** 2))
    return -math.inf if ms <= 0 else 10 * math.log10(ms)


# --- signal checks ----------------------------------------------------------------------

CLIP_LEVEL = 0.999
CLIP_RUN = 3            # flat-topped: >= 3 consecutive samples at full scale
SILENCE_DBFS = -60.0    # whole-clip RMS below this counts as silent


def clipped_runs(x: np.ndarray, level: float = CLIP_LEVEL, run: int = CLIP_RUN) -> int:
    """Number of runs of >= `run` consecutive samples with |x| >= level, over channels."""
    x = _as_2d(x)
    count = 0
    for c in range(x.shape[1]):
        hot = np.concatenate([[0], (np.abs(x[:, c]) >= level).astype(np.int8), [0]])
        edges = np.diff(hot)
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        count += int(np.sum(ends - starts >= run))
    return count


def signal_checks(x: np.ndarray, sr: int, expected_seconds: float | None = None,
                  expected_sr: int | None = None, expected_channels: int | None = None) -> dict:
    x = _as_2d(x)
    out = {
        "samples": int(len(x)),
        "channels": int(x.shape[1]),
        "sample_rate": int(sr),
        "peak": float(np.max(np.abs(x))) if len(x) else 0.0,
        "rms_dbfs": rms_dbfs(x) if len(x) else -math.inf,
        "lufs": loudness_lufs(x, sr) if len(x) else -math.inf,
        "clipped_runs": clipped_runs(x),
        "finite": bool(np.isfinite(x).all()),
    }
    out["clipping"] = out["clipped_runs"] > 0 or out["peak"] > 1.0
    out["silent"] = not out["rms_dbfs"] > SILENCE_DBFS
    if expected_seconds is not None:
        out["expected_samples"] = int(round(expected_seconds * sr))
        out["exact_duration"] = out["samples"] == out["expected_samples"]
    if expected_sr is not None:
        out["sample_rate_ok"] = sr == expected_sr
    if expected_channels is not None:
        out["channels_ok"] = out["channels"] == expected_channels
    return out


def spread(values: list[float]) -> dict:
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return {"n": 0}
    return {"n": int(v.size), "mean": float(v.mean()), "std": float(v.std()),
            "min": float(v.min()), "p10": float(np.percentile(v, 10)),
            "median": float(np.median(v)), "p90": float(np.percentile(v, 90)),
            "max": float(v.max())}
