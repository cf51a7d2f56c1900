#!/usr/bin/env python3
"""End to end through the training scripts as a user runs them, a few steps each on a tiny
dataset made here: autoencoder (every loss and the discriminator on), a resume of it, latent
caching, the DiT, and the export to the layout the engine loads; and the band-latent path
(band_latents.py: fit, cache, decoder, also taught by excitation_vocoder.py, or computed by
vocoder_decoder.py and exported with a DiT on those latents). Runs on the device that
FOLEY_DEVICE names (the CPU in CI); a GPU that PyTorch sees takes the same code path.
Checks the steps were taken and saved, the weights stayed finite, and a resume continues."""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TRAIN = os.path.join(ROOT, "tools", "train")
sys.path.insert(0, TRAIN)

import common  # noqa: E402
from band_latents import BandLatents  # noqa: E402
from excitation_vocoder import mixing_weights  # noqa: E402

COLUMNS = ("clip", "package", "path", "licence", "seconds", "source_rate", "category", "split",
           "caption_en", "caption_zh")


def make_cache(folder):
    """Four 0.7 s clips in two categories: decaying noise bursts ("door") and steady hiss ("rain")."""
    os.makedirs(os.path.join(folder, "clips"))
    rng = np.random.default_rng(0)
    rows = []
    for i in range(4):
        door = i % 2 == 0
        n = int(0.7 * common.SAMPLE_RATE)
        envelope = np.exp(-np.arange(n) / 3000.0) if door else np.full(n, 0.3)
        audio = (rng.standard_normal((n, 2)) * envelope[:, None] * 0.3 * 32767).astype("<i2")
        name = f"clip{i}"
        with wave.open(os.path.join(folder, "clips", name + ".wav"), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(common.SAMPLE_RATE)
            w.writeframes(audio.tobytes())
        rows.append({"clip": name, "package": "test", "path": name + ".ogg", "licence": "CC0-1.0",
                     "seconds": "0.700", "source_rate": "48000", "category": "door" if door else "rain",
                     "split": "train", "caption_en": "door slam" if door else "rain",
                     "caption_zh": "关门声" if door else "雨声"})
    with open(os.path.join(folder, "manifest.tsv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", quoting=csv.QUOTE_NONE)
        writer.writeheader()
        writer.writerows(rows)


def run(script, *args, env=None):
    result = subprocess.run([sys.executable, os.path.join(TRAIN, script), *args], cwd=TRAIN,
                            capture_output=True, text=True, timeout=240,
                            env={**os.environ, "FOLEY_THREADS": "1", "FOLEY_DEVICE": "cpu", **(env or {})})
    if result.returncode != 0:
        raise AssertionError(f"{script} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def all_finite(state):
    return all(torch.isfinite(v).all() for v in state.values() if torch.is_tensor(v) and v.is_floating_point())


class TrainingPipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="foley-train-")
        cls.cache, cls.out = os.path.join(cls.tmp, "cache"), os.path.join(cls.tmp, "run")
        make_cache(cls.cache)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_every_stage_trains_saves_and_resumes(self):
        ae_args = ["--cache", self.cache, "--out", self.out, "--batch", "2", "--crop", "16384",
                   "--nearest-upsample", "--noise-channels", "48", "--drift-weight", "10", "--comb-weight", "1",
                   "--band-weight", "2", "--envelope-weight", "5", "--adv-weight", "0.1", "--fm-weight", "1",
                   "--log-floor", "1e-3"]
        log = run("train_autoencoder.py", *ae_args, "--steps", "2")
        self.assertIn("training on cpu", log)
        state = common.load_checkpoint(os.path.join(self.out, "autoencoder.pt"))
        self.assertEqual(state["step"], 2)
        self.assertTrue(all_finite(state["autoencoder"]))
        self.assertIn("discriminator", state)

        log = run("train_autoencoder.py", *ae_args, "--steps", "3")
        self.assertIn("resumed at step 2", log)
        self.assertEqual(common.load_checkpoint(os.path.join(self.out, "autoencoder.pt"))["step"], 3)

        run("cache_latents.py", "--cache", self.cache, "--out", self.out)
        latents = common.load_checkpoint(os.path.join(self.out, "latents_train.pt"))
        self.assertEqual(sorted(latents["clips"]), ["clip0", "clip1", "clip2", "clip3"])
        means = torch.cat([c["mean"].float() for c in latents["clips"].values()], dim=1)
        self.assertTrue(torch.isfinite(means).all())
        self.assertTrue((means[-48:] == 0).all(), "the pinned noise channels carry nothing")

        shutil.copy(os.path.join(ROOT, "models", "foley-mini", "t5", "spiece.model"), self.out)
        log = run("train_dit.py", "--out", self.out, "--batch", "2", "--steps", "2", "--pooled-cross-attention",
                  "--noise-channel-weight", "0.1", "--fill-window", "0.5", "--keep-every", "2")
        self.assertIn("training on cpu", log)
        self.assertIn("16 informative latent channels", log)
        dit = common.load_checkpoint(os.path.join(self.out, "dit.pt"))
        self.assertEqual(dit["step"], 2)
        self.assertEqual(common.load_checkpoint(os.path.join(self.out, "dit_2.pt"))["step"], 2)  # --keep-every
        self.assertFalse(os.path.exists(os.path.join(self.out, "dit_1.pt")))
        self.assertTrue(all_finite(dit["trainable"]) and all_finite(dit["ema"]))

        dest = os.path.join(self.tmp, "model")
        run("export.py", "--out", self.out, "--dest", dest, "--sampler", "pingpong", "--steps", "8")
        for name in ("model_config.json", "model.safetensors", "t5/config.json", "t5/model.safetensors",
                     "t5/spiece.model"):
            self.assertTrue(os.path.isfile(os.path.join(dest, name)), name)
        with open(os.path.join(dest, "model_config.json")) as f:
            self.assertEqual(json.load(f)["sampling"], {"sampler": "pingpong", "steps": 8})
        self.check_import_goes_on_from(dest)
        self.check_a_diverged_checkpoint_is_not_exported()

    def check_a_diverged_checkpoint_is_not_exported(self):
        """One NaN in the DiT's weights: export.py names it and writes nothing."""
        diverged = os.path.join(self.tmp, "diverged")
        os.makedirs(diverged)
        for name in ("autoencoder.pt", "spiece.model"):
            shutil.copy(os.path.join(self.out, name), diverged)
        dit = common.load_checkpoint(os.path.join(self.out, "dit.pt"))
        name = next(k for k, v in dit["ema"].items() if v.is_floating_point())
        dit["ema"][name].view(-1)[0] = float("nan")
        torch.save(dit, os.path.join(diverged, "dit.pt"))
        dest = os.path.join(self.tmp, "diverged-model")
        with self.assertRaisesRegex(AssertionError, "not exported: 1 tensors hold NaN"):
            run("export.py", "--out", diverged, "--dest", dest)
        self.assertFalse(os.path.exists(dest))

    def check_import_goes_on_from(self, dest):
        """import_model.py turns the export back into checkpoints: exporting those again gives the
        same files bit for bit, and both training scripts resume from them with a fresh optimizer."""
        imported = os.path.join(self.tmp, "imported")
        log = run("import_model.py", "--model", dest, "--out", imported)
        self.assertIn("autoencoder step 3, 48 pinned noise channels; DiT step 2", log)
        again = os.path.join(self.tmp, "model-again")
        run("export.py", "--out", imported, "--dest", again, "--sampler", "pingpong", "--steps", "8")
        for name in ("model_config.json", "model.safetensors", "t5/model.safetensors", "t5/spiece.model"):
            with open(os.path.join(dest, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        with self.assertRaisesRegex(AssertionError, "import into an empty directory"):
            run("import_model.py", "--model", dest, "--out", imported)

        shutil.copy(os.path.join(self.out, "latents_train.pt"), imported)
        log = run("train_dit.py", "--out", imported, "--batch", "2", "--steps", "3", "--pooled-cross-attention")
        self.assertIn("resumed at step 2", log)
        self.assertIn("fresh optimizer", log)
        self.assertEqual(common.load_checkpoint(os.path.join(imported, "dit.pt"))["step"], 3)
        log = run("train_autoencoder.py", "--cache", self.cache, "--out", imported, "--decoder-only",
                  "--noise-channels", "48", "--batch", "2", "--crop", "16384", "--steps", "4")
        self.assertIn("resumed at step 3", log)
        self.assertIn("fresh optimizer", log)
        state = common.load_checkpoint(os.path.join(imported, "autoencoder.pt"))
        self.assertEqual(state["step"], 4)
        self.assertTrue(all_finite(state["autoencoder"]))

    def test_band_latents_train_a_decoder_and_cache_without_an_encoder(self):
        out = os.path.join(self.tmp, "bands")
        run("band_latents.py", "--cache", self.cache, "--out", out, "--bands", "32")
        bands = os.path.join(out, "band_latents.pt")
        run("cache_latents.py", "--cache", self.cache, "--out", out, "--band-latents", bands)
        latents = common.load_checkpoint(os.path.join(out, "latents_train.pt"))
        means = torch.cat([c["mean"].float() for c in latents["clips"].values()], dim=1)
        self.assertTrue((means[32:] == 0).all(), "only the 32 band channels carry the sound")
        self.assertLess(abs(float(means[:32].mean())), 0.5, "standardised over the training clips")
        door, rain = (latents["clips"][c]["mean"].float()[:32] for c in ("clip0", "clip1"))
        self.assertGreater(float(door[:, 0].mean() - door[:, -1].mean()), 1.0, "the door's burst decays")
        self.assertLess(float((rain[:, 1:-1] - rain[:, 2:]).abs().mean()), 0.5, "the rain is steady")
        self.check_computed_decoder_exports(out, bands)

        log = run("train_autoencoder.py", "--cache", self.cache, "--out", out, "--band-latents", bands,
                  "--decoder-only", "--nearest-upsample", "--batch", "2", "--crop", "16384", "--band-weight", "2",
                  "--cycle-weight", "2", "--spectral-weight", "0", "--periodicity-weight", "1",
                  "--excitation-gain-min", "0.5",
                  "--steps", "2")
        self.assertIn("training on cpu", log)
        state = common.load_checkpoint(os.path.join(out, "autoencoder.pt"))
        self.assertEqual((state["step"], state["band_latents"]["bands"]), (2, 32))
        self.assertTrue(all_finite(state["autoencoder"]))
        # a resume finds the band latents in the checkpoint, also for --cycle-weight
        log = run("train_autoencoder.py", "--cache", self.cache, "--out", out, "--decoder-only", "--nearest-upsample",
                  "--batch", "2", "--crop", "16384", "--cycle-weight", "2", "--steps", "3")
        self.assertIn("resumed at step 2", log)

        # the excitation vocoder as the target: a checkpoint of its own, resumed only the same way
        taught = os.path.join(self.tmp, "taught")
        run("train_autoencoder.py", "--cache", self.cache, "--out", taught, "--band-latents", bands, "--decoder-only",
            "--nearest-upsample", "--teacher", "--batch", "2", "--crop", "16384", "--wave-weight", "5", "--steps", "2")
        state = common.load_checkpoint(os.path.join(taught, "autoencoder.pt"))
        self.assertEqual((state["step"], state["teacher"]), (2, True))
        self.assertTrue(all_finite(state["autoencoder"]))
        with self.assertRaisesRegex(AssertionError, "trained with --teacher; resume the same way"):
            run("train_autoencoder.py", "--cache", self.cache, "--out", taught, "--decoder-only", "--steps", "3")
        # a learned teacher: its mixing weights move, keep unit power per bin, and come back on resume
        run("train_autoencoder.py", "--cache", self.cache, "--out", taught, "--decoder-only", "--teacher",
            "--learn-teacher", "--batch", "2", "--crop", "16384", "--lr", "1e-2", "--steps", "4")
        learned = common.load_checkpoint(os.path.join(taught, "autoencoder.pt"))["teacher_weights"]
        first = torch.view_as_real(mixing_weights(32, common.LATENT_DIM - 32))
        self.assertGreater(float((learned - first).abs().max()), 1e-4)
        log = run("train_autoencoder.py", "--cache", self.cache, "--out", taught, "--decoder-only", "--teacher",
                  "--learn-teacher", "--batch", "2", "--crop", "16384", "--lr", "0", "--steps", "5")
        self.assertIn("resumed at step 4", log)
        again = common.load_checkpoint(os.path.join(taught, "autoencoder.pt"))["teacher_weights"]
        self.assertTrue(torch.allclose(again, learned))
        with self.assertRaisesRegex(AssertionError, "resume with --learn-teacher"):
            run("train_autoencoder.py", "--cache", self.cache, "--out", taught, "--decoder-only", "--teacher",
                "--steps", "6")

    @unittest.skipIf(torch.cuda.is_available(), "a GPU is present")
    def check_computed_decoder_exports(self, out, bands):
        """A DiT on the band latents plus vocoder_decoder.py's computed decoder export as any foley-mini:
        the decoder's own widths and transposed upsampling in model_config.json, a note saying its
        weights were computed, and the band statistics, so that import_model.py can go on from it."""
        shutil.copy(os.path.join(ROOT, "models", "foley-mini", "t5", "spiece.model"), out)
        run("train_dit.py", "--out", out, "--batch", "2", "--steps", "2", "--noise-channel-weight", "0.1")
        computed = os.path.join(self.tmp, "computed")
        run("vocoder_decoder.py", "--band-latents", bands, "--out", computed, "--fit-steps", "2")
        state = common.load_checkpoint(os.path.join(computed, "autoencoder.pt"))
        self.assertEqual(state["vocoder_decoder"]["fit_steps"], 2)
        self.assertTrue(all_finite(state["autoencoder"]))
        for name in ("dit.pt", "spiece.model"):
            shutil.copy(os.path.join(out, name), computed)
        dest = os.path.join(self.tmp, "computed_model")
        run("export.py", "--out", computed, "--dest", dest)
        with open(os.path.join(dest, "model_config.json")) as f:
            decoder = json.load(f)["model"]["pretransform"]["config"]["decoder"]["config"]
        self.assertEqual(decoder["c_mults"], [1, 2, 8, 8])
        self.assertNotIn("use_nearest_upsample", decoder)
        _, meta = common.load_f32(os.path.join(dest, "model.safetensors"))
        self.assertIn("vocoder_decoder.py", meta["decoder"])
        # the evaluation encodes clips for this decoder with the export's band statistics, in latent units
        sys.path.insert(0, os.path.join(ROOT, "tools", "eval"))
        import run_eval
        scale = common.load_checkpoint(os.path.join(computed, "dit.pt"))["latent_std"]
        encode = run_eval.band_latent_encoder(dest, scale)
        audio = torch.randn(1, 2, 8 * common.DOWNSAMPLING) * 0.1
        expected = BandLatents(common.load_checkpoint(bands)).posterior(audio)[0]
        self.assertTrue(torch.allclose(encode(audio, sample=False) * scale, expected, atol=1e-5))
        self.assertIsNone(run_eval.band_latent_encoder(os.path.join(ROOT, "tests", "data", "saos-tiny"), 1.0))
        # and back: import_model.py restores the band statistics, and exporting the import gives the same files
        imported = os.path.join(self.tmp, "computed_imported")
        run("import_model.py", "--model", dest, "--out", imported)
        original, restored = (common.load_checkpoint(p) for p in (bands, os.path.join(imported, "band_latents.pt")))
        self.assertEqual(restored["bands"], original["bands"])
        self.assertTrue(torch.equal(restored["mean"], original["mean"]) and torch.equal(restored["std"], original["std"]))
        again = os.path.join(self.tmp, "computed_again")
        run("export.py", "--out", imported, "--dest", again)
        for name in ("model.safetensors", "model_config.json"):
            with open(os.path.join(dest, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    @unittest.skipIf(torch.cuda.is_available(), "a GPU is present")
    def test_a_dit_carried_over_to_more_bands_trains_and_exports_at_their_width(self):
        narrow, wide = os.path.join(self.tmp, "narrow"), os.path.join(self.tmp, "wide")
        for out, n in ((narrow, "32"), (wide, "64")):
            run("band_latents.py", "--cache", self.cache, "--out", out, "--bands", n)
            run("cache_latents.py", "--cache", self.cache, "--out", out, "--band-latents",
                os.path.join(out, "band_latents.pt"))
            shutil.copy(os.path.join(ROOT, "models", "foley-mini", "t5", "spiece.model"), out)
        latents = common.load_checkpoint(os.path.join(wide, "latents_train.pt"))
        self.assertEqual(next(iter(latents["clips"].values()))["mean"].shape[0], 96)
        run("train_dit.py", "--out", narrow, "--batch", "2", "--steps", "2")
        log = run("widen_dit.py", "--dit", os.path.join(narrow, "dit.pt"), "--from-bands",
                  os.path.join(narrow, "band_latents.pt"), "--to-bands", os.path.join(wide, "band_latents.pt"),
                  "--out", os.path.join(wide, "dit.pt"))
        self.assertIn("64 -> 96 latent channels", log)
        log = run("train_dit.py", "--out", wide, "--batch", "2", "--steps", "3")
        self.assertIn("resumed at step 2", log)
        self.assertIn("64 informative latent channels", log)
        run("vocoder_decoder.py", "--band-latents", os.path.join(wide, "band_latents.pt"), "--out", wide,
            "--fit-steps", "2")
        dest = os.path.join(self.tmp, "wide_model")
        run("export.py", "--out", wide, "--dest", dest)
        with open(os.path.join(dest, "model_config.json")) as f:
            model = json.load(f)["model"]
        self.assertEqual((model["io_channels"], model["diffusion"]["config"]["io_channels"],
                          model["pretransform"]["config"]["latent_dim"]), (96, 96, 96))
        self.assertEqual(model["pretransform"]["config"]["decoder"]["config"]["c_mults"], [1, 2, 16, 16])
        imported = os.path.join(self.tmp, "wide_imported")
        run("import_model.py", "--model", dest, "--out", imported)
        restored = common.load_checkpoint(os.path.join(imported, "band_latents.pt"))
        self.assertEqual((restored["bands"], restored["latent_dim"]), (64, 96))

    def test_asking_for_a_gpu_that_is_not_there_is_a_clear_error(self):
        with self.assertRaisesRegex(AssertionError, "sees no CUDA GPU"):
            run("train_dit.py", "--out", self.out, "--steps", "1", env={"FOLEY_DEVICE": "cuda"})


if __name__ == "__main__":
    unittest.main()
