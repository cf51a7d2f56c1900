"""Training-only multi-resolution spectrogram discriminator for the autoencoder's decoder.

Why: trained on spectral distances alone, the seventh run's decoder filled every band with
noise of the right level: YAMNet called its reconstructions "Noise", "Static", "White noise"
or "Cacophony" where the originals were footsteps, knocks or groans (18.6 % agreement). An
L1 on log spectra is satisfied on average by noise of the right envelope; a discriminator
is not, and its feature-matching loss is a learned perceptual distance (as in MelGAN, HiFi-GAN,
EnCodec and DAC, whose recipe SAOS's autoencoder follows).

CPU-sized: three STFT resolutions, log-magnitude input (level-independent: training crops are
augmented over 12 dB), a few narrow 2-D convolutions that stride along frequency from the first
layer on (at 16 channels without the first stride it cost three times the decoder's own step).
Never exported; the engine only sees the decoder it trained.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import weight_norm

from spectra import stft_mag


class SpectrogramDiscriminator(nn.Module):
    """One resolution: [batch, 2, samples] -> (logits, feature maps)."""

    def __init__(self, n_fft: int, channels: int = 12):
        super().__init__()
        self.n_fft = n_fft
        c = channels
        self.convs = nn.ModuleList([
            weight_norm(nn.Conv2d(2, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), dilation=(2, 1), padding=(2, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), dilation=(4, 1), padding=(4, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 3), padding=(1, 1))),
        ])
        self.out = weight_norm(nn.Conv2d(c, 1, (3, 3), padding=(1, 1)))

    def forward(self, x):
        b, ch, _ = x.shape
        spec = stft_mag(x, self.n_fft)
        h = spec.log().reshape(b, ch, spec.shape[-2], spec.shape[-1])
        h = h.transpose(2, 3)  # [batch, channels, time, frequency]
        features = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
            features.append(h)
        return self.out(h), features


class MultiResolutionDiscriminator(nn.Module):
    def __init__(self, sizes=(2048, 1024, 512), channels: int = 12):
        super().__init__()
        self.discriminators = nn.ModuleList([SpectrogramDiscriminator(n, channels) for n in sizes])

    def forward(self, x):
        return [d(x) for d in self.discriminators]


def discriminator_loss(disc, real, fake):
    """Hinge loss of the discriminator on detached decoder output."""
    loss = 0.0
    for (logit_real, _), (logit_fake, _) in zip(disc(real), disc(fake.detach())):
        loss = loss + F.relu(1 - logit_real).mean() + F.relu(1 + logit_fake).mean()
    return loss / len(disc.discriminators)


def generator_losses(disc, real, fake):
    """(adversarial hinge loss, feature-matching L1) for the decoder. Feature maps of the real
    audio carry no gradient, and the discriminator's own weights are left out of the graph: the
    decoder's backward pass then computes no weight gradients the discriminator step would only
    discard."""
    adv, fm = 0.0, 0.0
    with torch.no_grad():
        real_out = disc(real)
    disc.requires_grad_(False)
    try:
        for (logit_fake, feats_fake), (_, feats_real) in zip(disc(fake), real_out):
            adv = adv + F.relu(1 - logit_fake).mean()
            fm = fm + sum(F.l1_loss(a, b) / (b.abs().mean() + 1e-5)
                          for a, b in zip(feats_fake, feats_real)) / len(feats_real)
    finally:
        disc.requires_grad_(True)
    n = len(disc.discriminators)
    return adv / n, fm / n
