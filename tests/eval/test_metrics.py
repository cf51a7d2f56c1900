"""Metric sanity: known values for SI-SDR, LUFS, Fréchet distance, signal checks."""
import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tools/eval"))
import metrics as M  # noqa: E402

SR = 48000


def sine(freq=1000.0, rms_db=-20.0, seconds=2.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2 * np.pi * freq * t) * 10 ** (rms_db / 20) * math.sqrt(2)


class MetricsTest(unittest.TestCase):
    def test_si_sdr(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=SR)
        self.assertGreater(M.si_sdr(x, x), 100)
        self.assertGreater(M.si_sdr(0.25 * x, x), 100)  # scale invariant
        noisy = x + 10 ** (-10 / 20) * rng.normal(size=SR)
        self.assertAlmostEqual(M.si_sdr(noisy, x), 10.0, delta=0.3)

    def test_mr_stft(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(SR, 2))
        self.assertAlmostEqual(M.mr_stft_distance(x, x), 0.0, places=9)
        near = M.mr_stft_distance(x + 0.01 * rng.normal(size=x.shape), x)
        far = M.mr_stft_distance(rng.normal(size=x.shape), x)
        self.assertLess(near, far)
        with self.assertRaises(ValueError):
            M.mr_stft_distance(x, x[:, :1])

    def test_loudness_bs1770(self):
        # A 1 kHz tone at -20 dBFS RMS reads about -20 LUFS mono, +3 LU in stereo.
        s = sine()
        self.assertAlmostEqual(M.loudness_lufs(s, SR), -20.0, delta=0.1)
        self.assertAlmostEqual(M.loudness_lufs(np.stack([s, s], 1), SR), -16.99, delta=0.1)
        self.assertAlmostEqual(M.loudness_lufs(sine(sr=44100), 44100), -20.0, delta=0.1)
        self.assertEqual(M.loudness_lufs(np.zeros(SR), SR), -math.inf)
        # Gating: adding silence does not change integrated loudness much.
        padded = np.concatenate([s, np.zeros(SR * 2)])
        self.assertAlmostEqual(M.loudness_lufs(padded, SR), -20.0, delta=0.5)

    def test_frechet(self):
        rng = np.random.default_rng(0)
        a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
        self.assertLess(M.frechet_distance(a, b), 0.1)
        self.assertAlmostEqual(M.frechet_distance(a, b + 1.0), 8.0, delta=0.3)
        with self.assertRaises(ValueError):
            M.frechet_distance(a, b[:, :4])

    def test_signal_checks(self):
        s = np.stack([sine(), sine()], 1)
        ok = M.signal_checks(s, SR, expected_seconds=2.0, expected_sr=SR, expected_channels=2)
        self.assertFalse(ok["clipping"])
        self.assertFalse(ok["silent"])
        self.assertTrue(ok["exact_duration"] and ok["sample_rate_ok"] and ok["channels_ok"])
        clipped = np.clip(s * 20, -1, 1)
        self.assertTrue(M.signal_checks(clipped, SR)["clipping"])
        self.assertTrue(M.signal_checks(np.zeros((SR, 2)), SR)["silent"])
        self.assertTrue(M.signal_checks(1e-5 * s, SR)["silent"])
        short = M.signal_checks(s[:-1], SR, expected_seconds=2.0)
        self.assertFalse(short["exact_duration"])


if __name__ == "__main__":
    unittest.main()
