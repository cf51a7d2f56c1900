#!/usr/bin/env python3
"""Unit tests of tools/train/band_latents.py (the computed latents), vocoder_ceiling.py (the
noise vocoders that rebuild a sound from them: from audio, and from generated band latents) and
excitation_vocoder.py (the decoder's teacher, whose noise comes from the latents alone)."""
import os
import sys
import unittest

import numpy as np
import torch

TRAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train")
sys.path.insert(0, TRAIN)

import common  # noqa: E402
from band_latents import (INFORMATIVE_STD, BandLatents, band_edges, log_band_power, state_from_json,  # noqa: E402
                          state_to_json)
from excitation_vocoder import ExcitationVocoder, mixing_weights, render  # noqa: E402
from vocoder_ceiling import BandVocoderDecoder, VocoderModel, noise_vocoder, vocode_band_power  # noqa: E402

SR = common.SAMPLE_RATE


def tone(hz, frames=16, amplitude=0.5):
    t = torch.arange(frames * common.DOWNSAMPLING) / SR
    return (amplitude * torch.sin(2 * np.pi * hz * t)).expand(1, 2, -1).clone()


def band_centre_hz(band, bands):
    edges = band_edges(bands)
    return (edges[band] + edges[band + 1]) / 2 * SR / (2 * common.DOWNSAMPLING)


class BandLatentsTest(unittest.TestCase):
    def test_edges_cover_the_spectrum_without_empty_bands(self):
        for bands in (8, 32):
            edges = band_edges(bands)
            self.assertEqual((edges[0], edges[-1], len(edges)), (0, common.DOWNSAMPLING + 1, bands + 1))
            self.assertTrue((np.diff(edges) >= 1).all())

    def test_one_frame_per_latent_frame_and_a_tone_lights_its_own_band(self):
        for band in (4, 12, 25):
            power = log_band_power(tone(band_centre_hz(band, 32)), 32)[0]
            self.assertEqual(tuple(power.shape), (32, 16))
            self.assertEqual(int(power[:, 8].argmax()), band)

    def test_a_level_change_moves_every_band_by_the_same_log_amount(self):
        noise = torch.randn(1, 2, 16 * common.DOWNSAMPLING) * 0.1
        diff = log_band_power(noise, 32) - log_band_power(noise * 0.1, 32)
        self.assertTrue(torch.allclose(diff[..., 1:-1], torch.full_like(diff[..., 1:-1], np.log(100.0)), atol=1e-2))

    def test_posterior_puts_the_bands_first_and_prior_noise_channels_after(self):
        latents = BandLatents({"bands": 32, "mean": torch.zeros(32), "std": torch.ones(32)})
        mean, std = latents.posterior(tone(440.0))
        self.assertEqual(tuple(mean.shape), (1, common.LATENT_DIM, 16))
        self.assertTrue((mean[:, 32:] == 0).all() and (std[:, 32:] == 1).all())
        self.assertTrue((std[:, :32] < 1).all())

    def test_the_band_channels_posterior_std_comes_from_the_state_or_the_default(self):
        state = {"bands": 32, "mean": torch.zeros(32), "std": torch.ones(32)}
        self.assertTrue((BandLatents(state).posterior(tone(440.0))[1][:, :32] == INFORMATIVE_STD).all())
        _, std = BandLatents(dict(state, informative_std=0.02)).posterior(tone(440.0))
        self.assertTrue(torch.allclose(std[:, :32], torch.full_like(std[:, :32], 0.02)))
        self.assertTrue((std[:, 32:] == 1).all())
        self.assertEqual(state_from_json(state_to_json(dict(state, informative_std=0.02)))["informative_std"], 0.02)
        import subprocess
        script = os.path.join(TRAIN, "band_latents.py")
        proc = subprocess.run([sys.executable, script, "--cache", "c", "--out", "o", "--informative-std", "-1"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--informative-std must not be negative", proc.stderr)

    def test_more_bands_widen_the_latent_and_keep_32_excitation_channels(self):
        state = {"bands": 64, "latent_dim": 96, "mean": torch.zeros(64), "std": torch.ones(64)}
        mean, std = BandLatents(state).posterior(tone(440.0))
        self.assertEqual(tuple(mean.shape), (1, 96, 16))
        self.assertTrue((mean[:, 64:] == 0).all() and (std[:, 64:] == 1).all())
        self.assertEqual(int(mean[0, :64, 8].argmax()), int(log_band_power(tone(440.0), 64)[0, :, 8].argmax()))


class NoiseVocoderTest(unittest.TestCase):
    def test_keeps_each_band_and_frame_power_but_not_the_waveform(self):
        torch.manual_seed(0)
        n = 32 * common.DOWNSAMPLING
        envelope = torch.exp(-torch.arange(n) / 8000.0)
        x = (torch.randn(1, 2, n) * envelope * 0.2 + tone(300.0, 32, 0.1) * envelope)
        y = noise_vocoder(x, 32)
        error = (log_band_power(y, 32) - log_band_power(x, 32))[..., 2:-2]  # interior frames
        self.assertLess(float(error.abs().median()), 0.5)  # nats of power: under ~2 dB
        self.assertLess(abs(float(torch.corrcoef(torch.stack([x[0, 0], y[0, 0]]))[0, 1])), 0.2)

    def test_band_power_alone_rebuilds_the_same_band_power(self):
        torch.manual_seed(0)
        n = 32 * common.DOWNSAMPLING
        envelope = torch.exp(-torch.arange(n) / 8000.0)
        x = torch.randn(1, 2, n) * envelope * 0.2
        power = log_band_power(x, 32)[0]
        y = vocode_band_power(power)
        self.assertEqual(tuple(y.shape), (n,))
        error = (log_band_power(y.expand(1, 2, -1), 32)[0] - power)[:, 2:-2]
        self.assertLess(float(error.abs().median()), 0.5)
        self.assertLess(abs(float(torch.corrcoef(torch.stack([x[0, 0], y]))[0, 1])), 0.2)

    def test_decoder_stand_in_reads_only_the_band_channels_of_scaled_latents(self):
        torch.manual_seed(0)
        stats = {"bands": 32, "mean": torch.full((32,), -6.0), "std": torch.full((32,), 2.0)}
        latents = BandLatents(stats).sample(torch.randn(1, 2, 16 * common.DOWNSAMPLING) * 0.05)
        decode = BandVocoderDecoder(stats, scale=2.0)
        audio = decode(latents / 2.0)  # a model's latents are the encoder's divided by its scale
        self.assertEqual(tuple(audio.shape), (1, 2, 16 * common.DOWNSAMPLING))
        self.assertTrue(torch.equal(audio[:, 0], audio[:, 1]))
        reshuffled = torch.cat([latents[:, :32], torch.randn_like(latents[:, 32:])], dim=1)
        self.assertTrue(torch.allclose(decode(reshuffled / 2.0), audio))


def decaying_noise(frames=40, seed=0):
    torch.manual_seed(seed)
    n = frames * common.DOWNSAMPLING
    return torch.randn(1, 2, n) * torch.linspace(1.0, 0.05, n) * 0.1


class ExcitationVocoderTest(unittest.TestCase):
    def test_keeps_the_band_power_of_the_latents_and_the_level(self):
        x = decaying_noise()
        power = log_band_power(x, 32)
        errors, levels = [], []
        for seed in range(4):
            excitation = torch.randn(1, 32, power.shape[2], generator=torch.Generator().manual_seed(seed))
            y = render(power, excitation, mixing_weights(32, 32))
            errors.append((log_band_power(y[:, None].expand(-1, 2, -1), 32) - power)[..., 3:-3])
            levels.append(float(y.pow(2).mean() / x.mean(1).pow(2).mean()))
        error = torch.cat(errors)
        self.assertLess(abs(float(error.mean())), 0.2)  # nats; without the sqrt(8/3) scaling about -1
        self.assertLess(float(error.abs().median()), 0.7)  # a few dB of draw-to-draw spread, as real noise has
        self.assertAlmostEqual(float(np.mean(levels)), 1.0, delta=0.15)

    def test_does_not_swing_in_level_within_a_frame(self):
        power = torch.full((1, 32, 64), -8.0)
        y = render(power, torch.randn(1, 32, 64, generator=torch.Generator().manual_seed(1)), mixing_weights(32, 32))
        by_phase = y[0, 4 * common.DOWNSAMPLING:-4 * common.DOWNSAMPLING].reshape(-1, 8, common.DOWNSAMPLING // 8)
        phase_power = by_phase.pow(2).mean(dim=(0, 2))  # power at each eighth of a frame, over 56 frames
        self.assertLess(float(phase_power.max() / phase_power.min()), 1.25)  # istft's envelope division: about 2

    def test_is_a_function_of_the_latents_and_its_noise_comes_from_the_excitation(self):
        stats = {"bands": 32, "mean": torch.full((32,), -8.0), "std": torch.full((32,), 2.0)}
        vocoder = ExcitationVocoder(BandLatents(stats))
        z = BandLatents(stats).sample(decaying_noise(16))
        audio = vocoder(z)
        self.assertEqual(tuple(audio.shape), (1, 2, 16 * common.DOWNSAMPLING))
        self.assertTrue(torch.equal(audio, vocoder(z.clone())))
        self.assertTrue(torch.equal(audio[:, 0], audio[:, 1]))
        other = torch.cat([z[:, :32], torch.randn_like(z[:, 32:])], dim=1)
        self.assertLess(abs(float(torch.corrcoef(torch.stack([audio[0, 0], vocoder(other)[0, 0]]))[0, 1])), 0.2)

    def test_learned_mixing_keeps_unit_power_in_every_bin(self):
        stats = {"bands": 32, "mean": torch.full((32,), -8.0), "std": torch.full((32,), 2.0)}
        vocoder = ExcitationVocoder(BandLatents(stats))
        fixed = vocoder.mixing()
        learned = vocoder.learn()
        self.assertTrue(learned.requires_grad)
        with torch.no_grad():
            learned.mul_(torch.rand(learned.shape[0], learned.shape[1], 1) * 3)  # what training might do to it
        power = vocoder.mixing().abs().pow(2).sum(0)
        self.assertTrue(torch.allclose(power, torch.ones_like(power)))
        self.assertFalse(torch.allclose(vocoder.mixing(), fixed))

    def test_per_band_excitation_reaches_only_its_own_band(self):
        weights = mixing_weights(32, 64, per_band=2)
        power = torch.full((1, 32, 16), -8.0)
        excitation = torch.randn(1, 64, 16, generator=torch.Generator().manual_seed(2))
        changed = excitation.clone()
        changed[:, 40:42] = torch.randn(1, 2, 16)  # band 20's two channels
        diff = render(power, changed, weights) - render(power, excitation, weights)
        spectrum = torch.fft.rfft(diff[0]).abs().pow(2)
        hz = torch.fft.rfftfreq(diff.shape[1], 1 / SR)
        edges = band_edges(32) * SR / (2 * common.DOWNSAMPLING)
        inside = (hz >= edges[20]) & (hz < edges[21])
        self.assertGreater(float(spectrum[inside].sum() / spectrum.sum()), 0.95)
        with self.assertRaisesRegex(ValueError, "needs 64 excitation channels"):
            mixing_weights(32, 32, per_band=2)

    def test_constant_modulus_keeps_the_level_and_scatters_the_band_power_less(self):
        power = torch.full((1, 64, 64), -8.0)
        excitation = torch.randn(1, 32, 64, generator=torch.Generator().manual_seed(3))
        wide = torch.from_numpy(np.diff(band_edges(64)) >= 8)
        spread, level = {}, {}
        for constant in (False, True):
            y = render(power, excitation, mixing_weights(64, 32), constant_modulus=constant)
            measured = log_band_power(y[:, None].expand(-1, 2, -1), 64)[0, :, 3:-3]
            spread[constant] = float(measured[wide].std(1).mean())  # frame to frame, per band
            level[constant] = float(measured.mean())
        self.assertAlmostEqual(level[True], -8.0, delta=0.15)
        self.assertAlmostEqual(level[False], -8.0, delta=0.15)
        self.assertLess(spread[True], 0.8 * spread[False])  # measured 0.26 against 0.38 nats
        stats = {"bands": 64, "mean": torch.full((64,), -8.0), "std": torch.full((64,), 2.0), "latent_dim": 96}
        z = BandLatents(stats).sample(decaying_noise(8))
        plain, constant = ExcitationVocoder(BandLatents(stats))(z), ExcitationVocoder(BandLatents(stats), True)(z)
        self.assertEqual(plain.shape, constant.shape)
        self.assertFalse(torch.allclose(plain, constant))

    def test_ceiling_refuses_constant_modulus_for_white_noise(self):
        import subprocess
        script = os.path.join(TRAIN, "vocoder_ceiling.py")
        proc = subprocess.run([sys.executable, script, "--manifest", "m.tsv", "--constant-modulus"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("give --excitation shared or J", proc.stderr)

    def test_ceiling_model_rebuilds_stereo_of_the_same_length(self):
        x = decaying_noise(16)
        for excitation in ("shared", "2"):
            y = VocoderModel(32, excitation).decode(x)
            self.assertEqual(tuple(y.shape), tuple(x.shape))
            self.assertTrue(torch.equal(y[:, 0], y[:, 1]))


if __name__ == "__main__":
    unittest.main()
