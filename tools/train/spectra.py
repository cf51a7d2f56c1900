"""Log-magnitude spectrograms shared by the autoencoder's losses (train_autoencoder.py), its
discriminator (discriminator.py) and the latent probe (probe_latents.py), so all three measure
sound the same way."""
import numpy as np
import torch

import common


def stft_mag(x, n_fft, hop=None):
    """|STFT| of every row of x ([..., samples] -> [rows, bins, frames]), Hann window, hop n_fft/4
    unless given, clamped at 1e-5 so that a log of it is finite."""
    spec = torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop_length=hop or n_fft // 4,
                      window=torch.hann_window(n_fft, device=x.device), return_complex=True)
    return spec.abs().clamp_min(1e-5)


def log_mag(m, floor):
    """log(m + floor): below the floor, differences stop counting (see --log-floor)."""
    return (m + floor).log()


def mel_bank(n_fft, n_mels, sr=common.SAMPLE_RATE, f_min=40.0):
    """Triangular filters on the HTK mel scale, [n_mels, n_fft // 2 + 1]."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)
    hz = 700.0 * (10 ** (np.linspace(mel(f_min), mel(sr / 2), n_mels + 2) / 2595.0) - 1.0)
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    bank = np.zeros((n_mels, len(freqs)), dtype=np.float32)
    for i in range(n_mels):
        lo, mid, hi = hz[i], hz[i + 1], hz[i + 2]
        bank[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return torch.from_numpy(bank)
