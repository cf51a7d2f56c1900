"""YAMNet (AudioSet, 521 classes) evaluated from /work/shared/eval/yamnet.tflite.

Front end: computed here in float64, exactly as YAMNet defines it (16 kHz mono,
25 ms periodic Hann window, 512-point DFT, 10 ms hop, magnitude spectrum, 64 HTK
mel bands 125-7500 Hz, log(mel + 0.001), patches of 96 frames with a 48-frame
(0.48 s) hop). The file stores the DFT and mel matrices as int8, which adds a
noise floor on tonal sounds, so we do not use them for scoring; graph_logmel()
runs the file's own front end so the two can be compared.

Body: MobileNet-v1 from the file's weights (int8 ones dequantized), run by
tflite_graph over all patches of a clip at once. Clip scores are the mean of the
patch scores; the clip embedding is the mean of the 1024-d patch embeddings.

Usage: python3 yamnet.py FILE.wav [...]   -> top-5 classes per file
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_graph  # noqa: E402
import tflite_reader  # noqa: E402

DEFAULT_DIR = os.environ.get("FOLEY_YAMNET_DIR", "/work/shared/eval")
SAMPLE_RATE = 16000
WINDOW = 400          # 25 ms
HOP = 160             # 10 ms
FFT = 512
MEL_BANDS = 64
MEL_LOW, MEL_HIGH = 125.0, 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96
PATCH_HOP_FRAMES = 48  # 0.48 s
PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + WINDOW  # 15600, the graph's input size

BODY_INPUT = "yamnet_frames/reshape/Reshape"
EMBEDDING = "yamnet_frames/global_average_pooling2d/Mean"
SCORES = "Identity"
GRAPH_LOGMEL = "Identity_1"


def _hz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def mel_matrix() -> np.ndarray:
    """[257, 64] HTK triangular filters on the DFT bin frequencies; DC bin zeroed."""
    bins_hz = np.linspace(0.0, SAMPLE_RATE / 2, FFT // 2 + 1)
    bins_mel = _hz_to_mel(bins_hz)
    edges = np.linspace(_hz_to_mel(MEL_LOW), _hz_to_mel(MEL_HIGH), MEL_BANDS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lower) / (center - lower)
    falling = (upper - bins_mel[:, None]) / (upper - center)
    w = np.maximum(0.0, np.minimum(rising, falling))
    w[0, :] = 0.0
    return w


def hann_window() -> np.ndarray:
    n = np.arange(WINDOW)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW)  # periodic


def pad_for_patches(wave: np.ndarray) -> np.ndarray:
    """Zero-pad so there is at least one patch and the tail fills a whole patch hop."""
    hop_samples = PATCH_HOP_FRAMES * HOP
    extra = max(0, len(wave) - PATCH_SAMPLES)
    hops = -(-extra // hop_samples)
    target = PATCH_SAMPLES + hops * hop_samples
    return np.pad(wave, (0, target - len(wave)))


def log_mel(wave: np.ndarray) -> np.ndarray:
    """[frames, 64] float64 log-mel spectrogram of 16 kHz mono audio."""
    wave = np.asarray(wave, dtype=np.float64)
    if len(wave) < WINDOW:
        wave = np.pad(wave, (0, WINDOW - len(wave)))
    n_frames = 1 + (len(wave) - WINDOW) // HOP
    idx = np.arange(WINDOW)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = wave[idx] * hann_window()
    mag = np.abs(np.fft.rfft(frames, n=FFT, axis=1))
    return np.log(mag @ mel_matrix() + LOG_OFFSET)


def patches(spec: np.ndarray) -> np.ndarray:
    """[n, 96, 64] patches of a log-mel spectrogram with a 48-frame hop."""
    n = 1 + max(0, (spec.shape[0] - PATCH_FRAMES)) // PATCH_HOP_FRAMES
    return np.stack([spec[i * PATCH_HOP_FRAMES:i * PATCH_HOP_FRAMES + PATCH_FRAMES]
                     for i in range(n)])


@dataclasses.dataclass
class Result:
    scores: np.ndarray           # [521] mean over patches
    embedding: np.ndarray        # [1024] mean over patches
    patch_scores: np.ndarray     # [n, 521]
    patch_embeddings: np.ndarray  # [n, 1024]

    def top(self, k: int = 5) -> list[int]:
        return [int(i) for i in np.argsort(-self.scores)[:k]]


class YAMNet:
    def __init__(self, model_dir: str = DEFAULT_DIR):
        path = os.path.join(model_dir, "yamnet.tflite")
        self.graph = tflite_graph.Graph(tflite_reader.load(path))
        self.class_names = load_class_names(os.path.join(model_dir, "yamnet_class_map.csv"))
        if len(self.class_names) != 521:
            raise ValueError(f"expected 521 class names, got {len(self.class_names)}")
        g = self.graph
        self._body_in = g.tensor_index(BODY_INPUT)
        self._scores = g.tensor_index(SCORES)
        self._embedding = g.tensor_index(EMBEDDING)
        self._graph_logmel = g.tensor_index(GRAPH_LOGMEL)
        self._body_start = next(k for k, op in enumerate(g.model.operators)
                                if self._body_in in op.inputs)
        self._name_to_index = {n.lower(): i for i, n in enumerate(self.class_names)}

    def class_index(self, name: str) -> int:
        try:
            return self._name_to_index[name.lower()]
        except KeyError:
            raise KeyError(f"'{name}' is not a YAMNet class name") from None

    @torch.no_grad()
    def run_patches(self, logmel_patches: np.ndarray, batch: int = 64):
        scores, embs = [], []
        for s in range(0, len(logmel_patches), batch):
            x = torch.from_numpy(logmel_patches[s:s + batch].astype(np.float32))[..., None]
            out = self.graph.run({self._body_in: x}, [self._scores, self._embedding],
                                 start_op=self._body_start)
            scores.append(out[self._scores].numpy())
            embs.append(out[self._embedding].numpy())
        return np.concatenate(scores), np.concatenate(embs)

    def __call__(self, wave16k: np.ndarray) -> Result:
        wave16k = np.asarray(wave16k, dtype=np.float64)
        if wave16k.ndim != 1:
            raise ValueError("YAMNet expects mono audio")
        if not np.all(np.isfinite(wave16k)):
            raise ValueError("audio contains NaN or Inf")
        p = patches(log_mel(pad_for_patches(wave16k)))
        s, e = self.run_patches(p)
        return Result(s.mean(0), e.mean(0), s, e)

    @torch.no_grad()
    def graph_logmel(self, wave16k: np.ndarray) -> np.ndarray:
        """The file's own (int8-matrix) front end on the first 15,600 samples."""
        x = np.zeros(PATCH_SAMPLES, np.float32)
        w = np.asarray(wave16k, np.float32)[:PATCH_SAMPLES]
        x[:len(w)] = w
        inp = self.graph.model.inputs[0]
        return self.graph.run({inp: torch.from_numpy(x[None])},
                              [self._graph_logmel])[self._graph_logmel].numpy()

    @torch.no_grad()
    def graph_scores(self, wave16k: np.ndarray) -> np.ndarray:
        """Scores of the whole file graph (its own front end) on one 0.975 s patch."""
        x = np.zeros(PATCH_SAMPLES, np.float32)
        w = np.asarray(wave16k, np.float32)[:PATCH_SAMPLES]
        x[:len(w)] = w
        inp = self.graph.model.inputs[0]
        return self.graph.run({inp: torch.from_numpy(x[None])},
                              [self._scores])[self._scores].numpy()[0]

    def describe(self, result: Result, k: int = 5) -> str:
        return ", ".join(f"{self.class_names[i]} {result.scores[i]:.2f}" for i in result.top(k))


def load_class_names(path: str) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"]))]


@functools.lru_cache(maxsize=1)
def default_model() -> YAMNet:
    return YAMNet()


if __name__ == "__main__":
    import audio_io
    torch.set_num_threads(1)
    net = default_model()
    for path in sys.argv[1:]:
        wave = audio_io.load_mono_16k(path, normalize_peak=True)
        print(f"{path}: {net.describe(net(wave))}")
