#!/usr/bin/env python3
"""Unit tests of tools/train/widen_dit.py: a DiT of K-band latents carried over to more bands makes,
for latents whose sibling bands agree, what the old DiT made, copied to every child band."""
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import widen_dit  # noqa: E402
from band_latents import BandLatents  # noqa: E402
from foley_reference.dit import DiffusionTransformer  # noqa: E402

EXCITATION = 32


def bands(k):
    return BandLatents({"bands": k, "latent_dim": k + EXCITATION, "mean": torch.zeros(k), "std": torch.ones(k)})


def small_dit(io_channels, seed):
    torch.manual_seed(seed)
    dit = DiffusionTransformer(io_channels=io_channels, embed_dim=64, depth=1, num_heads=2, cond_token_dim=16,
                               global_cond_dim=16).double().eval()
    with torch.no_grad():  # the 1x1 convs start at zero; trained ones are not
        dit.preprocess_conv.weight.normal_(0, 0.2)
        dit.postprocess_conv.weight.normal_(0, 0.2)
    return dit


class WidenDitTest(unittest.TestCase):
    def test_every_new_band_has_the_old_band_of_its_centre_as_parent(self):
        p = widen_dit.parents(32, 64)
        self.assertEqual(len(p), 64)
        self.assertTrue((p[1:] >= p[:-1]).all())
        self.assertEqual(set(p.tolist()), set(range(32)))
        self.assertEqual(widen_dit.parents(32, 32).tolist(), list(range(32)))

    def test_pooling_undoes_lifting(self):
        lift, pool = widen_dit.layout_maps(bands(32), bands(64))
        self.assertEqual(tuple(lift.shape), (96, 64))
        self.assertTrue(torch.equal(pool @ lift, torch.eye(64, dtype=torch.float64)))
        self.assertTrue(torch.equal(lift[64:, 32:], torch.eye(EXCITATION, dtype=torch.float64)))

    def test_the_widened_dit_makes_the_old_velocity_in_every_child_band(self):
        old, new = bands(8), bands(16)
        lift, pool = widen_dit.layout_maps(old, new)
        small, wide = small_dit(old.latent_dim, 0), small_dit(new.latent_dim, 1)
        wide.load_state_dict(widen_dit.widen_state(small.state_dict(), lift, pool), strict=True)
        gen = torch.Generator().manual_seed(2)
        x = torch.randn(2, old.latent_dim, 10, generator=gen, dtype=torch.float64)
        t = torch.tensor([0.3, 0.8], dtype=torch.float64)
        cond = torch.randn(2, 4, 16, generator=gen, dtype=torch.float64)
        glob = torch.randn(2, 16, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            v_old = small.forward_single(x, t, cond, glob)
            v_new = wide.forward_single(torch.einsum("no,bot->bnt", lift, x), t, cond, glob)
        expected = torch.einsum("no,bot->bnt", lift, v_old)
        self.assertLess(float((v_new - expected).abs().max()), 1e-10)
        self.assertGreater(float(v_old.abs().max()), 0.1)  # not trivially zero

    def test_layouts_that_do_not_fit_are_refused(self):
        other = BandLatents({"bands": 64, "latent_dim": 64 + 16, "mean": torch.zeros(64), "std": torch.ones(64)})
        with self.assertRaisesRegex(ValueError, "excitation channels differ"):
            widen_dit.layout_maps(bands(32), other)
        with self.assertRaisesRegex(ValueError, "without a child"):
            widen_dit.layout_maps(bands(32), bands(16))
        with self.assertRaisesRegex(ValueError, "not a DiT state"):
            widen_dit.widen_state({"transformer.project_in.weight": torch.zeros(4, 40)}, *widen_dit.layout_maps(
                bands(8), bands(16)))


if __name__ == "__main__":
    unittest.main()
