#!/usr/bin/env python3
"""Unit tests of tools/train/vocoder_decoder.py: the Oobleck decoder whose weights are computed
to be a noise vocoder of band latents (Snake squarings, noise mixing, products, fitted synthesis)."""
import math
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import common  # noqa: E402
import vocoder_decoder as vd  # noqa: E402
from band_latents import BandLatents  # noqa: E402
from foley_reference.oobleck import OobleckDecoder, SnakeBeta  # noqa: E402

BANDS = 32


def band_state(bands=BANDS):
    """Band statistics shaped like the real ones (log power mean falling with frequency, std ~5.5);
    at 32 bands without a stored width, as the shipped model's were saved (64 latent channels)."""
    state = {"bands": bands, "mean": torch.linspace(2.0, -14.0, bands), "std": torch.full((bands,), 5.5)}
    return state if bands == BANDS else {**state, "latent_dim": bands + 32}


def latents(level, frames=12, seed=0, bands=BANDS):
    """Band latents with every band at `level` (standardised units) and 32 fresh N(0, 1) excitation channels."""
    gen = torch.Generator().manual_seed(seed)
    return torch.cat([torch.full((1, bands, frames), float(level)),
                      torch.randn(1, 32, frames, generator=gen)], dim=1)


def head(dec, z):
    """The 8x-rate signal after the third residual unit: [channels, samples]."""
    with torch.no_grad():
        return dec.layers[1](dec.layers[0](z.double()))[0]


class SnakeTest(unittest.TestCase):
    def test_squaring_snake_is_x_plus_x_squared_and_linear_one_is_x(self):
        snake = SnakeBeta(2).double()
        c2 = vd.set_snakes(snake, [True, False])
        x = torch.linspace(-4, 4, 101, dtype=torch.float64)
        with torch.no_grad():
            y = snake(torch.stack([x, x])[None])[0]
        self.assertLess(abs(float(c2[0]) - 1.0), 0.01)
        self.assertTrue(torch.allclose(y[0], x + float(c2[0]) * x * x, rtol=1e-5, atol=1e-6))
        self.assertTrue(torch.allclose(y[1], x, atol=1e-6))

    def test_a_pair_of_squaring_channels_cancels_the_linear_term(self):
        snake = SnakeBeta(2).double()
        c2 = vd.set_snakes(snake, [True, True])
        x = torch.linspace(-3, 3, 61, dtype=torch.float64)
        with torch.no_grad():
            y = snake(torch.stack([x, -x])[None])[0]
        self.assertTrue(torch.allclose((y[0] + y[1]) / (2 * c2[0]), x * x, rtol=1e-5, atol=1e-9))


class NoiseTapsTest(unittest.TestCase):
    def test_noise_is_white_at_eight_times_the_frame_rate_with_unit_variance(self):
        dec = vd.new_decoder(BandLatents(band_state())).double()
        vd.build_head(dec, BandLatents(band_state()))
        n = head(dec, latents(0.0, frames=400))[2 * BANDS:3 * BANDS, 16:-16]
        var = float(n.var())
        lag1 = float((n[:, 1:] * n[:, :-1]).mean()) / var
        cross = float((n[0] * n[1]).mean()) / var
        self.assertGreater(var, 0.7)
        self.assertLess(var, 1.3)
        self.assertLess(abs(lag1), 0.1)
        self.assertLess(abs(cross), 0.1)

    def test_every_position_of_a_frame_has_the_same_noise_level(self):
        dec = vd.new_decoder(BandLatents(band_state())).double()
        vd.build_head(dec, BandLatents(band_state()))
        n = head(dec, latents(0.0, frames=2000))[2 * BANDS:3 * BANDS, 16:-16]
        per_phase = n.reshape(BANDS, -1, 8).pow(2).mean(1)  # [band, position in the frame]
        self.assertLess(float((per_phase / per_phase.mean(1, keepdim=True) - 1).abs().max()), 0.15)


class HeadTest(unittest.TestCase):
    K = BANDS

    def setUp(self):
        self.bands = BandLatents(band_state(self.K))
        self.dec = vd.new_decoder(self.bands).double()
        vd.build_head(self.dec, self.bands)

    def test_products_are_the_band_amplitude_times_the_noise(self):
        K = self.K
        for level in (-3.0, -1.0, 0.0, 2.0, 3.5):  # where the latents live
            h = head(self.dec, latents(level, bands=K))[:, 16:-16]
            n, p = h[2 * K:3 * K], h[vd.product_channels(K)]
            expected = math.exp(0.5 * 5.5 * (level - vd.REFERENCE_STD))
            ratio = (p / n)[n.abs() > 0.1]
            self.assertLess(float((ratio / expected - 1).abs().max()), 0.1, f"level {level}")

    def test_nothing_unmodulated_leaks_into_the_products(self):
        K = self.K
        h = head(self.dec, latents(-6.0, bands=K))[:, 16:-16]
        quiet = float(h[vd.product_channels(K)].abs().max())
        self.assertLess(quiet, 1e-6 * float(h[2 * K:3 * K].abs().max()))


class WideHeadTest(HeadTest):
    """64 bands: 96 latent channels, and a head twice as wide (4 squaring channels per band)."""
    K = 64

    def test_the_head_is_wide_enough_for_every_band(self):
        self.assertEqual(vd.c_mults_for(self.K), [1, 2, 16, 16])
        self.assertEqual(vd.c_mults_for(BANDS), vd.C_MULTS)
        self.assertEqual(self.dec.layers[0].weight_v.shape[1], 96)


class BuiltDecoderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.bands = BandLatents(band_state())
        cls.dec, cls.losses = vd.build(cls.bands, fit_steps=30)

    def decode(self, z, dec=None):
        with torch.no_grad():
            return (dec or self.dec)(z)

    def test_output_follows_the_band_levels_linearly(self):
        # +2 ln 2 / (0.5 std) in standardised units doubles every band's amplitude.
        step = 2 * math.log(2.0) / 5.5
        quiet, loud = self.decode(latents(0.0)), self.decode(latents(step))
        self.assertEqual(quiet.shape, (1, 2, 12 * common.DOWNSAMPLING))
        ratio = float(loud.pow(2).mean().sqrt() / quiet.pow(2).mean().sqrt())
        self.assertAlmostEqual(ratio, 2.0, delta=0.08)
        self.assertTrue(torch.equal(quiet[:, 0], quiet[:, 1]))

    def test_the_noise_comes_from_the_excitation(self):
        a, b = self.decode(latents(0.0, seed=1)), self.decode(latents(0.0, seed=2))
        self.assertGreater(float((a - b).pow(2).mean() / a.pow(2).mean()), 0.5)

    def test_f16_weights_decode_as_the_f32_ones(self):
        dec16 = vd.new_decoder(self.bands)
        dec16.load_state_dict({k: v.half().float() for k, v in self.dec.state_dict().items()})
        # F16 rounding of the exponent's coefficients is multiplied by up to 32 in the squarings, so it
        # moves quiet levels most (about 1 dB at 5 std under the reference): a slight compression of
        # the dynamics, where learned decoders gave 0.45-0.93 dB out per dB in. Same waveform.
        # (At -3 std the amplitude is 6 std = 143 dB under the reference, under float32's resolution
        # of the product (a + n)^2 - (a - n)^2: silence either way.)
        for level in (0.0, -1.0, -2.0):
            ref, out = self.decode(latents(level)), self.decode(latents(level), dec16)
            db = 10 * math.log10(float(out.pow(2).mean() / ref.pow(2).mean()))
            corr = float((out * ref).mean() / (out.pow(2).mean() * ref.pow(2).mean()).sqrt())
            self.assertLess(abs(db), 1.5, f"level {level}")
            self.assertGreater(corr, 0.99, f"level {level}")

    def test_the_export_reads_the_widths_back_from_the_weights(self):
        state = {"decoder." + k: v for k, v in self.dec.state_dict().items()}
        self.assertEqual(common.decoder_c_mults(state), vd.C_MULTS)
        nearest = OobleckDecoder(channels=16, latent_dim=common.LATENT_DIM, c_mults=[1, 2, 4, 8], strides=[4, 4, 8, 8],
                                 use_nearest_upsample=True)
        self.assertEqual(common.decoder_c_mults({"decoder." + k: v for k, v in nearest.state_dict().items()}),
                         [1, 2, 4, 8])
        config = common.config_for(state)
        self.assertEqual(config["model"]["diffusion"]["config"]["io_channels"], common.LATENT_DIM)
        model = common.build_foley_model(config)
        model.pretransform.model.decoder.load_state_dict(self.dec.state_dict(), strict=True)

    def test_a_fit_goes_on_from_a_saved_tail(self):
        # one step at a vanishing rate from the fitted tail: the same decoder, not a fresh start
        again, losses = vd.build(self.bands, fit_steps=1, lr=1e-12, tail_from=self.dec.state_dict())
        z = latents(0.0)
        self.assertLess(float((self.decode(z, again) - self.decode(z)).abs().max()), 1e-6)
        # (the first fit reported its losses before its last step)
        self.assertAlmostEqual(losses["outside"], self.losses["outside"], delta=1e-3 * self.losses["outside"])
        fresh, _ = vd.build(self.bands, fit_steps=1, lr=1e-12)
        self.assertGreater(float((self.decode(z, fresh) - self.decode(z)).abs().max()), 1e-3)

    def test_a_tail_of_other_bands_is_refused(self):
        wide, _ = vd.build(BandLatents(band_state(64)), fit_steps=1)
        with self.assertRaises(SystemExit) as caught:
            vd.build(self.bands, fit_steps=1, tail_from=wide.state_dict())
        self.assertIn("width", str(caught.exception))

    def test_a_wider_band_latent_decoder_is_exported_at_its_width(self):
        bands = BandLatents(band_state(64))
        dec, losses = vd.build(bands, fit_steps=2)
        # the lowest of 64 bands are 1-3 bins wide: the fit still has an inside for each of them
        self.assertTrue(all(math.isfinite(v) for v in losses.values()), losses)
        state = {"decoder." + k: v for k, v in dec.state_dict().items()}
        config = common.config_for(state)
        self.assertEqual(config["model"]["pretransform"]["config"]["latent_dim"], 96)
        self.assertEqual(config["model"]["diffusion"]["config"]["io_channels"], 96)
        self.assertEqual(common.decoder_c_mults(state), [1, 2, 16, 16])
        model = common.build_foley_model(config)
        model.pretransform.model.decoder.load_state_dict(dec.state_dict(), strict=True)
        with torch.no_grad():
            out = model.pretransform.model.decoder(latents(0.0, bands=64))
        self.assertEqual(out.shape, (1, 2, 12 * common.DOWNSAMPLING))


if __name__ == "__main__":
    unittest.main()
