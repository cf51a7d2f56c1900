#!/usr/bin/env python3
"""Unit tests of tools/train/train_autoencoder.py's training aids: the envelope target and its
head, the fresh-start I/O gain, the sharpened posterior, the pinned noise channels, the periodicity
loss and the spectral losses' log floor."""
import os
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train"))

import common  # noqa: E402
import train_autoencoder  # noqa: E402


def tone(freq, frames, amplitude=0.5):
    t = torch.arange(frames * common.DOWNSAMPLING) / common.SAMPLE_RATE
    wave = amplitude * torch.sin(2 * np.pi * freq * t)
    return torch.stack([wave, wave])[None]


def fresh_autoencoder():
    torch.manual_seed(0)
    return common.build_foley_model(common.model_config()).pretransform.model


class EnvelopeHeadTest(unittest.TestCase):
    def test_target_is_frame_aligned_with_one_row_per_latent_frame(self):
        head = train_autoencoder.EnvelopeHead(common.LATENT_DIM)
        target = head.target(tone(1000, 6))
        self.assertEqual(tuple(target.shape), (1, 6, head.SUB * head.BANDS))

    def test_a_tone_lights_its_own_band_and_silence_is_the_floor(self):
        head = train_autoencoder.EnvelopeHead(common.LATENT_DIM)
        low = head.target(tone(300, 4))[0, 1].reshape(head.SUB, head.BANDS).mean(0)
        high = head.target(tone(9000, 4))[0, 1].reshape(head.SUB, head.BANDS).mean(0)
        self.assertLess(int(low.argmax()), int(high.argmax()))
        silent = head.target(torch.zeros(1, 2, 4 * common.DOWNSAMPLING))
        self.assertTrue(torch.allclose(silent, torch.full_like(silent, float(np.log(1e-8)))))

    def test_head_loss_trains_a_linear_read_out(self):
        torch.manual_seed(0)
        head = train_autoencoder.EnvelopeHead(4)
        x = torch.cat([tone(300, 4), tone(5000, 4, 0.05)])
        latent = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])[:, :, None].repeat(1, 1, 4)
        opt = torch.optim.Adam(head.parameters(), lr=0.05)
        first = float(head.loss(latent, x))
        for _ in range(300):
            opt.zero_grad()
            loss = head.loss(latent, x)
            loss.backward()
            opt.step()
        self.assertLess(float(loss), 0.25 * first)


class InitTest(unittest.TestCase):
    def test_io_gain_scales_the_first_and_last_convs_exactly(self):
        ae, scaled = fresh_autoencoder(), fresh_autoencoder()
        train_autoencoder.scale_io(scaled, 16.0)
        x = tone(440, 2)
        self.assertTrue(torch.allclose(scaled.encoder.layers[0](x), 16.0 * ae.encoder.layers[0](x), atol=1e-5))
        h = torch.randn(1, ae.decoder.layers[-2].weight_v.shape[1], 64)
        self.assertIsNone(ae.decoder.layers[-2].bias)  # Oobleck's output conv has none
        self.assertTrue(torch.allclose(scaled.decoder.layers[-2](h), ae.decoder.layers[-2](h) / 16.0, atol=1e-6))

    def test_sharpened_posterior_has_a_smaller_std_and_the_same_mean(self):
        ae = fresh_autoencoder()
        x = tone(440, 2)
        before = ae.encoder(x).chunk(2, dim=1)
        train_autoencoder.sharpen_posterior(ae, 3.0)
        after = ae.encoder(x).chunk(2, dim=1)
        self.assertTrue(torch.equal(before[0], after[0]))
        self.assertTrue(bool((F.softplus(after[1]) < 0.2 * F.softplus(before[1])).all()))

    def test_pinned_noise_channels_are_the_prior_and_the_others_are_untouched(self):
        ae = fresh_autoencoder()
        x = tone(440, 4)
        before_mean, before_std = ae.bottleneck.posterior(ae.encoder(x))
        train_autoencoder.pin_noise_channels(ae, 16)
        mean, std = ae.bottleneck.posterior(ae.encoder(x))
        noise = slice(common.LATENT_DIM - 16, common.LATENT_DIM)
        self.assertEqual(float(mean[:, noise].abs().max()), 0.0)
        self.assertTrue(torch.allclose(std[:, noise], torch.ones_like(std[:, noise]), atol=1e-6))
        self.assertTrue(torch.equal(mean[:, :-16], before_mean[:, :-16]))
        self.assertTrue(torch.equal(std[:, :-16], before_std[:, :-16]))
        self.assertFalse(torch.allclose(before_mean[:, noise], mean[:, noise]))  # pinning changed something
        _, kl = ae.bottleneck.encode(ae.encoder(x), return_kl=True)
        before_kl = (before_mean[:, :-16] ** 2 + before_std[:, :-16] ** 2 - 2 * before_std[:, :-16].log() - 1)
        self.assertAlmostEqual(float(kl), float(before_kl.sum(1).mean()), places=3)  # the prior costs no KL

    def test_boosted_noise_input_weighs_the_noise_channels_more_at_the_same_output_scale(self):
        ae = fresh_autoencoder()
        first = ae.decoder.layers[0]
        before = first.weight().detach().clone()
        train_autoencoder.boost_noise_input(ae, 16, 5.0)
        after = first.weight().detach()
        def share(w):  # per output channel: the noise columns' norm over the informative columns'
            return w[:, -16:].norm(dim=(1, 2)) / w[:, :-16].norm(dim=(1, 2))
        self.assertTrue(torch.allclose(share(after) / share(before), torch.full((before.shape[0],), 5.0), rtol=1e-4))
        self.assertTrue(torch.allclose(after.norm(dim=(1, 2)), before.norm(dim=(1, 2)), atol=1e-5))


class NearestUpsampleTest(unittest.TestCase):
    def test_warm_start_keeps_every_weight_but_the_new_upsamplers(self):
        import tempfile
        old = fresh_autoencoder()
        self.assertFalse(common.uses_nearest_upsample(old.state_dict()))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "autoencoder.pt")
            torch.save({"autoencoder": old.state_dict()}, path)
            torch.manual_seed(1)
            new = common.build_foley_model(common.model_config(nearest_upsample=True)).pretransform.model
            init = {k: v.clone() for k, v in new.state_dict().items()}
            train_autoencoder.warm_start(new, path)
        state = new.state_dict()
        self.assertTrue(common.uses_nearest_upsample(state))
        upsamplers = {k for k in state if k not in old.state_dict()}
        self.assertEqual(len(upsamplers), 2 * len(common.AE_CONFIG["strides"]))  # weight_g, weight_v per stage
        for key, value in state.items():
            self.assertTrue(torch.equal(value, init[key] if key in upsamplers else old.state_dict()[key]), key)
        # a constant latent comes out as a constant (DC), which only drift_loss sees
        with torch.no_grad():
            y = new.decoder(torch.full((1, common.LATENT_DIM, 48), 0.5))
        middle = y[..., 20 * common.DOWNSAMPLING:28 * common.DOWNSAMPLING]  # away from the zero padding
        self.assertLess(float((middle - middle.mean(-1, keepdim=True)).abs().max()), 1e-4 * float(middle.abs().max()) + 1e-7)
        # and the model built from a state knows its upsampler
        config = common.config_for(state)["model"]["pretransform"]["config"]["decoder"]["config"]
        self.assertTrue(config["use_nearest_upsample"])


class DriftLossTest(unittest.TestCase):
    def test_an_offset_costs_and_zero_mean_sound_does_not(self):
        torch.manual_seed(0)
        target = tone(440, 8)
        self.assertAlmostEqual(float(train_autoencoder.drift_loss(target + 0.1, target)), 0.1, places=5)
        self.assertLess(float(train_autoencoder.drift_loss(0.2 * torch.randn_like(target), target)), 0.02)


class PeriodicityLossTest(unittest.TestCase):
    def test_a_waveform_repeated_or_flipped_every_frame_costs_and_fresh_noise_does_not(self):
        torch.manual_seed(0)
        frame = 0.1 * torch.randn(1, 2, common.DOWNSAMPLING)
        signs = torch.tensor([1.0, -1.0]).repeat(8).repeat_interleave(common.DOWNSAMPLING)
        target = 0.1 * torch.randn(1, 2, 16 * common.DOWNSAMPLING)
        repeated, flipped = frame.repeat(1, 1, 16), frame.repeat(1, 1, 16) * signs
        noise = 0.1 * torch.randn_like(target)
        loss = {name: float(train_autoencoder.periodicity_loss(y, target))
                for name, y in (("repeated", repeated), ("flipped", flipped), ("noise", noise))}
        self.assertGreater(loss["repeated"], 0.8)  # autocorrelation ~1 at both lags, the target's ~0
        self.assertGreater(loss["flipped"], 0.8)  # -1 at one frame, +1 at two
        self.assertLess(loss["noise"], 0.05)


class BandEnergyLossTest(unittest.TestCase):
    def test_noise_at_the_right_level_wins_where_per_bin_losses_prefer_it_quieter(self):
        # Against a noise target, another draw of the same noise is what a decoder can at best
        # produce; the per-bin STFT loss rates a quieter draw better, the band loss does not.
        torch.manual_seed(0)
        target = 0.1 * torch.randn(2, 2, 16384)
        draw = 0.1 * torch.randn(2, 2, 16384)
        band = {a: float(train_autoencoder.band_energy_loss(a * draw, target, floor=1e-3)) for a in (0.5, 0.8, 1.0, 1.25)}
        stft = {a: float(train_autoencoder.multi_res_stft_loss(a * draw, target, floor=1e-3)) for a in (0.8, 1.0)}
        self.assertEqual(min(band, key=band.get), 1.0)
        self.assertLess(stft[0.8], stft[1.0])

    def test_missing_bass_or_treble_costs_in_proportion_to_its_share_of_the_bands(self):
        torch.manual_seed(0)
        target = 0.1 * torch.randn(1, 2, 65536)
        edges = np.geomspace(30, common.SAMPLE_RATE / 2, 25)  # the loss's 24 bands
        hz = torch.fft.rfftfreq(target.shape[-1], 1 / common.SAMPLE_RATE)
        # (bins made 20 dB quieter, bands they fill, name): 20 dB is log(10) nats of magnitude per band
        for lost, bands, name in ((hz < edges[7], 7, "bass under 211 Hz"), (hz >= edges[21], 3, "treble over 12 kHz")):
            spec = torch.fft.rfft(target)
            spec[..., lost] *= 0.1
            dull = torch.fft.irfft(spec, n=target.shape[-1])
            loss = float(train_autoencoder.band_energy_loss(dull, target, floor=1e-3))
            self.assertAlmostEqual(loss, np.log(10) * bands / 24, delta=0.05, msg=name)
        self.assertLess(float(train_autoencoder.band_energy_loss(target, target)), 1e-6)


class LogFloorTest(unittest.TestCase):
    def test_a_faint_noise_floor_under_silence_costs_little_only_with_a_floor(self):
        torch.manual_seed(0)
        target = torch.cat([tone(440, 8), torch.zeros(1, 2, 8 * common.DOWNSAMPLING)], dim=2)
        hiss = target + 1e-5 * torch.randn_like(target)  # 16-bit quantisation noise, also over the silence
        strict = float(train_autoencoder.multi_res_mel_loss(hiss, target))
        floored = float(train_autoencoder.multi_res_mel_loss(hiss, target, floor=1e-3))
        self.assertGreater(strict, 2.0)  # digital silence vs hiss: nats of error per bin
        self.assertLess(floored, 0.2 * strict)

    def test_a_floor_keeps_the_loss_for_errors_in_the_sound(self):
        target = tone(440, 8)
        quiet = 0.25 * target  # 12 dB too quiet: the same log error with or without a floor
        strict = float(train_autoencoder.multi_res_mel_loss(quiet, target))
        floored = float(train_autoencoder.multi_res_mel_loss(quiet, target, floor=1e-3))
        self.assertGreater(floored, 0.5 * strict)


if __name__ == "__main__":
    unittest.main()
