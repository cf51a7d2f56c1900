#!/usr/bin/env python3
"""Unit tests of tools/train/discriminator.py: what it returns, that it learns to tell a tone
from noise of the same level, and that the decoder's losses send gradient only to the fake."""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

from discriminator import MultiResolutionDiscriminator, discriminator_loss, generator_losses  # noqa: E402

SAMPLES = 8192


def tones(batch):
    t = torch.arange(SAMPLES) / 48000.0
    freqs = torch.linspace(300, 3000, batch)[:, None]
    wave = 0.3 * torch.sin(2 * np.pi * freqs * t)
    return torch.stack([wave, wave], dim=1)


def noise(batch):
    return 0.3 * torch.randn(batch, 2, SAMPLES)


class DiscriminatorTest(unittest.TestCase):
    def test_one_logit_map_and_feature_maps_per_resolution(self):
        torch.manual_seed(0)
        disc = MultiResolutionDiscriminator(sizes=(1024, 512))
        outputs = disc(noise(2))
        self.assertEqual(len(outputs), 2)
        for logits, features in outputs:
            self.assertEqual(logits.shape[:2], (2, 1))
            self.assertEqual(len(features), 5)
            self.assertTrue(torch.isfinite(logits).all())

    def test_learns_to_tell_tones_from_noise(self):
        torch.manual_seed(0)
        disc = MultiResolutionDiscriminator(sizes=(512,), channels=8)
        opt = torch.optim.Adam(disc.parameters(), lr=1e-3)
        real, fake = tones(4), noise(4)
        first = float(discriminator_loss(disc, real, fake))
        for _ in range(60):
            opt.zero_grad()
            loss = discriminator_loss(disc, real, fake)
            loss.backward()
            opt.step()
        self.assertLess(float(loss), 0.5 * first)
        (logit_real, _), = disc(real)
        (logit_fake, _), = disc(fake)
        self.assertGreater(float(logit_real.mean()), float(logit_fake.mean()))

    def test_generator_losses_reach_the_fake_only(self):
        torch.manual_seed(0)
        disc = MultiResolutionDiscriminator(sizes=(512,), channels=8)
        real = tones(2).requires_grad_(True)
        fake = noise(2).requires_grad_(True)
        adv, fm = generator_losses(disc, real, fake)
        (adv + fm).backward()
        self.assertGreater(float(fm), 0.0)
        self.assertIsNone(real.grad)
        self.assertGreater(float(fake.grad.abs().sum()), 0.0)
        self.assertTrue(all(p.grad is None for p in disc.parameters()))
        self.assertTrue(all(p.requires_grad for p in disc.parameters()))

    def test_feature_matching_is_zero_for_identical_audio(self):
        torch.manual_seed(0)
        disc = MultiResolutionDiscriminator(sizes=(512,), channels=8)
        x = tones(2)
        _, fm = generator_losses(disc, x, x.clone())
        self.assertAlmostEqual(float(fm), 0.0, places=6)


if __name__ == "__main__":
    unittest.main()
