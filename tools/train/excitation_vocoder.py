"""Band latents -> audio by a fixed rule with no randomness of its own: the decoder's teacher.

Band latents (band_latents.py) give each latent frame K standardised log band powers and
leave the other channels to N(0, 1) excitation. A noise vocoder that draws fresh white noise
for every sample is heard as the original's sound by YAMNet in about half the held-out clips
(vocoder_ceiling.py), but a decoder cannot draw noise: whatever randomness it makes must come
from the excitation channels, a few dozen numbers per 1,024 samples. This vocoder makes its
noise from exactly those numbers. Each bin of frame t's spectrum is a fixed random complex
combination of the frame's excitation values, scaled to the band's power:

    X_t[k] = sqrt(P_b(k)[t]) * sum_j W[j, k] e_j[t],    E|sum_j W[j, k] e_j|^2 = 1

and the frames are overlap-added with the band latents' own window and hop, so frame t's
synthesis window is the one its band powers were measured through. With W shared by every band
(each band mixes all the excitation channels in its own way) 32 bands and 32 excitation channels
rebuild the held-out clips at 54.5 % YAMNet agreement (white noise: 51.3 %); with one channel of
its own per band, 33.1 %, near where the learned band-latent decoders of the twelfth and
thirteenth runs stopped (20-27 %; vocoder_ceiling.py --excitation, tools/train/README.md,
fifteenth run). Since the output is a function of the latents alone, a decoder can be trained on
it as on a regression target (train_autoencoder.py --teacher), without the unpredictable phase
that real audio asks of it.

constant_modulus keeps every bin at its expected magnitude and lets the excitation choose only
its phase: X_t[k] = sqrt(P_b(k)[t]) * m_k / |m_k| * rms(m_k), m_k = sum_j W[j, k] e_j[t], so each
frame's spectrum is the band envelope itself rather than a draw scattered bin by bin around it.
Of 32 walks on gravel (22 heard as footsteps as recorded), YAMNet heard 1-2 as footsteps when
rebuilt with Gaussian magnitudes from their band powers, and 13-17 with constant modulus (64
bands, 32 channels); with the band latents' default posterior jitter (band_latents.INFORMATIVE_STD)
none either way (tools/train/README.md, twenty-second run).
"""
import torch

import common
from band_latents import WINDOW, BandLatents, band_edges


def mixing_weights(bands, channels, per_band=0, seed=0):
    """[channels, bins] complex W. per_band = 0: every band mixes every channel; per_band = J:
    band b mixes only channels bJ .. bJ + J - 1 (channels must be bands * J)."""
    edges = band_edges(bands)
    bins = WINDOW // 2 + 1
    gen = torch.Generator().manual_seed(seed)
    w = torch.view_as_complex(torch.randn(channels, bins, 2, generator=gen, dtype=torch.float64))
    if not per_band:
        return w / (2 * channels) ** 0.5
    if channels != bands * per_band:
        raise ValueError(f"per_band {per_band} needs {bands * per_band} excitation channels, got {channels}")
    mask = torch.zeros(channels, bins, dtype=torch.float64)
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        mask[b * per_band:(b + 1) * per_band, lo:hi] = 1.0
    return w * mask / (2 * per_band) ** 0.5


def render(log_power, excitation, weights, constant_modulus=False):
    """log_power [batch, bands, frames] (band_latents.log_band_power's units), excitation
    [batch, channels, frames], weights from mixing_weights -> [batch, frames * DOWNSAMPLING]
    mono audio whose band power in frame t is, on average over excitation draws, exp(log_power)
    (with constant_modulus, each frame's bins have their expected magnitude: see the module notes)."""
    hop = common.DOWNSAMPLING
    edges = band_edges(log_power.shape[1])
    band_of = torch.repeat_interleave(torch.arange(log_power.shape[1]), torch.as_tensor(edges[1:] - edges[:-1]))
    amplitude = (0.5 * log_power.double()).exp()[:, band_of.to(log_power.device)]  # [batch, bins, frames]
    weights = weights.to(log_power.device)
    mix = torch.einsum("ck,bct->btk", weights, excitation.double().to(torch.complex128))
    if constant_modulus:  # each bin's expected magnitude (unit-variance excitation), the draw's phase
        mix = mix / mix.abs().clamp_min(1e-12) * weights.abs().pow(2).sum(0).sqrt()
    # A Hann-windowed bin of white noise of variance s^2 has power s^2 * sum(hann^2) = s^2 * 3N/8,
    # and a segment from irfft has variance sum|X|^2 / N^2: sqrt(8/3) makes the segment's variance
    # the one the band powers were measured from.
    segments = torch.fft.irfft(amplitude.transpose(1, 2) * mix, n=WINDOW) * (8.0 / 3.0) ** 0.5
    # Synthesis by sqrt-Hann overlap-add without normalisation: for independent segments the
    # squared windows sum to one at every sample, so the level does not swing at the frame rate
    # (istft divides by the summed squared windows, which dips to half halfway between frame
    # centres, so such segments came out up to 3 dB louder there: a swing at the frame rate).
    segments = segments * torch.hann_window(WINDOW, dtype=torch.float64, device=log_power.device).sqrt()
    first, second = segments[..., :hop], segments[..., hop:]
    out = torch.nn.functional.pad(first, (0, 0, 0, 1)) + torch.nn.functional.pad(second, (0, 0, 1, 0))
    out = out.flatten(1)  # sample 0 is the start of frame 0's window, H/2 before its samples
    frames = log_power.shape[2]
    return out[:, hop // 2: hop // 2 + frames * hop].to(log_power.dtype)


class ExcitationVocoder:
    """Called on band latents z [batch, latent_dim, frames] -> [batch, 2, samples]: the same
    signal on both channels (band latents describe the mid signal only), every band mixing all
    the excitation channels."""

    def __init__(self, bands: BandLatents, constant_modulus=False):
        self.bands = bands
        self.weights = mixing_weights(bands.bands, bands.latent_dim - bands.bands)
        self.learned = None
        self.constant_modulus = constant_modulus

    def learn(self, state=None):
        """Make W trainable (from `state`, an earlier learned W, if given) and return it. Each bin
        is renormalised to unit expected power on every call, so the excitation stays flat in
        expectation whatever the training does with it: the decoder and its teacher can meet on
        waveforms a decoder can make, but not on tones."""
        start = torch.view_as_real(self.weights) if state is None else state.double()
        self.learned = torch.nn.Parameter(start.clone())
        return self.learned

    def mixing(self):
        if self.learned is None:
            return self.weights
        w = torch.view_as_complex(self.learned)
        return w / w.abs().pow(2).sum(0, keepdim=True).sqrt()

    def log_power(self, z):
        b = self.bands
        return z[:, :b.bands] * b.std.to(z.device)[:, None] + b.mean.to(z.device)[:, None]

    def __call__(self, z):
        mono = render(self.log_power(z), z[:, self.bands.bands:], self.mixing(), self.constant_modulus)
        return torch.stack([mono, mono], dim=1)
