#!/usr/bin/env python3
"""Unit tests of tools/train/probe_latents.py: the probe reads a category that is in the features
and does not invent one that is not."""
import os
import random
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import probe_latents  # noqa: E402

CLASSES = 4


def examples(informative, n=200, channels=8, frames=80, seed=0):
    """Noise features; when informative, class k adds energy to channel k in every frame."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n):
        label = i % CLASSES
        features = torch.randn(channels, frames, generator=gen)
        if informative:
            features[label] *= 3.0
        rows.append((features, label))
    random.Random(seed).shuffle(rows)
    return rows


class ProbeTest(unittest.TestCase):
    def test_reads_a_category_carried_by_channel_energy(self):
        accuracy, test = probe_latents.probe_accuracy(examples(True), CLASSES, steps=300)
        self.assertEqual(len(test), 40)
        self.assertGreater(accuracy, 0.9)

    def test_stays_near_chance_on_features_without_the_category(self):
        accuracy, _ = probe_latents.probe_accuracy(examples(False), CLASSES, steps=300)
        self.assertLess(accuracy, 0.5)

    def test_short_clips_are_padded_to_the_window(self):
        crop = probe_latents.crop(torch.ones(3, 10), random.Random(0))
        self.assertEqual(tuple(crop.shape), (3, probe_latents.WINDOW))
        self.assertEqual(float(crop[:, 10:].abs().sum()), 0.0)


if __name__ == "__main__":
    unittest.main()
