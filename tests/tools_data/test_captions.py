#!/usr/bin/env python3
"""Unit tests of tools/data: caption cleaner, English->Chinese glossary, exclusion rules and
the stratified hash split."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "data"))

import captions  # noqa: E402
from vocabulary import CATEGORY_NAMES, CATEGORY_PRIORITY, GLOSSARY, VOCABULARY  # noqa: E402


class CaptionTest(unittest.TestCase):
    def check(self, path, en, zh=None, category=None):
        got = captions.caption_for_path(path)
        self.assertIsNotNone(got, path)
        self.assertEqual(got[0], en, path)
        if zh is not None:
            self.assertEqual(got[1], zh, path)
        if category is not None:
            self.assertEqual(got[2], category, path)

    def test_issue_example(self):
        self.check("weapons/sword_hit_metal_02.ogg", "sword hitting metal", "剑击中金属", "impact")

    def test_folder_supplies_action(self):
        self.check("audio/attack/impact/arrow_wood_09.ogg", "arrow hitting wood", "箭击中木头")

    def test_footsteps_on_surface(self):
        self.check("zip_0snd.pk3/sound/footsteps/gravel3.ogg", "footsteps on gravel", "砾石上的脚步声", "footsteps")
        self.check("audio/actor/singlesteps/fs_snow_12.ogg", "footsteps on snow", "雪上的脚步声")

    def test_source_and_action(self):
        self.check("zip_0snd.pk3/sound/doors/door3-open.ogg", "door opening", "门打开", "door")
        self.check("zip_0snd.pk3/sound/doors/open_close.ogg", "opening", "打开的声音", "door")  # the folder says door
        self.check("data/core/sounds/orc-die-3.ogg", "orc dying", "兽人死亡", "creature")

    def test_a_desktop_themes_window_is_an_interface_sound_and_a_cockpits_a_window(self):
        self.check("usr/share/sounds/Oxygen-Window-Minimize.ogg", "desktop window", "桌面窗口的声音", "ui")
        self.check("usr/share/games/flightgear/Aircraft/c172p/Sounds/window-closing.wav", "window closing",
                   "窗户关闭", "door")

    def test_words_that_named_no_door(self):
        # megaglest's dr_ is the dragon rider, pokerth's blinds are the poker stakes
        self.check("usr/share/games/megaglest/techs/megapack/factions/magic/units/dragon_rider/sounds/dr_die1.wav",
                   "dying", "死亡的声音", "creature")  # the folder names a dragon
        self.assertIsNone(captions.caption_for_path("usr/share/games/pokerth/sounds/default/blinds_raises_level1.wav"))

    def test_opening_and_closing_name_no_category_of_their_own(self):
        self.check("usr/share/lmms/samples/drums/hihat_closed01.ogg", "hi-hat closing", category="percussion")
        self.check("usr/share/sonic-pi/samples/drum_cymbal_open.flac", category="percussion",
                   en="drum cymbal opening")

    def test_source_only_gets_sound_word_in_chinese(self):
        self.check("tilesets/winter/sounds/wolf.wav", "wolf", "狼的声音", "animal")
        self.check("sounds/rain.ogg", "rain", "雨声", "weather")

    def test_camel_case_and_digits(self):
        self.check("Sounds/Footstep_Wood-Walking02b.ogg", "footsteps on wood")
        self.assertEqual(captions.tokens_of("WilhelmScream2"), ["wilhelm", "scream"])

    def test_unknown_words_give_no_caption(self):
        self.assertIsNone(captions.caption_for_path("audio/sfx/pcv361.ogg"))
        self.assertIsNone(captions.caption_for_path("zip_base.wz/audio/xq_7.wav"))

    def test_music_and_speech_excluded(self):
        self.assertTrue(captions.is_excluded("samples/loop_amen_full.flac"))
        self.assertTrue(captions.is_excluded("zip_data.zip/sounds/codriver/ab/RightCutOver.wav"))
        self.assertTrue(captions.is_excluded("units/archer/sounds/archer_select2.wav"))
        self.assertTrue(captions.is_excluded("samples/bassloops/tb303_01.ogg"))
        self.assertFalse(captions.is_excluded("audio/attack/impact/arrow_wood_09.ogg"))


class GlossaryTest(unittest.TestCase):
    def test_every_term_has_chinese(self):
        for token, (en, zh, role, category) in VOCABULARY.items():
            self.assertTrue(en and zh, token)
            self.assertTrue(any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{token}: {zh!r} has no Chinese")
            self.assertIn(category, CATEGORY_PRIORITY + [""], token)
            self.assertEqual(token, token.lower(), token)

    def test_glossary_is_consistent(self):
        for en, zh, _, _ in VOCABULARY.values():
            self.assertIn(en, GLOSSARY)
        self.assertEqual(GLOSSARY["rain"], "雨声")
        self.assertEqual(GLOSSARY["explosion"], "爆炸")
        self.assertEqual(GLOSSARY["footsteps"], "脚步声")

    def test_every_category_has_names(self):
        for category in CATEGORY_PRIORITY:
            self.assertIn(category, CATEGORY_NAMES)


class SplitTest(unittest.TestCase):
    def test_stable_hash_is_deterministic(self):
        self.assertEqual(captions.stable_hash("abc"), captions.stable_hash("abc"))
        # A fixed value: the split must not change between Python versions or machines.
        self.assertEqual(captions.stable_hash("0ad-data/audio/x.ogg"), 0x316c2be2662e04a6)
        self.assertNotEqual(captions.stable_hash("a"), captions.stable_hash("b"))

    def test_every_category_on_both_sides(self):
        clips = [(f"clip{i}", cat) for cat in ("a", "b", "c") for i in range(3 if cat == "c" else 40)]
        clips = [(f"{cat}-{cid}", cat) for cid, cat in clips]
        split = captions.assign_split(clips, test_permille=50)
        for cat in ("a", "b", "c"):
            sides = {split[cid] for cid, c in clips if c == cat}
            self.assertEqual(sides, {"train", "test"}, cat)

    def test_split_is_independent_of_order(self):
        clips = [(f"x{i}", "k" if i % 2 else "m") for i in range(200)]
        a = captions.assign_split(clips)
        b = captions.assign_split(list(reversed(clips)))
        self.assertEqual(a, b)

    def test_most_clips_keep_their_side_when_data_grows(self):
        base = [(f"x{i}", "k") for i in range(500)]
        grown = base + [(f"y{i}", "k") for i in range(100)]
        a, b = captions.assign_split(base), captions.assign_split(grown)
        moved = sum(a[c] != b[c] for c, _ in base)
        self.assertLessEqual(moved, 1)

    def test_single_clip_category_stays_in_train_or_test_without_crash(self):
        split = captions.assign_split([("only", "solo")])
        self.assertIn(split["only"], ("train", "test"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
