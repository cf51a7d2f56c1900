"""run_eval.py end to end on a synthetic held-out set (no model): manifest formats,
calibration table, report files. Optional model stages are exercised with
tests/data/tiny-pipeline when the PyTorch reference can load it."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(ROOT, "tools/eval"))
import audio_io  # noqa: E402
import manifest  # noqa: E402
import yamnet  # noqa: E402

MODEL = os.path.join(yamnet.DEFAULT_DIR, "yamnet.tflite")
SR = 48000


def write_clips(d):
    rng = np.random.default_rng(0)
    t = np.arange(2 * SR) / SR
    beep = 0.5 * np.sin(2 * np.pi * 1000 * t)
    clips = {"a": (np.stack([beep, beep], 1), "a short beep", "哔哔声"),
             "b": (rng.uniform(-0.5, 0.5, (2 * SR, 2)), "static noise hiss of a snake", "蛇"),
             "c": (np.stack([beep, beep], 1), "a clock ticking", "时钟"),
             "d": (rng.uniform(-0.5, 0.5, (SR, 2)), "training clip", "训练")}
    os.makedirs(os.path.join(d, "clips"))
    rows = ["clip\tpackage\tpath\tseconds\tsplit\tcaption_en\tcaption_zh"]
    for name, (x, en, zh) in clips.items():
        audio_io.write_wav(os.path.join(d, "clips", f"{name}.wav"), x, SR)
        split = "train" if name == "d" else "test"
        rows.append(f"{name}\tpkg\tsrc/{name}.ogg\t{len(x) / SR}\t{split}\t{en}\t{zh}")
    path = os.path.join(d, "manifest.tsv")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    return path


class ManifestTest(unittest.TestCase):
    def test_tsv_with_clip_column(self):
        with tempfile.TemporaryDirectory() as d:
            clips = manifest.load(write_clips(d))
            self.assertEqual(len(clips), 4)
            self.assertTrue(clips[0].path.endswith("clips/a.wav"))
            self.assertEqual([c.id for c in manifest.held_out(clips)], ["a", "b", "c"])
            self.assertEqual(clips[0].caption_zh, "哔哔声")

    def test_jsonl(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.jsonl")
            with open(p, "w") as f:
                f.write(json.dumps({"audio_path": "/x.wav", "caption": "rain", "split": "test"}) + "\n")
            c = manifest.load(p)
            self.assertEqual((c[0].path, c[0].caption_en, c[0].split), ("/x.wav", "rain", "test"))

    def test_missing_audio_column_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.jsonl")
            with open(p, "w") as f:
                f.write(json.dumps({"caption": "rain"}) + "\n")
            with self.assertRaises(ValueError):
                manifest.load(p)


class ClipCategoryTest(unittest.TestCase):
    def clip(self, en, zh):
        return manifest.Clip(id="x", path="/x.wav", caption_en=en, caption_zh=zh, split="test",
                             seconds=1.0, package="pkg")

    def test_an_english_caption_decides_and_chinese_substrings_do_not_override_it(self):
        import run_eval
        self.assertIsNone(run_eval.clip_category(self.clip("potion", "药水的声音")))  # 水 is not water here
        self.assertEqual(run_eval.clip_category(self.clip("rain loop", "雨声")).name, "rain")

    def test_a_chinese_only_caption_is_categorised_from_the_chinese(self):
        import run_eval
        self.assertEqual(run_eval.clip_category(self.clip("", "雨声")).name, "rain")


class AudiblePartTest(unittest.TestCase):
    def test_cuts_the_silence_around_a_one_shot_but_keeps_its_tail_and_one_second(self):
        sr = 16000
        t = np.arange(sr // 2) / sr
        hit = np.sin(2 * np.pi * 300 * t) * np.exp(-t / 0.05)  # a 0.5 s decaying knock
        clip = np.concatenate([np.zeros(sr), hit, np.zeros(3 * sr)])
        part = audio_io.audible_part(clip, sr)
        # from the knock's start (not the silence before it), one second: the knock and its tail are
        # shorter than YAMNet's 0.96 s window
        self.assertTrue(np.array_equal(part, clip[sr:2 * sr]))
        rain = np.random.default_rng(0).standard_normal(5 * sr) * 0.1
        self.assertEqual(len(audio_io.audible_part(rain, sr)), 5 * sr)  # a steady sound is kept whole
        self.assertEqual(len(audio_io.audible_part(np.zeros(5 * sr), sr)), 5 * sr)  # silence: nothing to cut to


@unittest.skipUnless(os.path.exists(MODEL), "yamnet.tflite not present")
def fresh_autoencoder(d):
    """An untrained foley-mini autoencoder.pt (tools/train's format) in d: its path."""
    import torch
    sys.path.insert(0, os.path.join(ROOT, "tools/train"))
    import common
    torch.manual_seed(0)
    path = os.path.join(d, "autoencoder.pt")
    torch.save({"autoencoder": common.build_foley_model(common.model_config()).pretransform.model.state_dict()}, path)
    return path


def band_autoencoder(d):
    """A band-latent autoencoder.pt in d holding only its 32-band statistics (all --teacher reads): its path."""
    import torch
    path = os.path.join(d, "band_autoencoder.pt")
    torch.save({"band_latents": {"bands": 32, "mean": torch.full((32,), -8.0), "std": torch.full((32,), 2.0)}}, path)
    return path


class BandVocoderTest(unittest.TestCase):
    """run_eval --band-vocoder: the decoder stand-ins that measure a band-latent DiT alone."""

    def test_white_noise_ignores_the_excitation_channels_and_the_teacher_follows_them(self):
        import torch
        import run_eval
        sys.path.insert(0, os.path.join(ROOT, "tools/train"))
        import common
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "band_latents.pt")
            common.save_checkpoint(path, {"bands": 32, "mean": torch.full((32,), -8.0), "std": torch.full((32,), 2.0)})
            z = torch.randn(1, common.LATENT_DIM, 8, generator=torch.Generator().manual_seed(0))
            other = torch.cat([z[:, :32], torch.randn(1, common.LATENT_DIM - 32, 8)], dim=1)
            white = run_eval.band_vocoder_decoder(path, 1.0)
            teacher = run_eval.band_vocoder_decoder(path, 1.0, "latents")
            self.assertEqual(tuple(teacher(z).shape), (1, 2, 8 * common.DOWNSAMPLING))
            self.assertTrue(torch.allclose(white(z), white(other)))
            self.assertTrue(torch.equal(teacher(z), teacher(z)))
            self.assertFalse(torch.allclose(teacher(z), teacher(other)))

    def test_excitation_choice_needs_the_band_vocoder(self):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools/eval/run_eval.py"), "--manifest", "m.tsv",
                               "--band-vocoder-excitation", "latents"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--band-vocoder-excitation needs --band-vocoder", proc.stderr)


class FdWithoutCaptionTest(unittest.TestCase):
    def test_names_the_caption_whose_alike_clips_raise_the_distance(self):
        import metrics
        import run_eval
        rng = np.random.default_rng(0)
        real = rng.standard_normal((60, 8))
        records, emb = [{"error": "engine failed", "lang": "en", "prompt": "x"}], []
        for caption, centre in (("rain", 0.0), ("wolf", 0.0), ("airplane jet", 6.0)):
            for seed in range(4):
                for lang, prompt in (("en", caption), ("zh", caption + " (zh)")):
                    records.append({"clip_id": "id " + caption, "lang": lang, "prompt": prompt, "seed": seed})
                    emb.append(centre + rng.standard_normal(8) * (0.05 if centre else 1.0))
        emb = np.array(emb)
        rows = run_eval.fd_without_each_caption(records, emb, real)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0][0], "airplane jet")  # named by its English prompt
        self.assertLess(rows[0][1], metrics.frechet_distance(emb, real) / 3)
        self.assertAlmostEqual(rows[0][1], metrics.frechet_distance(emb[:16], real))
        with self.assertRaises(ValueError):
            run_eval.fd_without_each_caption(records, emb[:-1], real)


class HarnessTest(unittest.TestCase):
    def test_calibration_run(self):
        with tempfile.TemporaryDirectory() as d:
            m = write_clips(d)
            out = os.path.join(d, "out")
            proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools/eval/run_eval.py"),
                                   "--manifest", m, "--out", out, "--tag", "t", "--no-cache"],
                                  capture_output=True, text=True, timeout=240)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            res = json.load(open(os.path.join(out, "results_t.json")))
            self.assertEqual(res["data"]["held_out"], 3)
            table = res["real_adherence"]["per_category"]
            self.assertEqual(table["beep or notification"]["hits"], 1)  # a sine is a beep
            self.assertIn("clock", table)
            report = open(os.path.join(out, "REPORT_t.md"), encoding="utf-8").read()
            self.assertIn("real held-out clips (calibration)", report)


if __name__ == "__main__":
    unittest.main()


class WalkTest(unittest.TestCase):
    """listen_proxy.walk: the audio form of train_dit --walk's cadence."""

    def test_steps_follow_one_period_or_their_own_length_with_silence_between(self):
        import listen_proxy
        steps = {2.0: np.ones((SR // 10, 2)), 3.0: np.ones((SR, 2))}  # 0.1 s and 1 s, told apart by a first-sample mark
        for mark, step in steps.items():
            step[0] = mark
        for seed in range(20):
            x = listen_proxy.walk(list(steps.values()), 6.0, random.Random(seed), (0.45, 0.7))
            self.assertEqual(x.shape, (6 * SR, 2))
            starts = np.flatnonzero(x[:, 0] > 1)
            self.assertLess(starts[0], 0.7 * SR)
            self.assertEqual(set(x[starts, 0]), {2.0, 3.0}, seed)  # both steps drawn (20 seeds, about 9 steps each)
            gaps, marks = np.diff(starts), x[starts[:-1], 0]
            after_short = set(gaps[marks == 2.0])  # one period for the whole walk, a walking one
            self.assertEqual(len(after_short), 1, seed)
            period = after_short.pop()
            self.assertTrue(0.45 * SR - 1 <= period <= 0.7 * SR + 1, period)
            self.assertTrue((gaps[marks == 3.0] == SR).all())  # a step longer than the period: right after it
            self.assertTrue((x[:, 0] == 0).any())  # silence between short steps


@unittest.skipUnless(os.path.exists(MODEL), "yamnet.tflite not present")
class ListenProxyCalibrationTest(unittest.TestCase):
    """listen_proxy --real: the proxy's ear on the dataset's own clips of each prompt's category."""

    def run_proxy(self, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "tools/eval/listen_proxy.py"), *args],
                              capture_output=True, text=True, timeout=240)

    def test_scores_the_clips_of_the_prompts_category_as_recorded_and_vocoded(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "proxy.md")
            proc = self.run_proxy("--real", write_clips(d), "--vocoded", "--prompts", "beep", "snake",
                                  "--out", out)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            report = open(out, encoding="utf-8").read()
            # one clip each: the sine is heard as a beep (as in the calibration run); the clock and the
            # uncategorised training clip belong to neither prompt
            self.assertIn("| beep | beep or notification | 1/1 |", report)
            self.assertIn("| snake | snake | ", report)
            self.assertIn("a short beep (`a`)", report)
            self.assertNotIn("clock", report)
            self.assertEqual(report.count("| beep | a short beep"), 1)
            self.assertIn("| hits | vocoded hits |", report)

    def test_walks_lay_the_one_step_clips_of_the_prompts_caption_end_to_end(self):
        with tempfile.TemporaryDirectory() as d:
            rng = np.random.default_rng(1)
            rows = ["clip\tpackage\tpath\tseconds\tsplit\tcaption_en\tcaption_zh"]
            for name, en, zh in (("g1", "footsteps on gravel", "砾石上的脚步声"),
                                 ("g2", "footsteps on gravel", "砾石上的脚步声"),
                                 ("s1", "footsteps on snow", "雪地上的脚步声"),
                                 ("b1", "a short beep", "哔哔声")):
                audio_io.write_wav(os.path.join(d, f"{name}.wav"), rng.uniform(-0.5, 0.5, (SR // 5, 1)), SR)
                rows.append(f"{name}\tpkg\t{name}.wav\t0.2\ttest\t{en}\t{zh}")
            path = os.path.join(d, "manifest.tsv")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(rows) + "\n")
            out = os.path.join(d, "proxy.md")
            proc = self.run_proxy("--real", path, "--walks", "2", "--seconds", "3", "--out", out,
                                  "--prompts", "footsteps on gravel", "footsteps", "beep")
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            report = open(out, encoding="utf-8").read()
            # the prompt's own caption alone; a prompt that is no caption walks every footstep caption;
            # a category without footstep captions has no walks
            self.assertEqual(report.count("| footsteps on gravel | walk "), 2)
            self.assertIn("| footsteps on gravel | walk 2 of footsteps on gravel (2 clips) |", report)
            self.assertEqual(report.count("| footsteps | walk "), 4)
            self.assertIn("| footsteps | walk 1 of footsteps on snow (1 clips) |", report)
            self.assertIn("| beep | beep or notification | 0/0 |", report)
            # and each walk also through an autoencoder (the decoder's ceiling for a walk)
            proc = self.run_proxy("--real", path, "--walks", "1", "--seconds", "3", "--out", out,
                                  "--prompts", "footsteps on gravel", "--decoded", fresh_autoencoder(d))
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            report = open(out, encoding="utf-8").read()
            self.assertIn("| prompt | walk | top 5 (score) | hit | decoded: top 5 | hit |", report)
            self.assertIn("rebuilt through the autoencoder", report)
            self.assertIn("| footsteps on gravel | footsteps | 0/1 | 0/1 |", report)
            # and by the excitation vocoder of a band-latent checkpoint (the decoder's teacher)
            proc = self.run_proxy("--real", path, "--walks", "1", "--seconds", "3", "--out", out, "--prompts",
                                  "footsteps on gravel", "--teacher", band_autoencoder(d), "--constant-modulus")
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            report = open(out, encoding="utf-8").read()
            self.assertIn("| prompt | walk | top 5 (score) | hit | teacher: top 5 | hit |", report)
            self.assertIn("band latents (constant modulus)", report)
            proc = self.run_proxy("--real", path, "--walks", "1", "--teacher", os.path.join(d, "autoencoder.pt"))
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("holds no band latents", proc.stderr)

    def test_teacher_rebuild_follows_the_constant_modulus_choice(self):
        import listen_proxy
        with tempfile.TemporaryDirectory() as d:
            path = band_autoencoder(d)
            x = np.random.default_rng(3).uniform(-0.5, 0.5, (5000, 1))
            plain, constant = (listen_proxy.teacher_of(path, c)(x) for c in (False, True))
        self.assertEqual(plain.shape, (5000, 2))
        self.assertEqual(constant.shape, (5000, 2))
        self.assertFalse(np.allclose(plain, constant))

    def test_decoded_rebuild_keeps_the_length_and_makes_stereo(self):
        import listen_proxy
        with tempfile.TemporaryDirectory() as d:
            rebuild = listen_proxy.decoded_by(fresh_autoencoder(d))
        rng = np.random.default_rng(2)
        for shape in ((SR // 3, 1), (5000, 2), (4096, 3)):  # not whole latent frames; mono; a third channel
            y = rebuild(rng.uniform(-0.5, 0.5, shape))
            self.assertEqual(y.shape, (shape[0], 2), shape)
            self.assertTrue(np.isfinite(y).all())
        self.assertGreater(float(np.abs(y).max()), 0.0)

    def test_generates_the_seeds_it_is_given(self):
        # a stand-in for the engine CLI that renders a 1 kHz beep and logs the seed it was asked for
        with tempfile.TemporaryDirectory() as d:
            engine, log = os.path.join(d, "engine"), os.path.join(d, "seeds.log")
            with open(engine, "w", encoding="utf-8") as f:
                f.write(f"""#!{sys.executable}
import sys, wave
import numpy as np
a = sys.argv
open({log!r}, "a").write(a[a.index("--seed") + 1] + "\\n")
x = (0.5 * 32767 * np.sin(2 * np.pi * 1000 * np.arange(48000) / 48000)).astype("<i2")
with wave.open(a[a.index("-o") + 1], "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(48000)
    w.writeframes(np.repeat(x, 2).tobytes())
""")
            os.chmod(engine, 0o755)
            out = os.path.join(d, "proxy.md")
            proc = self.run_proxy("--engine", engine, "--model", "m", "--prompts", "beep", "--seeds", "2",
                                  "--first-seed", "16", "--out", out)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            with open(log, encoding="utf-8") as f:
                self.assertEqual(f.read().split(), ["16", "17"])
            report = open(out, encoding="utf-8").read()
            self.assertIn("seeds 16..17.", report)
            self.assertIn("| beep | 16 |", report)
            self.assertIn("| beep | beep or notification | 2/2 |", report)

    def test_needs_an_engine_or_a_manifest(self):
        proc = self.run_proxy("--prompts", "beep")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("give --engine and --model, or --real MANIFEST", proc.stderr)
        proc = self.run_proxy("--engine", "foley", "--model", "m", "--vocoded")
        self.assertIn("--vocoded, --decoded, --teacher and --walks need --real", proc.stderr)
        proc = self.run_proxy("--engine", "foley", "--model", "m", "--walks", "2")
        self.assertIn("--vocoded, --decoded, --teacher and --walks need --real", proc.stderr)
        proc = self.run_proxy("--engine", "foley", "--model", "m", "--decoded", "ae.pt")
        self.assertIn("--vocoded, --decoded, --teacher and --walks need --real", proc.stderr)
        proc = self.run_proxy("--real", "m.tsv", "--decoded", "/nonexistent/ae.pt")
        self.assertIn("--decoded: no such file: /nonexistent/ae.pt", proc.stderr)
        proc = self.run_proxy("--real", "m.tsv", "--constant-modulus")
        self.assertIn("--constant-modulus shapes the --teacher rebuild", proc.stderr)
        proc = self.run_proxy("--engine", "foley", "--model", "m", "--first-seed", "-1")
        self.assertIn("--first-seed must not be negative", proc.stderr)
