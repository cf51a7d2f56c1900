"""Caption -> category mapping (English and Chinese) and class names exist in YAMNet."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tools/eval"))
import category_map as C  # noqa: E402
import yamnet  # noqa: E402

CLASS_MAP = os.path.join(yamnet.DEFAULT_DIR, "yamnet_class_map.csv")


class CategoryMapTest(unittest.TestCase):
    def test_english_and_chinese(self):
        cases = {"a dog barking in the distance": "dog", "狗叫声": "dog",
                 "glass breaking on the floor": "glass breaking", "玻璃破碎": "glass breaking",
                 "heavy rain": "rain", "大雨声": "rain", "thunder rumble": "thunder",
                 "雷声": "thunder", "footsteps on gravel": "footsteps", "脚步声": "footsteps",
                 "large explosion": "explosion", "爆炸声": "explosion", "a door slams": "door",
                 "关门声": "door", "pistol gunshot": "gunshot", "枪声": "gunshot"}
        for caption, name in cases.items():
            cat = C.categorize(caption)
            self.assertIsNotNone(cat, caption)
            self.assertEqual(cat.name, name, caption)

    def test_whole_words_only(self):
        self.assertIsNone(C.categorize("a catalogue of sounds"))  # not "cat"
        self.assertIsNone(C.categorize(""))

    @unittest.skipUnless(os.path.exists(CLASS_MAP), "class map not present")
    def test_all_classes_exist(self):
        names = yamnet.load_class_names(CLASS_MAP)
        self.assertEqual(C.validate(names), [])
        self.assertGreaterEqual(len(C.CATEGORIES), 20)


if __name__ == "__main__":
    unittest.main()
