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
from band_latents import BandLatents, band_edges  # noqa: E402
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


class SetConvTest(unittest.TestCase):
    def test_a_row_of_rounding_noise_exports_as_zero_not_as_nan(self):
        conv = vd.new_decoder(BandLatents(band_state())).layers[0]  # [128, 64, 7]
        weight = torch.randn(conv.weight_v.shape, generator=torch.Generator().manual_seed(0))
        weight[3] = 1e-15  # what float64 sums that cancel leave behind
        weight[4] = 0.0
        vd.set_conv(conv, weight)
        conv.load_state_dict({k: v.half().float() for k, v in conv.state_dict().items()})
        with torch.no_grad():
            exported = conv.weight()
        self.assertTrue(bool(torch.isfinite(exported).all()))
        self.assertEqual(float(exported[3:5].abs().max()), 0.0)
        self.assertLess(float((exported[5:] - weight[5:]).abs().max()), 1e-2)


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


class PhasePatternTest(unittest.TestCase):
    """The constant-modulus noise: fixed patterns turned by random phases."""

    def turned(self, cos_taps, sin_taps, gen):
        """A frame's taps for random phases, the window taken off: [2 * stride]."""
        phi = torch.rand(vd.PHASE_GROUPS, generator=gen, dtype=torch.float64) * 2 * math.pi
        taps = (phi.cos()[:, None] * cos_taps + phi.sin()[:, None] * sin_taps).sum(0)
        return taps / vd.tap_window(8)

    def test_every_point_keeps_its_magnitude_whatever_the_phases(self):
        gen = torch.Generator().manual_seed(0)
        cos_taps, sin_taps = vd.phase_patterns(8, gen)
        mags = torch.stack([torch.fft.rfft(self.turned(cos_taps, sin_taps, gen)).abs() for _ in range(20)])
        inner = mags[:, 1:8]  # the real points 0 and 8 keep theirs only in expectation
        self.assertLess(float((inner / inner[0] - 1).abs().max()), 1e-9)
        self.assertGreater(float(inner.min()), 0.1)

    def test_a_band_has_energy_only_at_its_own_points(self):
        gen = torch.Generator().manual_seed(1)
        cos_taps, sin_taps = vd.phase_patterns(8, gen, support=[2, 3])
        mags = torch.fft.rfft(self.turned(cos_taps, sin_taps, gen)).abs()
        others = [q for q in range(9) if q not in (2, 3)]
        self.assertLess(float(mags[others].max()), 1e-9 * float(mags[[2, 3]].min()))

    def test_the_expected_level_is_the_same_at_every_position_and_the_supports_share(self):
        for support, share in ((None, 1.0), ([2, 3], 4 / 16), ([0, 1, 2, 3], 7 / 16)):  # 0 is one point, not two
            cos_taps, sin_taps = vd.phase_patterns(8, torch.Generator().manual_seed(2), support)
            per_tap = (cos_taps.pow(2) + sin_taps.pow(2)).sum(0) / 2  # E over a uniform phase
            level = per_tap[:8] + per_tap[8:]
            self.assertLess(float((level / share - 1).abs().max()), 0.02, support)

    def test_a_band_reads_the_points_its_bins_alias_to(self):
        self.assertEqual(vd.band_support(20, 22, 8), [4, 5])
        self.assertEqual(vd.band_support(12, 14, 8), [3, 4])  # 12 and 13 are 4 and 3 mirrored
        self.assertEqual(vd.band_support(100, 116, 8), list(range(9)))
        self.assertEqual(vd.band_support(14, 17, 8), [0, 1, 2, 3])  # 2, 1, 0 and one more: an even number
        self.assertEqual(vd.band_support(22, 25, 8), [5, 6, 7, 8])  # 6, 7, 8 and the one below


class HeadTest(unittest.TestCase):
    K = BANDS
    CONSTANT_MODULUS = False

    def setUp(self):
        self.bands = BandLatents(band_state(self.K))
        self.dec = vd.new_decoder(self.bands, self.CONSTANT_MODULUS).double()
        vd.build_head(self.dec, self.bands, constant_modulus=self.CONSTANT_MODULUS)

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


class ConstantModulusHeadTest(HeadTest):
    """64 bands with the constant-modulus noise: the products are as before, the noise is the bands' patterns."""
    K = 64
    CONSTANT_MODULUS = True

    def test_the_latent_rate_is_wide_enough_for_the_phases(self):
        width = vd.latent_rate_width(self.bands, True)
        self.assertEqual(width, 2 * 64 + 1 + 32 + 4 * 64)
        self.assertEqual(vd.c_mults_for(64, width), [1, 2, 16, 27])
        self.assertEqual(self.dec.layers[0].weight_v.shape[0], 16 * 27)

    def test_the_noise_is_each_bands_patterns_turned_by_the_excitation_phases(self):
        K, frames = self.K, 12
        z = latents(0.0, frames=frames, bands=K).double()
        noise = head(self.dec, z)[2 * K:3 * K]
        rows = vd.PhaseRows(self.bands, 0)
        phi = 2 * rows.alpha * torch.einsum("bje,et->bjt", rows.mix, z[0, K:])
        expected = torch.zeros(K, 8 * frames + 8, dtype=torch.float64)  # 4 positions before frame 0 and after the last
        for b, (cos_taps, sin_taps) in enumerate(rows.patterns):
            for t in range(frames):
                expected[b, 8 * t:8 * t + 16] += (phi[b, :, t].cos()[:, None] * cos_taps +
                                                 phi[b, :, t].sin()[:, None] * sin_taps).sum(0)
        self.assertLess(float((noise - expected[:, 4:-4]).abs().max()), 1e-5)


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


class ZoneFitTest(unittest.TestCase):
    """The constant-modulus decoder's band filters: fitted to short zero-phase responses."""

    def test_a_target_passes_its_band_and_rejects_its_aliases(self):
        bands = BandLatents(band_state())
        target = vd.zone_responses(bands, 4096, 2048)
        spectrum = torch.fft.rfft(target.double(), n=4096).abs().pow(2) * 6.0  # fit_tail's level: 1 in band
        edges = band_edges(bands.bands) * 2  # on the 4096-point grid
        for b, inset in ((5, 3), (20, 8)):  # the window smooths the edges over a few bins
            lo, hi = int(edges[b]), int(edges[b + 1])
            self.assertLess(float((spectrum[b, lo + inset:hi - inset] - 1).abs().max()), 0.05, b)
            # nothing past the band: a narrow band's mirror lines lie a few bins away, and passed, they beat
            self.assertLess(float(spectrum[b, hi + 6]), 1e-4, b)
            self.assertLess(float(spectrum[b, lo - 8]), 1e-4, b)
            alias = hi + 2 * 16  # 16 bins of the 2048-point grid past the band's top
            self.assertLess(float(spectrum[b, alias:alias + 4].max()), 1e-3, b)
        # bands as wide as the product period carry every bin: neighbours' powers add up across their edges
        wide = [b for b in range(bands.bands) if edges[b + 1] - edges[b] >= 2 * 16]
        total = spectrum[wide].sum(0)[int(edges[wide[0]]) + 8:int(edges[wide[-1] + 1]) - 8]
        self.assertGreater(float(total.min()), 0.75)
        self.assertLess(float(total.max()), 1.05)
        energy = target.pow(2)
        self.assertEqual(float(energy[:, :2048 - vd.ZONE_WINDOW // 2].sum() + energy[:, 2048 + vd.ZONE_WINDOW // 2:].sum()), 0.0)

    def test_the_fit_approaches_the_targets_and_the_decoder_follows_the_levels(self):
        torch.set_num_threads(1)
        bands = BandLatents(band_state())
        dec, losses = vd.build(bands, fit_steps=60, constant_modulus=True)
        self.assertLess(losses["zone_error"], 0.4)  # from about 1 for the fresh tail
        step = 2 * math.log(2.0) / 5.5  # doubles every band's amplitude
        with torch.no_grad():
            quiet, loud = dec(latents(0.0)), dec(latents(step))
        ratio = float(loud.pow(2).mean().sqrt() / quiet.pow(2).mean().sqrt())
        self.assertAlmostEqual(ratio, 2.0, delta=0.08)
        state = {"decoder." + k: v for k, v in dec.state_dict().items()}
        self.assertEqual(common.decoder_c_mults(state), vd.c_mults_for(BANDS, vd.latent_rate_width(bands, True)))


if __name__ == "__main__":
    unittest.main()
