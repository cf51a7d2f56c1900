#!/usr/bin/env python3
"""Unit tests of tools/train/train_dit.py: caption-balanced batches with their content mask (also
with --fill-window), the two cross-attention operations (reset with a zero output; pooled =
uniform attention), and the category head restored by category name on resume."""
import copy
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import common  # noqa: E402
import train_dit  # noqa: E402


class FixedTokenizer:
    def encode(self, text):
        return [3 + len(text) % 7, 4]


def fake_latents():
    """Four clips: two share the caption "dying"; a "door" and a "rain loop" are 5 frames long, the
    door died away by its end, the loop was cut off loud."""
    def clip(caption, frames, category="human", tail_drop_db=0.0):
        return {"mean": torch.randn(common.LATENT_DIM, frames).half(),
                "std": torch.full((common.LATENT_DIM, frames), 0.1).half(),
                "seconds": frames * common.DOWNSAMPLING / common.SAMPLE_RATE, "caption_en": caption,
                "caption_zh": caption, "category": category, "tail_drop_db": tail_drop_db, "peak_s": 0.0}
    return {"clips": {"a": clip("dying", common.MAX_FRAMES), "b": clip("dying", common.MAX_FRAMES),
                      "c": clip("door", 5, "door", tail_drop_db=45.0),
                      "d": clip("rain loop", 5, "weather", tail_drop_db=2.0)},
            "latent_std": 2.0, "silence": torch.zeros(common.LATENT_DIM).half()}


def small_model():
    torch.manual_seed(0)
    model = common.build_foley_model(common.model_config())
    t5 = common.new_t5()
    trainable = common.dit_modules(model, t5)
    return model, trainable


class BatcherTest(unittest.TestCase):
    def test_weights_balance_captions(self):
        batcher = train_dit.Batcher(fake_latents(), FixedTokenizer(), seed=0)
        by_caption = {}
        for clip, weight in zip(batcher.clips, batcher.weights):
            by_caption[clip["caption_en"]] = by_caption.get(clip["caption_en"], 0) + weight
        self.assertAlmostEqual(by_caption["dying"], 2 ** 0.5)  # 2 clips x 1/sqrt(2)
        self.assertAlmostEqual(by_caption["door"], 1.0)

    def test_category_balance_shrinks_large_categories_by_their_weight_to_a_power(self):
        def shares(b):
            batcher = train_dit.Batcher(fake_latents(), FixedTokenizer(), seed=0, category_balance=b)
            mass = {}
            for clip, weight in zip(batcher.clips, batcher.weights):
                mass[clip["category"]] = mass.get(clip["category"], 0) + weight
            return mass
        self.assertAlmostEqual(shares(0.0)["human"], 2 ** 0.5)  # caption-balanced, as without the option
        self.assertAlmostEqual(shares(0.5)["human"], 2 ** 0.25)  # M^(1 - b)
        self.assertAlmostEqual(shares(0.5)["door"], 1.0)
        self.assertEqual(set(round(m, 9) for m in shares(1.0).values()), {1.0})  # every category alike

    def test_content_mask_marks_the_clip_not_the_silence_after_it(self):
        batcher = train_dit.Batcher(fake_latents(), FixedTokenizer(), seed=3)
        for _ in range(20):
            x0, seconds, ids, mask, cats, content = batcher.batch(4)
            frames = x0.shape[-1]
            for i in range(4):
                valid = int(content[i, 0].sum())
                self.assertEqual(content[i, 0, :valid].min(), 1.0)
                self.assertLessEqual(valid, frames)
                expected_seconds = valid * common.DOWNSAMPLING / common.SAMPLE_RATE
                if valid < frames:  # a short clip: silence latent after its 5 frames
                    self.assertEqual(valid, 5)
                    self.assertTrue(torch.equal(x0[i, :, valid:], torch.zeros_like(x0[i, :, valid:])))
                self.assertAlmostEqual(seconds[i], expected_seconds, places=5)
            self.assertEqual(int(mask[0].sum()), 3)  # two pieces + </s>

    def test_fill_window_makes_an_ended_event_and_its_silence_the_whole_requested_sound(self):
        batcher = train_dit.Batcher(fake_latents(), FixedTokenizer(), seed=3, fill_window=1.0)
        seen = set()
        for _ in range(30):
            x0, seconds, _, _, cats, content = batcher.batch(4)
            frames = x0.shape[-1]
            window_seconds = frames * common.DOWNSAMPLING / common.SAMPLE_RATE
            for i, cat in enumerate(cats):
                seen.add(cat)
                if cat == "weather":  # the loop cut off loud keeps its own length: no texture stops early
                    self.assertEqual(int(content[i, 0].sum()), 5)
                    self.assertAlmostEqual(seconds[i], 5 * common.DOWNSAMPLING / common.SAMPLE_RATE, places=5)
                else:  # the door (silence after its 5 frames) and the long clips fill the window
                    self.assertEqual(float(content[i].min()), 1.0)
                    self.assertAlmostEqual(seconds[i], window_seconds, places=5)
        self.assertEqual(seen, {"human", "door", "weather"})

    def test_fill_min_frames_fills_only_windows_that_long(self):
        batcher = train_dit.Batcher(fake_latents(), FixedTokenizer(), seed=3, fill_window=1.0,
                                    fill_min_frames=common.MAX_FRAMES)
        windows = set()
        for _ in range(40):
            x0, seconds, _, _, cats, content = batcher.batch(4)
            frames = x0.shape[-1]
            for i, cat in enumerate(cats):
                if cat == "door":  # died away: filled in the whole window only
                    windows.add(frames)
                    self.assertEqual(int(content[i, 0].sum()), frames if frames == common.MAX_FRAMES else 5)
        self.assertEqual(windows, {w for w, _ in train_dit.WINDOWS})

    def test_fill_max_peak_fills_hits_and_not_events_loudest_later(self):
        latents = fake_latents()
        # the door (loudest at its slam, peak_s 0) and a flyby that also died away but swelled to its third frame
        latents["clips"]["f"] = dict(latents["clips"]["c"], caption_en="flyby", category="vehicle", peak_s=0.06)
        batcher = train_dit.Batcher(latents, FixedTokenizer(), seed=3, fill_window=1.0, fill_max_peak=0.03)
        lengths = {}
        for _ in range(60):
            x0, _, _, _, cats, content = batcher.batch(4)
            for i, cat in enumerate(cats):
                if cat in ("door", "vehicle"):
                    lengths.setdefault(cat, set()).add(int(content[i, 0].sum()) == x0.shape[-1])
        self.assertEqual(lengths, {"door": {True}, "vehicle": {False}})  # filled; kept to its own end
        del latents["clips"]["f"]["peak_s"]
        with self.assertRaises(SystemExit) as caught:
            train_dit.Batcher(latents, FixedTokenizer(), seed=0, fill_window=1.0, fill_max_peak=0.03)
        self.assertIn("peak_s", str(caught.exception))

    def test_fill_floor_holds_the_clips_last_frame_after_it_not_silence(self):
        latents = fake_latents()
        door = latents["clips"]["c"]
        door["std"] = torch.zeros_like(door["std"])  # the posterior's mean only, to compare exactly
        scale = latents["latent_std"]
        for floor in (False, True):
            batcher = train_dit.Batcher(latents, FixedTokenizer(), seed=3, fill_window=1.0, fill_floor=floor)
            filled = 0
            for _ in range(30):
                x0, _, _, _, cats, _ = batcher.batch(4)
                for i, cat in enumerate(cats):
                    if cat != "door":
                        continue
                    filled += 1
                    after = x0[i, :, 5:]
                    self.assertTrue(torch.equal(x0[i, :, :5], door["mean"].float() / scale))
                    held = door["mean"][:, -1:].float().expand_as(after) / scale
                    self.assertTrue(torch.equal(after, held if floor else torch.zeros_like(after)))
            self.assertGreater(filled, 0)

    def test_walk_lays_a_captions_steps_end_to_end_over_the_whole_window(self):
        latents = fake_latents()
        for k, value in (("s1", 1.0), ("s2", 2.0)):  # two one-step clips of 3 frames, told apart by their value
            latents["clips"][k] = {"mean": torch.full((common.LATENT_DIM, 3), value).half(),
                                   "std": torch.zeros(common.LATENT_DIM, 3).half(), "seconds": 0.128,
                                   "caption_en": "footsteps on gravel", "caption_zh": "碎石上的脚步声",
                                   "category": "footsteps", "tail_drop_db": 40.0}
        batcher = train_dit.Batcher(latents, FixedTokenizer(), seed=1, walk=1.0)
        self.assertEqual(set(batcher.steps_of), {"footsteps on gravel"})
        frame_s = common.DOWNSAMPLING / common.SAMPLE_RATE
        low, high = (round(s / frame_s) for s in train_dit.STEP_PERIOD_S)
        walks = 0
        for _ in range(40):
            x0, seconds, _, _, cats, content = batcher.batch(4)
            frames = x0.shape[-1]
            for i, cat in enumerate(cats):
                if cat != "footsteps":
                    continue
                walks += 1
                self.assertEqual(float(content[i].min()), 1.0)
                self.assertAlmostEqual(seconds[i], frames * frame_s, places=5)
                level = x0[i, 0] * 2.0  # undo latent_std
                onsets = [f for f in range(frames) if level[f] != 0 and (f == 0 or level[f - 1] == 0)]
                self.assertGreaterEqual(len(onsets), frames // high)
                gaps = {b - a for a, b in zip(onsets, onsets[1:])}
                self.assertEqual(len(gaps), 1)  # one cadence per walk
                self.assertTrue(low <= gaps.pop() <= high)
                self.assertTrue(set(level.unique().tolist()) <= {0.0, 1.0, 2.0})
        self.assertGreater(walks, 10)

    def test_paraphrase_replaces_a_phrase_in_both_languages_and_leaves_other_captions(self):
        import random
        rng = random.Random(0)
        seen = {train_dit.paraphrased("door closing steel", "门关闭钢", rng) for _ in range(40)}
        self.assertEqual(seen, {("door slam steel", "砰地关门钢"), ("door shutting steel", "关门钢")})
        self.assertEqual(train_dit.paraphrased("footsteps on gravel", "砾石上的脚步声", rng)[1][:3], "砾石上")
        self.assertNotEqual(train_dit.paraphrased("footsteps on gravel", "砾石上的脚步声", rng)[0],
                            "footsteps on gravel")
        self.assertEqual(train_dit.paraphrased("rain", "雨声", rng), ("rain", "雨声"))

    def test_paraphrase_share_of_the_batchers_captions(self):
        latents = fake_latents()
        latents["clips"]["c"].update(caption_en="door closing", caption_zh="门关闭")
        for share, expect_slams in ((0.0, False), (1.0, True)):
            batcher = train_dit.Batcher(latents, FixedTokenizer(), seed=2, paraphrase=share)
            said = {batcher.caption(latents["clips"]["c"]) for _ in range(200)}
            self.assertEqual(bool(said & {"door slam", "door shutting", "砰地关门", "关门"}), expect_slams)
            self.assertEqual("door closing" in said, not expect_slams)

    def test_fill_window_needs_cached_tail_levels(self):
        latents = fake_latents()
        del latents["clips"]["c"]["tail_drop_db"]
        train_dit.Batcher(latents, FixedTokenizer(), seed=0)  # not needed without --fill-window
        with self.assertRaises(SystemExit) as caught:
            train_dit.Batcher(latents, FixedTokenizer(), seed=0, fill_window=0.3)
        self.assertIn("run cache_latents.py again", str(caught.exception))


class ArgumentTest(unittest.TestCase):
    def test_negative_keep_every_and_shares_outside_0_1_are_refused_before_any_file_is_read(self):
        import subprocess
        script = os.path.join(os.path.dirname(train_dit.__file__), "train_dit.py")
        for bad in (["--keep-every", "-1"], ["--walk", "1.5"], ["--paraphrase", "-0.1"], ["--fill-window", "2"],
                    ["--category-balance", "1.5"], ["--fill-min-frames", "-1"], ["--fill-max-peak", "-0.5"]):
            done = subprocess.run([sys.executable, script, "--out", "/nonexistent", *bad], capture_output=True, text=True)
            self.assertEqual(done.returncode, 2, bad)
            self.assertIn("must be 0 (off) or more", done.stderr)

    def test_fill_floor_without_fill_window_is_refused(self):
        import subprocess
        script = os.path.join(os.path.dirname(train_dit.__file__), "train_dit.py")
        done = subprocess.run([sys.executable, script, "--out", "/nonexistent", "--fill-floor"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertIn("give --fill-window too", done.stderr)


class TailDropTest(unittest.TestCase):
    """cache_latents.tail_drop_db: which clips --fill-window may take."""

    def test_a_decay_ends_far_under_its_peak_and_a_loop_does_not(self):
        import numpy as np
        import cache_latents
        frames = 40 * common.DOWNSAMPLING
        noise = np.random.default_rng(0).standard_normal((2, frames))
        decay = np.exp(-np.arange(frames) / (4 * common.DOWNSAMPLING))  # -2.2 dB per frame
        self.assertGreater(cache_latents.tail_drop_db((8000 * noise * decay).astype(np.int16)), 60.0)
        self.assertLess(cache_latents.tail_drop_db((8000 * noise).astype(np.int16)), 3.0)
        self.assertEqual(cache_latents.tail_drop_db(np.zeros((2, common.DOWNSAMPLING), np.int16)), 0.0)

    def test_peak_seconds_is_when_the_loudest_frame_starts(self):
        import numpy as np
        import cache_latents
        frame_s = common.DOWNSAMPLING / common.SAMPLE_RATE
        noise = np.random.default_rng(0).standard_normal((2, 40 * common.DOWNSAMPLING))
        swell = np.minimum(np.arange(noise.shape[1]) // common.DOWNSAMPLING, 30 - np.arange(noise.shape[1]) // common.DOWNSAMPLING)
        swell = 10.0 ** (np.maximum(swell, 0) / 10)  # +1 dB per frame up to frame 15, then down
        self.assertAlmostEqual(cache_latents.peak_seconds((800 * noise * swell).astype(np.int16)), 15 * frame_s)
        decay = np.exp(-np.arange(noise.shape[1]) / (4 * common.DOWNSAMPLING))
        self.assertEqual(cache_latents.peak_seconds((8000 * noise * decay).astype(np.int16)), 0.0)
        self.assertEqual(cache_latents.peak_seconds(np.zeros((2, common.DOWNSAMPLING), np.int16)), 0.0)


class CrossAttentionTest(unittest.TestCase):
    def inputs(self, model):
        torch.manual_seed(1)
        x = torch.randn(2, common.LATENT_DIM, 8)
        t = torch.full((2,), 0.7)
        context = torch.randn(2, common.MAX_PROMPT_TOKENS + 1, common.T5_CONFIG["d_model"])
        global_cond = torch.randn(2, common.T5_CONFIG["d_model"])
        return x, t, context, global_cond

    def test_reset_zeroes_the_output_so_the_prompt_has_no_effect_yet(self):
        model, trainable = small_model()
        ema = copy.deepcopy(trainable)
        opt = torch.optim.AdamW(trainable.parameters())
        train_dit.reset_cross_attention(trainable, ema, opt)
        x, t, context, global_cond = self.inputs(model)
        with torch.no_grad():
            a = model.dit(x, t, cross_attn_cond=context, global_cond=global_cond)
            b = model.dit(x, t, cross_attn_cond=torch.randn_like(context), global_cond=global_cond)
        self.assertTrue(torch.allclose(a, b))
        ema_out = dict(ema.named_parameters())["dit.model.transformer.layers.0.cross_attn.to_out.weight"]
        self.assertTrue(torch.equal(ema_out, torch.zeros_like(ema_out)))

    def test_pooled_attention_is_uniform_over_context_rows(self):
        model, trainable = small_model()
        for name, p in trainable.named_parameters():  # a non-zero output so the context matters
            if name.endswith("cross_attn.to_out.weight"):
                torch.nn.init.normal_(p, std=0.05)
        ema = copy.deepcopy(trainable)
        train_dit.pool_cross_attention(trainable, ema)
        x, t, context, global_cond = self.inputs(model)
        shuffled = context[:, torch.randperm(context.shape[1])]
        with torch.no_grad():
            a = model.dit(x, t, cross_attn_cond=context, global_cond=global_cond)
            b = model.dit(x, t, cross_attn_cond=shuffled, global_cond=global_cond)
            c = model.dit(x, t, cross_attn_cond=torch.randn_like(context), global_cond=global_cond)
        self.assertTrue(torch.allclose(a, b, atol=1e-5))  # uniform weights: row order is irrelevant
        self.assertFalse(torch.allclose(a, c, atol=1e-3))  # but the rows' values still matter
        frozen = [n for n, p in trainable.named_parameters() if not p.requires_grad]
        self.assertEqual(len(frozen), 12)  # to_q + q_norm weight/bias in 4 layers

    def trained_head(self, categories):
        """A category head after one Adam step, and its checkpoint state."""
        head = torch.nn.Linear(4, len(categories))
        opt = torch.optim.AdamW(head.parameters())
        head(torch.randn(2, 4)).sum().backward()
        opt.step()
        return head, opt, {"aux_head": head.state_dict(), "aux_categories": categories}

    def test_category_head_rows_follow_their_names_into_a_new_vocabulary(self):
        old, old_opt, state = self.trained_head(["door", "weather"])
        state["optimizer"] = old_opt.state_dict()
        head = torch.nn.Linear(4, 3)
        opt = torch.optim.AdamW(head.parameters())
        opt.load_state_dict(state["optimizer"])  # as on resume: moments of the old shape
        fresh = head.weight[1].detach().clone()
        train_dit.load_aux_head(head, opt, state, ["door", "misc", "weather"])
        self.assertTrue(torch.equal(head.weight[0], old.weight[0]))
        self.assertTrue(torch.equal(head.weight[2], old.weight[1]))
        self.assertTrue(torch.equal(head.weight[1], fresh))
        moments = opt.state[head.weight]["exp_avg"]
        self.assertEqual(moments.shape, head.weight.shape)
        self.assertTrue(torch.equal(moments[2], old_opt.state[old.weight]["exp_avg"][1]))
        self.assertTrue(torch.equal(moments[1], torch.zeros(4)))
        head(torch.randn(2, 4)).sum().backward()
        opt.step()  # the resumed optimizer steps with moments that fit

    def test_category_head_of_an_unnamed_checkpoint_is_kept_only_when_it_fits(self):
        old, old_opt, state = self.trained_head(["door", "weather"])
        del state["aux_categories"]
        same = torch.nn.Linear(4, 2)
        train_dit.load_aux_head(same, torch.optim.AdamW(same.parameters()), state, ["door", "weather"])
        self.assertTrue(torch.equal(same.weight, old.weight))
        other = torch.nn.Linear(4, 3)
        opt = torch.optim.AdamW(other.parameters())
        opt.load_state_dict(old_opt.state_dict())  # moments of the old shape, as on resume
        before = other.weight.detach().clone()
        train_dit.load_aux_head(other, opt, state, ["a", "b", "c"])
        self.assertTrue(torch.equal(other.weight, before))
        other(torch.randn(2, 4)).sum().backward()
        opt.step()  # the old moments were dropped, not left to break the step

    def test_category_head_moments_follow_names_even_when_the_count_is_unchanged(self):
        old, old_opt, state = self.trained_head(["door", "weather"])
        head = torch.nn.Linear(4, 2)
        opt = torch.optim.AdamW(head.parameters())
        opt.load_state_dict(old_opt.state_dict())
        train_dit.load_aux_head(head, opt, state, ["misc", "weather"])
        self.assertTrue(torch.equal(head.weight[1], old.weight[1]))
        self.assertTrue(torch.equal(opt.state[head.weight]["exp_avg"][0], torch.zeros(4)))


if __name__ == "__main__":
    unittest.main()
