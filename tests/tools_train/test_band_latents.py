#!/usr/bin/env python3
"""Unit tests of tools/train/band_latents.py (the computed latents) and vocoder_ceiling.py (the
noise vocoders that rebuild a sound from them: from audio, and from generated band latents)."""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import common  # noqa: E402
from band_latents import BandLatents, band_edges, log_band_power  # noqa: E402
from vocoder_ceiling import BandVocoderDecoder, noise_vocoder, vocode_band_power  # noqa: E402

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


if __name__ == "__main__":
    unittest.main()
