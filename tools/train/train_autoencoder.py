#!/usr/bin/env python3
"""Stage 1: train the Oobleck VAE (encoder + decoder) of foley-mini on the training split.

Loss: a spectral term on left/right and on mid/side (multi-resolution STFT: log-magnitude L1 +
spectral convergence; or `--loss mel`: multi-resolution log-mel L1) + waveform L1 + a small KL
term, and optionally the EnvelopeHead term that makes the latents carry the spectral envelope
and a spectrogram discriminator's adversarial and feature-matching terms (discriminator.py).
Resumes from <out>/autoencoder.pt; stops after --minutes or --steps.
Usage: train_autoencoder.py --cache data-cache --out checkpoints [--minutes 45]
"""
import argparse
import functools
import os
import random
import re
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

import common
from band_latents import BandLatents
from excitation_vocoder import ExcitationVocoder
from discriminator import MultiResolutionDiscriminator, discriminator_loss, generator_losses
from spectra import log_mag, mel_bank, stft_mag


def stereo_views(pred, target):
    """(pred, target) as left/right and as mid/side, the pairs both spectral losses compare."""
    def mid_side(x):
        return torch.stack([x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]], dim=1) * 0.5

    return (pred, target), (mid_side(pred), mid_side(target))


def multi_res_stft_loss(pred, target, sizes=(2048, 1024, 512, 256, 128, 64), floor=1e-5):
    loss = 0.0
    for a, b in stereo_views(pred, target):
        for n in sizes:
            pm, tm = stft_mag(a, n), stft_mag(b, n)
            loss = loss + F.l1_loss(log_mag(pm, floor), log_mag(tm, floor))
            loss = loss + (torch.linalg.norm(tm - pm) / torch.linalg.norm(tm).clamp_min(1e-5))
    return loss / len(sizes)


class EnvelopeHead(torch.nn.Module):
    """Training-only probe that makes the latent carry the sound's spectral envelope. From each
    latent frame (posterior mean) a linear map predicts the log energy of 32 log-spaced bands in
    each 512-sample (10.7 ms, YAMNet's hop) sub-frame of the frame. Without it the second run's
    encoder had learned little in 2,400 steps: a linear read-out of its latents explained R² 0.31
    of those band energies (diagnose_autoencoder.py), and the decoder, fed latents without the
    envelope, could only output level-averaged noise. The head is not exported; the engine never
    sees it."""

    BANDS, SUB = 32, common.DOWNSAMPLING // 512

    def __init__(self, latent_dim):
        super().__init__()
        self.proj = torch.nn.Linear(latent_dim, self.BANDS * self.SUB)
        hop = common.DOWNSAMPLING // self.SUB
        edges = np.geomspace(1, hop // 2 + 1, self.BANDS + 1).astype(int)
        for i in range(1, len(edges)):  # at least one FFT bin per band at the low end
            edges[i] = max(edges[i], edges[i - 1] + 1)
        bank = np.zeros((self.BANDS, hop // 2 + 1), dtype=np.float32)
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            bank[i, a:b] = 1.0 / (b - a)
        self.register_buffer("bank", torch.from_numpy(bank))
        self.register_buffer("window", torch.hann_window(hop))

    def target(self, x):
        """[batch, frames, SUB * BANDS] log band power of the mid signal, frame-aligned."""
        hop = self.window.shape[0]
        mid = x.mean(1)
        spec = torch.stft(mid, hop, hop_length=hop, window=self.window, center=False, return_complex=True)
        power = self.bank @ spec.abs().pow(2)  # [batch, bands, sub-frames]
        frames = power.shape[-1] // self.SUB
        power = power[..., : frames * self.SUB].reshape(power.shape[0], -1, frames, self.SUB)
        return (power + 1e-8).log().permute(0, 2, 3, 1).reshape(power.shape[0], frames, -1)

    def loss(self, mean, x):
        target = self.target(x)
        pred = self.proj(mean.transpose(1, 2))[:, : target.shape[1]]
        return F.l1_loss(pred, target) * 0.5  # log power / 2 = log magnitude, the STFT loss's unit


def frame_comb_loss(pred, target, sizes=(8192, 4096), floor=1e-5):
    """Log-magnitude L1 on linear-frequency bins much finer than the latent frame rate (5.9 and
    11.7 Hz bins against teeth 46.9 Hz apart at x1024). A decoder fed slowly varying latents
    repeats one waveform per latent frame: diagnose_autoencoder.py measured an autocorrelation
    of 0.98 at a lag of one frame in the reconstructions (originals: 0.0), a harmonic comb at
    the frame rate that YAMNet hears as Synthesizer/Music and a listener as buzz. Mel bands
    above ~1 kHz are wider than the comb's spacing, and at x2048 the frame rate equalled the
    2048-point STFT's bin spacing, so neither earlier loss could see it. Windows of 2048 and
    4096 points, whose main lobes span the teeth, still let 36 % of the energy sit on the teeth
    after 1,100 steps (originals 5 %); these two resolve them. Needs crops of at least
    2 x sizes[0] samples."""
    loss = 0.0
    for a, b in stereo_views(pred, target):
        for n in sizes:
            loss = loss + F.l1_loss(log_mag(stft_mag(a, n), floor), log_mag(stft_mag(b, n), floor))
    return loss / len(sizes)


@functools.lru_cache(maxsize=None)
def band_bank(n_fft, bands, f_min, device, sr=common.SAMPLE_RATE):
    """[bands, n_fft // 2 + 1] on `device`: rows averaging the power of log-spaced bands from
    f_min to sr / 2."""
    edges = np.geomspace(f_min, sr / 2, bands + 1) * n_fft / sr
    bank = np.zeros((bands, n_fft // 2 + 1), dtype=np.float32)
    for i in range(bands):
        lo = int(edges[i])
        hi = max(int(edges[i + 1]), lo + 1)
        bank[i, lo:hi] = 1.0 / (hi - lo)
    return torch.from_numpy(bank).to(device)


def band_energy_loss(pred, target, floor=1e-5, n_fft=4096, bands=24, f_min=30.0, frames=4):
    """L1 of log band power: the mean power of 24 log-spaced bands (30 Hz to 24 kHz, 4096-point
    frames averaged over 85 ms), on left/right and mid/side. Two biases of the per-bin losses it
    removes:
    - Bass: 30-200 Hz is under 1 % of the bins of a linear STFT and about 8 % of the mel bands,
      and here 7 of 24 bands. The tenth run's decoder put out 18 dB too little energy there on
      training clips, where explosions, slams and footsteps have most of theirs.
    - Noise: a decoder cannot reproduce the target's random per-bin fluctuation, and under L1
      between two independent noise spectra (and under spectral convergence) a quieter output
      scores better. Averaged over many bins, the band power of noise is nearly deterministic,
      so this loss is lowest at the right level.
    Fine-tuning a trained autoencoder with it for 1,000-4,000 steps did not move those levels
    (eleventh run, tools/train/README.md); it is meant for runs that start with it."""
    bank = band_bank(n_fft, bands, f_min, pred.device)
    loss = 0.0
    for a, b in stereo_views(pred, target):
        pa, pb = (F.avg_pool1d(bank @ stft_mag(v, n_fft).pow(2), frames, ceil_mode=True) for v in (a, b))
        loss = loss + F.l1_loss(0.5 * (pa + floor ** 2).log(), 0.5 * (pb + floor ** 2).log())
    return loss / 2


MEL_SCALES = ((2048, 128), (1024, 80), (512, 64), (256, 40), (128, 20), (64, 10))


@functools.lru_cache(maxsize=None)
def cached_mel_bank(n_fft, n_mels, device):
    """mel_bank on `device`, built once per scale and device, not every step."""
    return mel_bank(n_fft, n_mels).to(device)


def drift_loss(pred, target, window=common.DOWNSAMPLING):
    """L1 between the output's and the input's averages over one latent frame: DC and the drift
    below ~47 Hz, which the mel loss (from 40 Hz) and log spectra hardly see. A decoder that
    upsamples by repeating frames passes a constant input straight through as DC, and without
    this term its output wandered off by hundreds (by step 350 of the tenth run's first try)."""
    return F.l1_loss(F.avg_pool1d(pred, window), F.avg_pool1d(target, window))


def periodicity_loss(pred, target, lags=(common.DOWNSAMPLING, 2 * common.DOWNSAMPLING)):
    """L1 between the output's and the input's autocorrelation (mid signal, whole crop) at lags of
    one and two latent frames. A decoder gets only a few dozen random numbers per latent frame to
    make noise from, and the twelfth run's settled into a waveform that flips sign from frame to
    frame: autocorrelation -0.28 at one frame (input 0.00), a comb at odd multiples of half the
    frame rate that YAMNet called Music or horn in most of its disagreements (diagnose_autoencoder.py,
    run_eval.py --ae-checkpoint)."""
    def autocorrelation(s, lag):
        return (s[:, :-lag] * s[:, lag:]).sum(-1) / s.pow(2).sum(-1).clamp_min(1e-8)

    y, x = pred.mean(1), target.mean(1)
    return sum(F.l1_loss(autocorrelation(y, lag), autocorrelation(x, lag)) for lag in lags) / len(lags)


def multi_res_mel_loss(pred, target, floor=1e-5):
    """L1 of log mel magnitudes at six resolutions, on left/right and mid/side, as DAC's mel loss:
    every mel band weighs the same, so the 8-24 kHz bins, two thirds of a linear STFT, no longer
    dominate the loss over the range where sounds are told apart."""
    loss = 0.0
    for a, b in stereo_views(pred, target):
        for n_fft, n_mels in MEL_SCALES:
            bank = cached_mel_bank(n_fft, n_mels, a.device)
            pm, tm = bank @ stft_mag(a, n_fft), bank @ stft_mag(b, n_fft)
            loss = loss + F.l1_loss(log_mag(pm, floor), log_mag(tm, floor))
    return loss / len(MEL_SCALES)


# A decoder stage's upsampling conv, in either form (ConvTranspose1d at layers.1, nearest + Conv1d at layers.1.1).
UPSAMPLER_KEY = re.compile(r"decoder\.layers\.\d+\.layers\.1(\.1)?\.(weight_g|weight_v|bias)")


def warm_start(ae, path):
    """Initialise from an earlier autoencoder.pt, also one with fewer latent channels: the
    encoder's last conv gains rows (mean and scale halves each padded) and the decoder's first
    conv gains zero input columns, so the old model's function is kept exactly (weight norm:
    zero columns leave |v| unchanged) and the new channels start unused. Between a transposed-conv
    and a nearest-upsampling decoder the upsampling convs have no counterpart and keep their fresh
    initialisation; every other weight is taken over."""
    old = common.load_checkpoint(path)["autoencoder"]
    new = ae.state_dict()
    fresh = []
    for key, value in new.items():
        src = old.get(key)
        if src is None:
            if not UPSAMPLER_KEY.fullmatch(key):
                raise SystemExit(f"--init-from: {path} has no {key}")
            fresh.append(key)
        elif src.shape == value.shape:
            new[key] = src
        elif key.startswith("encoder.") and src.shape[1:] == value.shape[1:]:
            h_old, h_new = src.shape[0] // 2, value.shape[0] // 2
            value[:h_old], value[h_new:h_new + h_old] = src[:h_old], src[h_old:]
        elif key.startswith("decoder.") and src.shape[0] == value.shape[0] and src.shape[2:] == value.shape[2:]:
            value.zero_()
            value[:, : src.shape[1]] = src
        else:
            raise SystemExit(f"--init-from: cannot map {key} {tuple(src.shape)} -> {tuple(value.shape)}")
    ae.load_state_dict(new)
    print(f"initialised from {path}" + (f"; new: {', '.join(fresh)}" if fresh else ""), flush=True)


def sharpen_posterior(ae, shift):
    """Lower the bias of the encoder's scale half by `shift`, so the posterior std
    softplus(scale) starts near softplus(scale - shift). The second run's VAE (2,411 steps at KL
    1e-4) had a posterior std of 0.4-1.1 against latent means of 1.2-3.5: the decoder was trained
    on latents drowned in sampling noise, learned to output quiet, featureless noise (YAMNet
    heard the category in 6 % of held-out reconstructions, against 47 % of the originals), and
    the DiT's targets were mostly that noise, which no prompt can predict."""
    last = ae.encoder.layers[-1]
    half = last.bias.shape[0] // 2
    with torch.no_grad():
        last.bias[half:] -= shift
    print(f"posterior scale bias lowered by {shift}", flush=True)


# softplus(x) + 1e-4 = 1: the scale bias that makes a channel's posterior std exactly the prior's
PRIOR_SCALE_BIAS = float(np.log(np.expm1(1.0 - 1e-4)))


def pin_noise_channels(ae, n):
    """Make the last `n` latent channels carry no information: the encoder's mean rows for them
    are zero and their posterior std is 1, so their samples are the prior N(0, 1) whatever the
    audio. The decoder, trained on posterior samples, learns to use them as an excitation source
    and the other channels for what to make of it (a spectral envelope, with EnvelopeHead).
    Why: a deterministic decoder fed only slowly varying latents can output just one waveform
    per frame (the frame-rate buzz) or the level-averaged mean, and latents that carry the
    waveform itself spend their values on detail no prompt predicts (the eighth run's probe read
    the category from the shipped latents at 24 %, from the audio's log-mel at 49 %). The DiT
    then makes the informative channels from the prompt and plain noise for these. Called after
    every optimizer step; the exported model is an ordinary Oobleck VAE."""
    if n <= 0:
        return
    last = ae.encoder.layers[-1]
    half = last.bias.shape[0] // 2
    with torch.no_grad():
        for rows, bias in ((slice(half - n, half), 0.0), (slice(2 * half - n, 2 * half), PRIOR_SCALE_BIAS)):
            last.weight_g[rows] = 0.0
            last.bias[rows] = bias


def boost_noise_input(ae, n, gain):
    """Start-of-run init: the decoder's first conv weighs the `n` pinned noise channels `gain`
    times more against the informative ones (weight norm keeps each output's scale). Measured on
    the ninth run's autoencoders after ~2,300 steps: the latent means spread with a std of ~5
    (over all channels, the pinned ones zero) against the noise's 1, and two noise draws changed
    the output by 3.5-7 % of its energy: the decoder ignored its excitation and buzzed at the
    frame rate (0.5-0.6 of the energy on the comb's teeth)."""
    first = ae.decoder.layers[0]
    with torch.no_grad():
        first.weight_v[:, first.weight_v.shape[1] - n:] *= gain
    print(f"decoder input: noise channels x{gain:g}", flush=True)


def fresh_band_inputs(ae, bands):
    """Start-of-run init for a decoder taken over from a learned encoder's (--init-from) that is
    to read band latents: the first conv's columns for the `bands` informative channels start
    random at the scale of the others, since their meaning changes; the excitation's columns
    and every later layer are kept."""
    first = ae.decoder.layers[0]
    with torch.no_grad():
        kept = first.weight_v[:, bands:]
        first.weight_v[:, :bands] = torch.randn_like(first.weight_v[:, :bands]) * kept.std()
    print(f"decoder input: {bands} band-latent columns re-initialised", flush=True)


def scale_io(ae, gain):
    """Fresh-start init: the encoder's input conv amplifies by `gain` and the decoder's output
    conv attenuates by it. Audio is ~0.05 RMS, and at that level Snake (x + sin^2(a x)/b, a = b = 1)
    is linear to within a few percent, so with the default init the high-rate layers of both
    halves cannot rectify: the encoder cannot measure energy and the decoder cannot make noise.
    Measured on the second run's VAE after 2,400 steps: 0.03-0.2 RMS in the encoder's first
    three stages, 0.02 in the decoder's last two. The exported model is the same Oobleck; only
    where training starts differs."""
    first, last = ae.encoder.layers[0], ae.decoder.layers[-2]
    with torch.no_grad():
        first.weight_g.mul_(gain)
        first.bias.mul_(gain)
        last.weight_g.div_(gain)
    print(f"input conv x{gain:g}, output conv /{gain:g}", flush=True)


class CropSampler:
    """Random crops of `length` samples from the training clips, avoiding silent crops."""

    def __init__(self, cache, length, seed=0):
        rows = common.read_manifest(cache, "train")
        self.clips = [common.load_clip(cache, r["clip"]) for r in rows]
        self.length = length
        self.rng = random.Random(seed)
        print(f"autoencoder data: {len(self.clips)} clips, "
              f"{sum(c.shape[1] for c in self.clips) / common.SAMPLE_RATE / 3600:.2f} h", flush=True)

    def batch(self, size):
        out = np.zeros((size, 2, self.length), dtype=np.float32)
        for i in range(size):
            for _ in range(4):  # retry a few times to avoid near-silent crops
                clip = self.clips[self.rng.randrange(len(self.clips))]
                n = clip.shape[1]
                start = self.rng.randrange(max(1, n - self.length + 1))
                crop = clip[:, start:start + self.length].astype(np.float32) / 32768.0
                if np.abs(crop).max() > 0.01:
                    break
            gain = 10 ** (self.rng.uniform(-12, 0) / 20)  # level augmentation
            if self.rng.random() < 0.5:
                crop = crop[::-1]  # swap left/right
            out[i, :, :crop.shape[1]] = crop * gain
        return torch.from_numpy(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=16384)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--kl", type=float, default=1e-4)
    ap.add_argument("--wave-weight", type=float, default=0.5,
                    help="weight of the waveform L1 term; it pulls every sound whose phase the decoder cannot "
                         "predict towards silence")
    ap.add_argument("--init-from", default="", help="start a new run from another autoencoder.pt (see warm_start)")
    ap.add_argument("--sharpen-posterior", type=float, default=0.0,
                    help="at the start of a run (not on resume), lower the encoder's scale bias by this much "
                         "(see sharpen_posterior)")
    ap.add_argument("--loss", choices=("stft", "mel"), default="stft",
                    help="spectral loss: multi-resolution STFT (log magnitude + spectral convergence) or mel")
    ap.add_argument("--snake-lr-mult", type=float, default=1.0,
                    help="learning-rate factor of the Snake activations' log alpha and beta. With the default, "
                         "the decoder's high-rate stages settled at ~0.08 RMS in 2,000 steps, where Snake "
                         "(alpha = 1) is linear: the output could neither make noise nor follow the level")
    ap.add_argument("--spectral-weight", type=float, default=1.0,
                    help="weight of the per-bin --loss (stft or mel). 0 with --band-latents leaves the decoder to "
                         "--band-weight and --cycle-weight: the latents fix only band power, and a per-bin loss asks "
                         "for fine structure they do not carry. Dropping it from the twelfth run's decoder changed "
                         "nothing measurable in 2,000 steps (tools/train/README.md, thirteenth run)")
    ap.add_argument("--periodicity-weight", type=float, default=0.0,
                    help="weight of periodicity_loss (output vs input autocorrelation at one and two latent frames)")
    ap.add_argument("--excitation-gain-min", type=float, default=1.0,
                    help="with --band-latents: each clip's excitation channels are scaled by a gain drawn uniformly "
                         "from [this, 1], so the decoder does not depend on their level. Ping-pong sampling hands it "
                         "excitation with a std of 0.56, not the 1.0 it was trained on (tools/train/README.md, "
                         "thirteenth run)")
    ap.add_argument("--comb-weight", type=float, default=0.0,
                    help="weight of frame_comb_loss, which penalises output that repeats every latent frame")
    ap.add_argument("--io-gain", type=float, default=1.0,
                    help="on a fresh start, amplify the encoder input and attenuate the decoder output by this "
                         "factor (see scale_io)")
    ap.add_argument("--envelope-weight", type=float, default=0.0,
                    help="weight of the EnvelopeHead loss that makes latents carry the spectral envelope")
    ap.add_argument("--band-weight", type=float, default=0.0,
                    help="weight of band_energy_loss (log power of 24 log-spaced bands over 85 ms: bass and noise levels)")
    ap.add_argument("--drift-weight", type=float, default=0.0,
                    help="weight of drift_loss (DC and sub-47 Hz drift); needed with --nearest-upsample")
    ap.add_argument("--cosine", action="store_true",
                    help="cosine learning-rate decay to 10 %% at --steps (the step budget, resumable)")
    ap.add_argument("--decoder-only", action="store_true",
                    help="freeze the encoder (its latents are already cached for the DiT) and fine-tune the decoder")
    ap.add_argument("--adv-weight", type=float, default=0.0,
                    help="weight of the discriminator's hinge loss on the decoder output (0: no discriminator)")
    ap.add_argument("--fm-weight", type=float, default=0.0,
                    help="weight of the discriminator's feature-matching loss (needs --adv-weight > 0)")
    ap.add_argument("--disc-lr", type=float, default=2e-4)
    ap.add_argument("--noise-channels", type=int, default=0,
                    help="the last N latent channels are pinned to the prior N(0, 1): excitation noise for the "
                         "decoder, no information (see pin_noise_channels)")
    ap.add_argument("--noise-input-gain", type=float, default=1.0,
                    help="at the start of a run, weigh the noise channels this much more in the decoder's first conv")
    ap.add_argument("--nearest-upsample", action="store_true",
                    help="a fresh or warm-started run gets the decoder that upsamples by repeating frames and a "
                         "conv (the official use_nearest_upsample) instead of transposed convs; a resume keeps "
                         "the checkpoint's")
    ap.add_argument("--band-latents", default="",
                    help="train the decoder alone on the fixed latents of this band_latents.pt (band_latents.py) "
                         "instead of a learned encoder's")
    ap.add_argument("--cycle-weight", type=float, default=0.0,
                    help="with --band-latents: L1 between the band latents of the output and of the input "
                         "(standardised units), so the decoder makes what its latents say")
    ap.add_argument("--teacher", action="store_true",
                    help="with --band-latents: every loss compares the output with excitation_vocoder's rendering of "
                         "the same latents instead of with the clip, so the decoder learns a function of its input "
                         "(plain regression) instead of guessing phases the latents do not carry")
    ap.add_argument("--learn-teacher", action="store_true",
                    help="with --teacher: the teacher's mixing weights train with the decoder (per-bin power kept "
                         "at one, ExcitationVocoder.learn), so the two can agree on noise a decoder can make")
    ap.add_argument("--log-floor", type=float, default=1e-5,
                    help="magnitude added before the log in every spectral loss. At 1e-5 (154 dB below a full-scale "
                         "sine's 2048-point bin) the seventh run's decoder spent most of its loss on silence: frames "
                         "of digital zero (crops past a clip's end) were 25 %% of a batch and 65 %% of the mel loss "
                         "(+5.8 nats each, a noise floor 50 dB under the sound), while loud frames stayed 1.35 nats "
                         "off. 1e-3 is about 12 dB above 16-bit quantisation noise in one 2048-point bin")
    args = ap.parse_args()
    if not 0 <= args.noise_channels < common.LATENT_DIM:
        ap.error(f"--noise-channels must leave at least one of the {common.LATENT_DIM} latent channels informative")
    if args.noise_input_gain != 1.0 and not args.noise_channels:
        ap.error("--noise-input-gain needs --noise-channels")
    if args.fm_weight and not args.adv_weight:
        ap.error("--fm-weight needs the discriminator of --adv-weight")
    if args.io_gain != 1.0 and args.init_from:
        ap.error("--io-gain is an initialisation for fresh weights; --init-from brings trained ones")
    if args.band_latents and (args.noise_channels or args.envelope_weight or not args.decoder_only):
        ap.error("--band-latents trains the decoder alone (--decoder-only) and sets the noise channels itself")
    common.set_threads()
    device = common.training_device()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "autoencoder.pt")

    resume = common.load_checkpoint(ckpt_path) if os.path.exists(ckpt_path) else None
    bands = None
    if args.band_latents or (resume and "band_latents" in resume):
        bands = BandLatents(resume["band_latents"] if resume else common.load_checkpoint(args.band_latents))
        if not args.decoder_only:
            ap.error(f"{ckpt_path} reads band latents, which have no encoder to train: resume with --decoder-only")
    if args.excitation_gain_min < 1.0 and not bands:
        ap.error("--excitation-gain-min needs --band-latents (or a checkpoint that reads them)")
    if resume and resume.get("teacher", False) != args.teacher:
        how = "with" if resume.get("teacher") else "without"
        ap.error(f"{ckpt_path} was trained {how} --teacher; resume the same way")
    if args.teacher and not bands:
        ap.error("--teacher needs --band-latents (or a checkpoint that reads them)")
    teacher = ExcitationVocoder(bands) if args.teacher else None
    if args.learn_teacher and not teacher:
        ap.error("--learn-teacher needs --teacher")
    if resume and "teacher_weights" in resume and not args.learn_teacher:
        ap.error(f"{ckpt_path} learned its teacher's weights: resume with --learn-teacher")
    if args.cycle_weight and not bands:
        ap.error("--cycle-weight needs --band-latents (or a checkpoint that reads them)")
    if resume and resume.get("noise_channels", 0) != args.noise_channels:
        # Resuming without the flag would stop pinning those channels and let them carry signal.
        ap.error(f"{ckpt_path} was trained with --noise-channels {resume.get('noise_channels', 0)}; "
                 f"resume with the same value")
    nearest = common.uses_nearest_upsample(resume["autoencoder"]) if resume else args.nearest_upsample
    model = common.build_foley_model(common.model_config(nearest_upsample=nearest))
    ae = model.pretransform.model.to(device)
    envelope = EnvelopeHead(common.LATENT_DIM).to(device)
    train_envelope = args.envelope_weight > 0 and not args.decoder_only  # a frozen encoder has nothing to learn
    trained = ae.decoder if args.decoder_only else torch.nn.ModuleList([ae, envelope])
    learned_teacher = []
    if args.learn_teacher:
        learned_teacher.append(teacher.learn(resume.get("teacher_weights") if resume else None))
    params = list(trained.parameters()) + learned_teacher
    snake = [p for n, p in trained.named_parameters() if n.endswith((".alpha", ".beta"))]
    others = [p for n, p in trained.named_parameters() if not n.endswith((".alpha", ".beta"))]
    others += learned_teacher
    opt = torch.optim.AdamW([{"params": others, "lr_mult": 1.0}, {"params": snake, "lr_mult": args.snake_lr_mult}],
                            lr=args.lr, betas=(0.8, 0.99), weight_decay=0.0)
    disc = MultiResolutionDiscriminator().to(device) if args.adv_weight else None
    disc_opt = torch.optim.AdamW(disc.parameters(), lr=args.disc_lr, betas=(0.8, 0.99)) if disc else None
    step, log, warm_from = 0, [], None
    if resume:
        state = resume
        ae.load_state_dict(state["autoencoder"])
        if disc and "discriminator" in state:
            disc.load_state_dict(state["discriminator"])
            disc_opt.load_state_dict(state["discriminator_optimizer"])
        if "envelope" in state:
            envelope.load_state_dict(state["envelope"])
        step, log = state["step"], state.get("log", [])
        try:
            opt.load_state_dict(state["optimizer"])
        except (KeyError, ValueError):  # imported (import_model.py), decoder-only switched, envelope head added
            print("optimizer state not reused: fresh optimizer, warm-up from here", flush=True)
            warm_from = step
        print(f"resumed at step {step}", flush=True)
    else:
        if args.init_from:
            warm_start(ae, args.init_from)
        if args.io_gain != 1.0:
            scale_io(ae, args.io_gain)
        if args.sharpen_posterior:
            sharpen_posterior(ae, args.sharpen_posterior)
        if args.noise_input_gain != 1.0:
            boost_noise_input(ae, args.noise_channels, args.noise_input_gain)
        if bands and args.init_from:
            fresh_band_inputs(ae, bands.bands)
    pin_noise_channels(ae, args.noise_channels)
    sampler = CropSampler(args.cache, args.crop, seed=step)
    ae.train()
    print(f"training on {device}", flush=True)
    zero = torch.zeros((), device=device)  # the value of a loss term that is switched off

    def save():
        common.save_checkpoint(ckpt_path, {"autoencoder": ae.state_dict(), "optimizer": opt.state_dict(),
                                           "envelope": envelope.state_dict(), "step": step, "log": log,
                                           "decoder_only": args.decoder_only, "noise_channels": args.noise_channels,
                                           "teacher": args.teacher,
                                           **({"teacher_weights": teacher.learned.detach()}
                                              if args.learn_teacher else {}),
                                           **({"band_latents": {"bands": bands.bands, "mean": bands.mean,
                                                                "std": bands.std}} if bands else {}),
                                           **({"discriminator": disc.state_dict(),
                                               "discriminator_optimizer": disc_opt.state_dict()} if disc else {})})

    start = time.time()
    last_save = start
    running = []
    stop = []  # SIGTERM ends the run cleanly: the loop exits and the checkpoint is saved
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while step < args.steps and (time.time() - start) < args.minutes * 60 and not stop:
        x = sampler.batch(args.batch).to(device)
        if bands:
            x_bands = bands.features(x)  # the latents' source, and the --cycle-weight target
            z, kl = bands.sample_of(x_bands), zero
            if args.excitation_gain_min < 1.0:
                gain = torch.empty(z.shape[0], 1, 1, device=device).uniform_(args.excitation_gain_min, 1.0)
                z[:, bands.bands:] *= gain
        else:
            with torch.set_grad_enabled(not args.decoder_only):
                pre = ae.encoder(x)
            z, kl = ae.bottleneck.encode(pre, return_kl=True)
        y = ae.decoder(z)
        ref = teacher(z.detach()).float() if teacher else x  # what the output should be
        with torch.set_grad_enabled(args.spectral_weight > 0):  # still logged when switched off
            spectral = (multi_res_stft_loss(y, ref, floor=args.log_floor) if args.loss == "stft"
                        else multi_res_mel_loss(y, ref, floor=args.log_floor))
        wav = F.l1_loss(y, ref)
        comb = frame_comb_loss(y, ref, floor=args.log_floor) if args.comb_weight else zero
        env = envelope.loss(pre.chunk(2, dim=1)[0], x) if train_envelope else zero
        loss = (args.spectral_weight * spectral + args.wave_weight * wav + args.kl * kl + args.envelope_weight * env
                + args.comb_weight * comb)
        if args.drift_weight:
            loss = loss + args.drift_weight * drift_loss(y, ref)
        band = band_energy_loss(y, ref, floor=args.log_floor) if args.band_weight else zero
        loss = loss + args.band_weight * band
        cycle = F.l1_loss(bands.features(y), x_bands) if args.cycle_weight else zero
        loss = loss + args.cycle_weight * cycle
        periodic = periodicity_loss(y, ref) if args.periodicity_weight else zero
        loss = loss + args.periodicity_weight * periodic
        adv = fm = d_loss = zero
        if disc:
            d_loss = discriminator_loss(disc, ref.detach(), y)  # a learned teacher is not the discriminator's
            disc_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            disc_opt.step()
            adv, fm = generator_losses(disc, ref, y)
            loss = loss + args.adv_weight * adv + args.fm_weight * fm
        progress = min(1.0, step / max(1, args.steps))
        decay = 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress)) if args.cosine else 1.0
        if warm_from is not None:  # fresh Adam moments would move every weight by ~lr at once
            decay *= min(1.0, (step - warm_from + 1) / 100)
        for g in opt.param_groups:  # also after a resume, whose optimizer state brings the old rates
            g["lr"] = args.lr * g["lr_mult"] * decay
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        pin_noise_channels(ae, args.noise_channels)
        step += 1
        running.append((spectral.item(), wav.item(), kl.item(), env.item(), comb.item(), band.item(), cycle.item(),
                        periodic.item(), float(adv), float(fm), float(d_loss)))
        if step % 25 == 0:
            s, w, k, e, c, b, cy, pe, a, f, d = np.mean(running, axis=0)
            running = []
            log.append({"step": step, args.loss: float(s), "l1": float(w), "kl": float(k), "envelope": float(e),
                        "comb": float(c), "band": float(b), "cycle": float(cy), "periodicity": float(pe),
                        "adv": float(a), "fm": float(f),
                        "disc": float(d), "elapsed_s": time.time() - start})
            gan = f" adv {a:.3f} fm {f:.3f} disc {d:.3f}" if disc else ""
            print(f"step {step} {args.loss} {s:.4f} l1 {w:.4f} kl {k:.2f} env {e:.3f} comb {c:.3f} band {b:.3f} "
                  f"cycle {cy:.3f} periodicity {pe:.3f}{gan} ({time.time() - start:.0f}s)", flush=True)
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    save()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
