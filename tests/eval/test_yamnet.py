"""Tests that fail on a broken YAMNet port: wrong front end, wrong weights/layout,
wrong padding, wrong class map. Synthetic signals only (plus espeak-ng speech if
installed), so they run anywhere /work/shared/eval/yamnet.tflite exists."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tools/eval"))
import tflite_reader  # noqa: E402
import yamnet  # noqa: E402

MODEL = os.path.join(yamnet.DEFAULT_DIR, "yamnet.tflite")
SR = 16000


def top(net, result, k=5):
    return [net.class_names[i] for i in result.top(k)]


@unittest.skipUnless(os.path.exists(MODEL), f"{MODEL} not present")
class YamnetPortTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.net = yamnet.YAMNet()

    def test_reader_sees_expected_graph(self):
        m = self.net.graph.model
        self.assertEqual([m.tensors[i].shape for i in m.inputs], [(1, 15600)])
        self.assertEqual(len(self.net.class_names), 521)
        self.assertEqual(self.net.class_names[0], "Speech")
        self.assertEqual(self.net.class_names[494], "Silence")
        self.assertEqual(m.tensor_by_name(yamnet.EMBEDDING).shape, (1, 1024))

    def test_front_end_matrices_match_file(self):
        mel = self.net.graph.model.tensor_by_name("yamnet_frames/tf_op_layer_MatMul_2/MatMul_2")
        diff = np.abs(mel.dequantized() - yamnet.mel_matrix().T).max()
        self.assertLessEqual(diff, mel.scale[0] / 2 + 1e-6)

    def test_silence(self):
        r = self.net(np.zeros(SR * 2))
        self.assertEqual(top(self.net, r, 1), ["Silence"])
        self.assertGreater(r.scores[self.net.class_index("Silence")], 0.9)

    def test_white_noise(self):
        w = np.random.default_rng(1).uniform(-0.9, 0.9, SR * 2)
        t3 = top(self.net, self.net(w), 3)
        self.assertTrue({"White noise", "Static", "Noise", "Waterfall"} & set(t3), t3)
        self.assertNotIn("Silence", t3)

    def test_sine_tone(self):
        w = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(SR * 2) / SR)
        t3 = top(self.net, self.net(w), 3)
        self.assertTrue({"Sine wave", "Beep, bleep"} & set(t3), t3)

    def test_log_mel_peak_band_of_a_tone(self):
        # 1 kHz lies in the band whose centre is nearest in HTK mel.
        spec = yamnet.log_mel(0.5 * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR))
        centers = np.linspace(yamnet._hz_to_mel(125), yamnet._hz_to_mel(7500), 66)[1:-1]
        expected = int(np.argmin(np.abs(centers - yamnet._hz_to_mel(1000))))
        self.assertEqual(int(np.argmax(spec.mean(0))), expected)
        self.assertAlmostEqual(spec.min(), np.log(0.001), delta=1.0)

    def test_our_front_end_agrees_with_graph_front_end(self):
        w = np.random.default_rng(2).normal(0, 0.3, yamnet.PATCH_SAMPLES)
        ours = yamnet.log_mel(w)
        graph = self.net.graph_logmel(w)
        self.assertEqual(graph.shape, (96, 64))
        self.assertLess(np.abs(ours - graph).mean(), 0.05)
        s_ours, _ = self.net.run_patches(ours[None])
        s_graph = self.net.graph_scores(w)
        self.assertLess(np.abs(s_ours[0] - s_graph).max(), 0.05)

    def test_patching_and_embeddings(self):
        w = np.random.default_rng(3).normal(0, 0.1, SR * 3)
        r = self.net(w)
        # 3 s -> padded to 15600 + k*7680 samples -> 1 + k patches
        self.assertEqual(r.patch_scores.shape[0], 1 + -(-(SR * 3 - 15600) // 7680))
        self.assertEqual(r.embedding.shape, (1024,))
        self.assertTrue(np.all(r.embedding >= 0))  # mean of ReLU outputs
        self.assertTrue(np.all((r.scores >= 0) & (r.scores <= 1)))

    def test_short_clip_is_padded(self):
        r = self.net(np.zeros(100))
        self.assertEqual(r.patch_scores.shape[0], 1)

    def test_bad_input_is_rejected(self):
        with self.assertRaises(ValueError):
            self.net(np.zeros((2, 100)))
        with self.assertRaises(ValueError):
            self.net(np.array([0.0, np.nan] * 1000))

    @unittest.skipUnless(shutil.which("espeak-ng"), "espeak-ng not installed")
    def test_speech(self):
        import audio_io
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.wav")
            subprocess.run(["espeak-ng", "-w", path, "Hello, this is a test of speech "
                            "recognition with a synthetic voice."], check=True, capture_output=True)
            w = audio_io.load_mono_16k(path, normalize_peak=True)
        self.assertEqual(top(self.net, self.net(w), 1), ["Speech"])


class TfliteReaderTest(unittest.TestCase):
    def test_rejects_non_tflite(self):
        with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
            f.write(b"\x00" * 64)
            f.flush()
            with self.assertRaises(tflite_reader.FlatbufferError):
                tflite_reader.load(f.name)


if __name__ == "__main__":
    unittest.main()
