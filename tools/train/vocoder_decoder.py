#!/usr/bin/env python3
"""An Oobleck decoder whose weights are computed, not learned: a noise vocoder of band latents.

Fifteen runs of training (tools/train/README.md) left every learned decoder of band latents at
20-28 % YAMNet agreement on held-out clips, while a noise vocoder of the same latents reaches
about half (vocoder_ceiling.py). What a small decoder could not learn on two CPU cores is to make
noise: its output has no randomness but the latents' excitation channels, and gradient descent
found tonal patterns instead. This script writes that noise vocoder into the Oobleck decoder's
own layers, so the engine runs it as any foley-mini decoder (same layer types, F16 weights):

1. The amplitude. A SnakeBeta with a tiny alpha and beta = alpha^2 is x + x^2 to within
   (alpha x)^2 / 3, so a pair of channels carrying +u and -u gives 2u^2 exactly with no linear
   term left. The first Snake turns each band's log power into q = a0 + a1 z + a2 z^2 ~ exp(z)
   with z = log amplitude / 32; five squarings in the residual units at 8x the latent rate make
   q^32 = the band's amplitude, relative to a reference level per band.
2. The noise. The first upsampling conv (transposed, so that each of a latent frame's 8 output
   positions has taps of its own) mixes the excitation channels into one noise channel per band:
   orthogonal tap vectors make it exactly white, with the same level at every position.
3. The product. (a + n)^2 - (a - n)^2 = 4an: the third residual unit forms amplitude times
   noise per band from four squaring channels, so nothing unmodulated leaks through.
4. The synthesis. Everything after is linear (linear Snakes), so each band's product reaches
   the output through one fixed kernel. Those kernels are fitted by gradient descent on impulse
   responses (fit_tail): flat gain over the band's own FFT bins, little outside, and a level
   that does not pulse within the products' 128-sample period.

Why transposed convs: nearest upsampling of a 375 Hz product puts exact zeros at every multiple
of 375 Hz into every path, and YAMNet heard the rippled spectrum as Music (22.7 % agreement).
With this decoder held-out clips are heard as their original in 47-51 % (white-noise vocoder
of the same latents: 51.3 %; the best learned decoder: 27.9 %; tools/train/README.md, sixteenth run).

--constant-modulus (twenty-third run) replaces the white noise of step 2, whose Gaussian bin
magnitudes made walks on gravel sound like sawing (0 of 32 heard as footsteps; the excitation
vocoder with every bin at its expected magnitude: 13-15). The first Snake turns mixtures of the
excitation into cosines and sines of random phases (PhaseRows), and the upsampling conv lays two
fixed patterns per band over each frame's 16 taps, turned by those phases: every bin keeps its
magnitude in every frame. Each band's patterns hold only the points its own bins alias to
(band_support), so its filter need only reject the aliases and mirror lines, and step 4 fits the
filters to short zero-phase responses over the band's own bins (zone_responses) instead of
magnitudes. Held-out clips are heard as their original in 64.1 % (white noise: 60.8 %), and the
DiT's rain as rain where white noise made half of it Vehicle (twenty-fourth run).
Usage: vocoder_decoder.py --band-latents checkpoints/r19/band_latents.pt --out checkpoints/r21 [--fit-steps 5000]
       [--constant-modulus]
"""
import argparse
import math
import os

import numpy as np
import torch

import common
from band_latents import WINDOW, BandLatents, band_edges
from foley_reference.oobleck import OobleckDecoder, SnakeBeta

C_MULTS = [1, 2, 8, 8]  # 128 channels at the latent rate and at 8x, where the vocoder's head lives (32 bands)
POWER = 32  # q^32: five squarings
SQUARE_ALPHA = 1e-3  # (alpha x)^2 / 3 stays under 1e-5 for the |x| < 5 these channels carry
FIRST_ALPHA = 1e-2   # the first Snake squares z, |z| < 0.6
LINEAR_ALPHA = 1e-4  # a linear Snake: x + 1e-8 x^2 with beta = 1
REFERENCE_STD = 3.0  # the band level that maps to q = 1: mean + 3 std of the training frames
PRODUCT_RATE = 8     # products at 8x the latent rate: 128 output samples per product value
PHASE_ALPHA = 4.0    # constant modulus: phase = 2 alpha x for unit-variance x, std 8 rad, uniform mod 2 pi
PHASE_GROUPS = 2     # constant modulus: random phases per band and frame (even and odd bins of the product period)


def f16(x):
    return torch.as_tensor(x, dtype=torch.float32).half().float()


def set_conv(conv, weight, bias=None):
    """Weight-normed conv := `weight` ([out, in, k], or [in, out, k] for transposed) exactly: v is the
    weight itself, g its norm; an all-zero row keeps a unit v and g = 0 (v / |v| must stay finite), and
    so does a row that F16 makes all zero (such as rounding noise: the sine taps of a real point are
    1e-15), whose exported v / |v| would be 0 / 0."""
    w = torch.as_tensor(weight, dtype=torch.float32).clone()
    norm = w.pow(2).sum(dim=tuple(range(1, w.dim())), keepdim=True).sqrt()
    norm.view(-1)[(w.half() == 0).flatten(1).all(1)] = 0.0
    zero = norm.flatten() == 0
    w[zero] = 1.0
    with torch.no_grad():
        conv.weight_v.copy_(w)
        conv.weight_g.copy_(torch.where(norm == 0, torch.zeros_like(norm), norm))
        if conv.bias is not None:
            conv.bias.copy_(torch.zeros_like(conv.bias) if bias is None else torch.as_tensor(bias, dtype=torch.float32))


def set_snakes(snake, squaring, alpha=SQUARE_ALPHA):
    """Per channel: squaring[c] True -> x + c2 x^2 with c2 ~ 1 (beta = alpha^2); False -> linear.
    Parameters are rounded to F16 here, so the gains computed from them are the exported ones.
    Returns c2 per channel: alpha^2 / (beta + 1e-9) in float32, as the engine and reference compute it."""
    n = snake.alpha.numel()
    squaring = torch.as_tensor(squaring, dtype=torch.bool)
    log_alpha = torch.where(squaring, torch.full((n,), math.log(alpha)), torch.full((n,), math.log(LINEAR_ALPHA)))
    log_beta = torch.where(squaring, torch.full((n,), math.log(alpha * alpha - 1e-9)), torch.zeros(n))
    with torch.no_grad():
        snake.alpha.copy_(f16(log_alpha))
        snake.beta.copy_(f16(log_beta))
    a = snake.alpha.exp()
    return a * a / (snake.beta.exp() + 1e-9)


def snake_value(snake, channel, x):
    """The Snake's output for a constant input on one channel (the constant channel's level)."""
    a, b = float(snake.alpha[channel].exp()), float(snake.beta[channel].exp())
    return x + math.sin(a * x) ** 2 / (b + 1e-9)


def exp_quadratic(z_lo, z_hi):
    """(a0, a1, a2): the quadratic closest to exp(z) in relative error on [z_lo, z_hi]."""
    z = np.linspace(z_lo, z_hi, 400)
    basis = np.stack([np.ones_like(z), z, z * z], 1) / np.exp(z)[:, None]
    return np.linalg.lstsq(basis, np.ones_like(z), rcond=None)[0]


def noise_taps(bands, excitation, stride, gen):
    """[bands, excitation, 2 * stride] taps of the first (transposed) upsampling conv: each band's
    noise channel is its own random mixture of the excitation, a different one at each of the
    `stride` positions of a latent frame. Output position r of frame n sums tap r + stride/2 of
    frame n and one tap of a neighbouring frame: with the 2 * stride taps' vectors (over the
    excitation channels) orthogonal, of squared norm 1/2, any two positions share no direction and
    each has unit variance, so the noise is exactly white. Independent random taps gave each
    position a level of its own (a spread of sqrt(2/64), 18 %, in variance), the same in every
    frame: a rattle at the 47 Hz frame rate."""
    assert 2 * stride <= excitation, "orthogonal taps need at least 2 * stride excitation channels"
    taps = torch.empty(bands, excitation, 2 * stride, dtype=torch.float64)
    for b in range(bands):
        q, r = torch.linalg.qr(torch.randn(excitation, 2 * stride, generator=gen, dtype=torch.float64))
        taps[b] = q * torch.sign(torch.diagonal(r)) / 2 ** 0.5
    return taps


def tap_window(stride):
    """sin(pi (k + 1/2) / 2 stride) over a frame's 2 * stride taps: its squares at taps k and k + stride
    sum to one, as the excitation vocoder's sqrt-Hann windows at hop 1024."""
    k = torch.arange(2 * stride, dtype=torch.float64)
    return torch.sin(math.pi * (k + 0.5) / (2 * stride))


def band_support(lo, hi, stride):
    """The DFT points q = 0 .. stride of a frame's 2 * stride taps at which a band of FFT bins lo .. hi - 1
    has bins: bin k lies on point k mod 2 stride or its mirror (one 8x channel, read through its band's
    filter, makes bin k from the point that k aliases to). A band of 2 * stride bins or more has them all.
    An odd number of points short of all gets a neighbouring one: with two phase groups one group would
    hold two points more than the other, and its level would swing within the frame by up to 66 %
    however their phases are chosen (the extra point's power lands in a bin next to the band)."""
    n = 2 * stride
    if hi - lo >= n:
        return list(range(stride + 1))
    support = sorted({min(k % n, n - k % n) for k in range(lo, hi)})
    if len(support) % 2:
        support = sorted(support + [support[-1] + 1 if support[-1] < stride else support[0] - 1])
    return support


def phase_patterns(stride, gen, support=None, steps=400):
    """(cos_taps, sin_taps) [PHASE_GROUPS, 2 * stride]: a frame's contribution to a band's 8x channel is
    sum_j cos(phi_j) cos_taps[j] + sin(phi_j) sin_taps[j], the real part of e^{i phi_j} a_j windowed,
    a_j[k] = sum_q U_q e^{2 pi i q k / 2 stride} over the DFT points q of `support` (default: 0 .. stride)
    taken in turn by the groups (q = stride never in q = 0's group: two real points in one group make a
    level alternating tap by tap). |U_q| = 1, so whatever the phases, every bin of the band keeps its
    magnitude (the real points q = 0 and stride only in expectation). A band's own points only: the
    band's filter then need not tell its bins from the other points' (which a filter of a narrow band
    can only do with a long response, which mixes the phases of several frames and scatters the bins'
    magnitudes again: twenty-third run). The fixed phases of U are drawn, then fitted so that the
    expected level is the same at every position of the frame (a level of its own at each position,
    the same in every frame, is a rattle at the frame rate). The level is the support's share of the
    2 * stride points, so each bin has the power it has with white noise of unit variance."""
    n = 2 * stride
    support = list(range(stride + 1)) if support is None else sorted(support)
    q = torch.as_tensor(support)
    k = torch.arange(n, dtype=torch.float64)
    basis = torch.exp(2j * math.pi * q[:, None].double() * k[None] / n)  # [q, k]
    window2 = tap_window(stride).pow(2)
    group = torch.arange(len(support)) % PHASE_GROUPS
    if 0 in support and stride in support and group[0] == group[-1]:
        group[-1] = (group[0] + 1) % PHASE_GROUPS
    real = (q == 0) | (q == stride)
    theta = (torch.rand(len(support), generator=gen, dtype=torch.float64) * 2 * math.pi).requires_grad_()
    signs = torch.where(torch.rand(len(support), generator=gen) < 0.5, -1.0, 1.0).double()

    def patterns(th):
        u = torch.where(real, signs.to(torch.complex128), torch.polar(torch.ones_like(th), th))
        return torch.stack([(u[:, None] * basis * (group == j)[:, None]).sum(0) for j in range(PHASE_GROUPS)])

    def level(a):  # expected power at each of the stride positions: own taps and the neighbour's
        per_tap = window2 * a.abs().pow(2).sum(0) / 2
        return per_tap[:stride] + per_tap[stride:]

    opt = torch.optim.Adam([theta], lr=0.05)
    for _ in range(steps):
        p = level(patterns(theta))
        loss = p.var() / p.mean().pow(2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        a = patterns(theta)
        share = float((2 - real.double()).sum()) / n
        a = a * (share / level(a).mean()).sqrt()
        w = tap_window(stride)
        return w * a.real, -w * a.imag


def set_phase_snakes(snake, channels):
    """The given channels of a Snake become x + sin^2(alpha x) / B (alpha = PHASE_ALPHA, beta = 1), with its
    parameters rounded to F16 as exported. Returns (alpha, B) as the engine and reference compute them."""
    with torch.no_grad():
        snake.alpha[channels] = f16(math.log(PHASE_ALPHA)).to(snake.alpha.dtype)
        snake.beta[channels] = 0.0
    return float(f16(math.log(PHASE_ALPHA)).exp()), 1.0 + 1e-9


class PhaseRows:
    """The constant-modulus noise of build_head. Layer 0 gives each band and phase group j a unit-
    variance mixture x of the excitation twice, once shifted by delta; the first Snake (alpha, beta = 1)
    turns them into x + sin^2(alpha x) and x + delta + sin^2(alpha x + pi / 4), whose sin^2 terms are
    (1 - cos phi) / 2 and (1 + sin phi) / 2 for phi = 2 alpha x; the upsampling conv takes cos phi and
    sin phi out of them (the excitation channels cancel x, the constant channel the offsets) and lays
    them over the frame's taps with phase_patterns."""

    def __init__(self, bands: BandLatents, seed):
        """Each band's mixtures (unit vectors over the excitation) and phase_patterns, drawn from `seed`."""
        self.K = bands.bands
        self.E = bands.latent_dim - self.K
        self.first = 2 * self.K + 1 + self.E  # after build_head's +-z, constant and excitation channels
        gen = torch.Generator().manual_seed(seed)
        mix = torch.randn(self.K, PHASE_GROUPS, self.E, generator=gen, dtype=torch.float64)
        self.mix = mix / mix.norm(dim=-1, keepdim=True)
        stride = common.AE_CONFIG["strides"][-1]
        edges = band_edges(self.K)
        self.patterns = [phase_patterns(stride, gen, band_support(int(lo), int(hi), stride))
                         for lo, hi in zip(edges[:-1], edges[1:])]
        self.alpha = float(f16(math.log(PHASE_ALPHA)).exp())
        self.delta = math.pi / (4 * self.alpha)

    def channel(self, b, j, sine):
        return self.first + 2 * (PHASE_GROUPS * b + j) + int(sine)

    def channels(self):
        return list(range(self.first, self.first + 2 * PHASE_GROUPS * self.K))

    def write_rows(self, w0, b0):
        for b in range(self.K):
            for j in range(PHASE_GROUPS):
                for sine in (False, True):
                    w0[self.channel(b, j, sine), self.K:self.K + self.E, 3] = self.mix[b, j]
                b0[self.channel(b, j, True)] = self.delta

    def write_taps(self, wu, snake, const, const_level, noise_first, stride):
        alpha, B = set_phase_snakes(snake, self.channels())
        assert abs(alpha - self.alpha) < 1e-12
        excitation = slice(const + 1, const + 1 + self.E)
        for b, (cos_taps, sin_taps) in enumerate(self.patterns):
            assert cos_taps.shape[-1] == 2 * stride
            out = noise_first + b
            for j in range(PHASE_GROUPS):
                u, v = cos_taps[j], sin_taps[j]
                # u cos phi = u - 2B u y_c + 2B u x;  v sin phi = 2B v y_s - 2B v x - (2B delta + 1) v
                wu[self.channel(b, j, False), out] += -2 * B * u
                wu[self.channel(b, j, True), out] += 2 * B * v
                wu[excitation, out] += 2 * B * self.mix[b, j][:, None] * (u - v)[None]
                wu[const, out] += (u - (2 * B * self.delta + 1) * v) / const_level


def c_mults_for(bands, first_width=0):
    """C_MULTS, the head's two widths raised to the 4 channels per band the squarings of build_head need,
    and the first (latent-rate) one to `first_width` channels where it must hold more."""
    ch = common.AE_CONFIG["channels"]
    head = max(C_MULTS[-1], math.ceil(4 * bands / ch))
    return C_MULTS[:-2] + [head, max(head, math.ceil(first_width / ch))]


def latent_rate_width(bands: BandLatents, constant_modulus=False):
    """Channels build_head puts at the latent rate: +-z per band, a constant, the excitation, and with
    constant_modulus the cosine and sine Snakes of PHASE_GROUPS phases per band."""
    K = bands.bands
    return 2 * K + 1 + (bands.latent_dim - K) + (2 * PHASE_GROUPS * K if constant_modulus else 0)


def new_decoder(bands: BandLatents, constant_modulus=False):
    return OobleckDecoder(out_channels=2, channels=common.AE_CONFIG["channels"], latent_dim=bands.latent_dim,
                          c_mults=c_mults_for(bands.bands, latent_rate_width(bands, constant_modulus)),
                          strides=common.AE_CONFIG["strides"], use_snake=True, final_tanh=False,
                          use_nearest_upsample=False)


def build_head(dec, bands: BandLatents, seed=0, constant_modulus=False):
    """Layers 0-1 (latent rate and 8x): afterwards product_channels of the 8x signal carry
    A'_b * n_b, the band's amplitude relative to exp(REF_b) times unit noise. Returns REF_b, the
    natural log of the reference amplitude per band, for the synthesis gains. constant_modulus: n_b is
    not white noise but PHASE_GROUPS fixed patterns per band and frame turned by random phases
    (PhaseRows), so each frame keeps every bin's magnitude as excitation_vocoder's constant_modulus does."""
    K = bands.bands
    E = bands.latent_dim - K
    width = dec.layers[0].weight_v.shape[0]
    assert width >= latent_rate_width(bands, constant_modulus) and K * 4 <= width, \
        "the decoder is too narrow for this many bands"
    half_std = 0.5 * bands.std.double()
    ref = 0.5 * bands.mean.double() + half_std * REFERENCE_STD  # log amplitude that maps to q = 1
    scale = half_std / POWER  # z = 0.5 std (L - REFERENCE_STD) / POWER

    # Layer 0 (k = 7, centre tap): +z_b, -z_b, a constant, the excitation.
    const = 2 * K
    w0 = torch.zeros(width, bands.latent_dim, 7, dtype=torch.float64)
    b0 = torch.zeros(width, dtype=torch.float64)
    for b in range(K):
        for sign, row in ((1, b), (-1, K + b)):
            w0[row, b, 3] = sign * scale[b]
            b0[row] = -sign * scale[b] * REFERENCE_STD
    b0[const] = 1.0
    for j in range(E):
        w0[const + 1 + j, K + j, 3] = 1.0
    phases = PhaseRows(bands, seed) if constant_modulus else None
    if phases:
        assert phases.first == const + 1 + E
        phases.write_rows(w0, b0)
    set_conv(dec.layers[0], w0, b0)

    block = dec.layers[1].layers
    c2 = set_snakes(block[0], [c < 2 * K for c in range(width)], alpha=FIRST_ALPHA)
    const_level = snake_value(block[0], const, 1.0)

    # Upsampling conv (transposed: out[8n + r] takes tap r + 4 of frame n and tap r + 12 of frame
    # n - 1, or tap r - 4 of frame n + 1; each pair of taps k, k + 8 makes one output position):
    # q_b = a0 + a1 z + a2 z^2 ~ exp(z) interpolated linearly, -q_b, and the noise n_b.
    stride = common.AE_CONFIG["strides"][-1]
    up = block[1]
    out8 = up.weight_v.shape[1]
    wu = torch.zeros(width, out8, 2 * stride, dtype=torch.float64)  # [in, out, k]
    k = torch.arange(2 * stride, dtype=torch.float64)
    interp = torch.where(k < stride, (k + 0.5) / stride, (2 * stride - 0.5 - k) / stride)  # taps k, k + 8 sum to 1
    z_lo, z_hi = (-3.5 - REFERENCE_STD) * scale, (4.0 - REFERENCE_STD) * scale  # where the latents live
    for b in range(K):
        a0, a1, a2 = exp_quadratic(float(z_lo[b]), float(z_hi[b]))
        cp, cm = float(c2[b]), float(c2[K + b])
        assert abs(cp - cm) < 1e-12  # the pair must square identically
        row = torch.zeros(width, dtype=torch.float64)
        row[b] = a1 / 2 + a2 / (2 * cp)          # S(z) = z + c2 z^2
        row[K + b] = -a1 / 2 + a2 / (2 * cp)     # S(-z) = -z + c2 z^2
        row[const] = a0 / const_level
        wu[:, b] = row[:, None] * interp
        wu[:, K + b] = -row[:, None] * interp
    if phases:
        phases.write_taps(wu, block[0], const, const_level, 2 * K, stride)
    else:
        taps = noise_taps(K, E, stride, torch.Generator().manual_seed(seed))  # [K, E, 2 stride]
        wu[const + 1: const + 1 + E, 2 * K: 3 * K] = taps.permute(1, 0, 2)
    set_conv(up, wu)
    n_first, p_first = 2 * K, 3 * K

    # Two residual units: q -> q^4 -> q^16, each squaring twice (S1 on the +-q pair, S2 on +-q^2).
    for ru in block[2:4]:
        s1, conv1, s2, conv2 = ru.layers
        g1 = set_snakes(s1, [c < 2 * K for c in range(out8)])
        g2 = set_snakes(s2, [c < 2 * K for c in range(out8)])
        w1 = torch.zeros(out8, out8, 7, dtype=torch.float64)
        w2 = torch.zeros(out8, out8, 1, dtype=torch.float64)
        for b in range(K):
            gb, hb = float(g1[b]), float(g2[b])
            w1[b, b, 3] = w1[b, K + b, 3] = 1 / (2 * gb)            # q^2
            w1[K + b, b, 3] = w1[K + b, K + b, 3] = -1 / (2 * gb)   # -q^2
            w1[2 * K + b, b, 3], w1[2 * K + b, K + b, 3] = 0.5, -0.5  # q, through a linear S2
            # x_q += q^4 - q and x_-q += q - q^4
            w2[b, b, 0] = w2[b, K + b, 0] = 1 / (2 * hb)
            w2[b, 2 * K + b, 0] = -1.0
            w2[K + b] = -w2[b]
        set_conv(conv1, w1)
        set_conv(conv2, w2)

    # Third unit: S1 squares q^16 to A' = q^32; S2 squares A' + n and A' - n, each in a +- pair.
    s1, conv1, s2, conv2 = block[4].layers
    g1 = set_snakes(s1, [c < 2 * K for c in range(out8)])
    g2 = set_snakes(s2, [c < 4 * K for c in range(out8)])
    w1 = torch.zeros(out8, out8, 7, dtype=torch.float64)
    w2 = torch.zeros(out8, out8, 1, dtype=torch.float64)
    for b in range(K):
        gb = float(g1[b])
        amp = torch.zeros(out8, dtype=torch.float64)
        amp[b] = amp[K + b] = 1 / (2 * gb)
        noise = torch.zeros(out8, dtype=torch.float64)
        noise[n_first + b] = 1.0
        for i, sign in enumerate((1, -1)):
            w1[4 * b + 2 * i, :, 3] = amp + sign * noise
            w1[4 * b + 2 * i + 1, :, 3] = -(amp + sign * noise)
        hb = [float(g2[4 * b + i]) for i in range(4)]
        # ((A'+n)^2 - (A'-n)^2) / 4 = A' n
        for i, sign in enumerate((1, 1, -1, -1)):
            w2[p_first + b, 4 * b + i, 0] = sign / (2 * hb[i]) / 4
    set_conv(conv1, w1)
    set_conv(conv2, w2)
    return ref


def product_channels(bands):
    return slice(3 * bands, 4 * bands)


def tail_modules(dec):
    """The linear part: from the products at 8x to the output conv."""
    return torch.nn.Sequential(*dec.layers[2:7])


def band_targets(bands, nfft, transition=0.15):
    """(in_band, care) [bands, nfft // 2 + 1] masks on an nfft-point grid: a band's own bins of
    the band latents' 2048-point FFT, and the bins outside a transition zone at its edges."""
    edges = band_edges(bands) * (nfft // WINDOW)
    bins = torch.arange(nfft // 2 + 1)
    in_band = torch.zeros(bands, bins.numel(), dtype=torch.bool)
    care = torch.ones_like(in_band)
    for b in range(bands):
        lo, hi = int(edges[b]), int(edges[b + 1])
        in_band[b, lo:hi] = True
        margin = max(nfft // WINDOW, int(transition * (hi - lo)))
        care[b, max(0, lo - margin):lo + margin] = False
        care[b, max(0, hi - margin):hi + margin] = False
        care[b, lo + margin:hi - margin] = True
        if hi - lo <= 2 * margin:  # a band of a few bins (the lowest of 64) has no inside past its edges:
            care[b, lo:hi] = True  # all of it is its own, else its in-band power is 0 and the leakage ratio infinite
    return in_band, care


ZONE_WINDOW = 2048  # taps of the constant-modulus decoder's band filters (Blackman-Harris)


def blackman_harris(n):
    """The 4-term Blackman-Harris window (sidelobes under -92 dB), symmetric, n points."""
    x = 2 * math.pi * torch.arange(n, dtype=torch.float64) / (n - 1)
    return 0.35875 - 0.48829 * torch.cos(x) + 0.14128 * torch.cos(2 * x) - 0.01168 * torch.cos(3 * x)


def zone_responses(bands: BandLatents, length, centre):
    """[bands, length] impulse responses the band filters of a constant-modulus decoder are fitted to:
    zero phase about `centre`, windowed to ZONE_WINDOW samples, gain flat (power 1/6, fit_tail's
    level) over the band's own bins and half a bin past its edges (so that neighbours' powers add up
    across their common edge). Its products carry the band's own points only (band_support), so the
    filter need only reject the aliases and the band's mirror lines, and can be short and without
    dispersion: the fitted magnitude-only filters mixed several frames' phases and smeared onsets.
    Nothing past the band: a product is a real signal at 375 Hz, so each bin of it comes with a mirror
    line of the conjugate phase, a few bins away for most bands, and the two beat at a fixed rate in
    every frame. Passing up to 4 bins around the narrow bands (twenty-third run) kept 11 of 32 walks
    on gravel heard as footsteps (here 3), but the DiT's steady rain came out as Vehicle, Aircraft and
    Helicopter (1 of 8 heard as rain; here 8 of 8, as through the excitation vocoder: twenty-fourth run).
    Still there: a band as wide as the product period has every point, its frame repeats every 16 bins,
    and without dispersion it is a train of pulses 128 samples apart (375 Hz; in steady noise the 6-8 kHz
    envelope's 375 Hz line stands 370-470 times over its neighbours). YAMNet hears rain either way; a
    fixed random phase per bin removes it (twenty-third run) but is not what the fit aims at."""
    edges = band_edges(bands.bands)
    fine = 2 * WINDOW  # half-bin grid
    mask = torch.zeros(bands.bands, fine // 2 + 1, dtype=torch.float64)
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        mask[b, max(0, 2 * int(lo) - 1):2 * int(hi) + 1] = 6.0 ** -0.5
    kernel = torch.roll(torch.fft.irfft(mask, n=fine), fine // 2, dims=1)  # zero phase at fine // 2
    half = ZONE_WINDOW // 2
    kernel = kernel[:, fine // 2 - half:fine // 2 + half] * blackman_harris(ZONE_WINDOW)
    out = torch.zeros(bands.bands, length, dtype=torch.float64)
    out[:, centre - half:centre + half] = kernel
    return out.float()


LEAK_WEIGHT = 0.1      # of the leakage terms against the in-band term
LEAK_FLOOR = 1e-2      # leakage under 1 % of the in-band power (-20 dB) costs little, and leakage into
LEAK_LOUDER_CAP = 1e2  # bins whose band is usually quieter counts that many times more, up to 100x


def fit_tail(dec, bands: BandLatents, steps, log_every=250, seed=0, frames8=24, nfft=4096, lr=3e-3, batch=16,
             tail_from=None, zone=False):
    """Fit the linear tail so an impulse on band b's product channel comes out with power 1/6 per
    unit of |G|^2 over band b (the level at which a band of power P is made from products of
    variance P: 768 / 128 = 6, Hann power sum over the product period) and little elsewhere,
    weighted by how much quieter the other bands usually are; with `zone`, as zone_responses (for a
    constant-modulus head) sample for sample, with the same weighted leakage where the target is
    60 dB down (without it MR-STFT was 1.76, with it 1.53). tail_from: the state_dict of a decoder of the same
    bands whose fitted tail the fit goes on from. Returns the final losses."""
    K = bands.bands
    torch.manual_seed(seed)
    tail = tail_modules(dec)
    for m in tail.modules():
        if isinstance(m, SnakeBeta):
            set_snakes(m, [False] * m.alpha.numel())
            m.alpha.requires_grad_(False)
            m.beta.requires_grad_(False)
    convs = [m for m in tail.modules() if hasattr(m, "weight_v")]
    for m in convs:
        if m.bias is not None:
            with torch.no_grad():
                m.bias.zero_()
            m.bias.requires_grad_(False)
        if m.weight_v.shape[-1] == 1:  # a residual unit's last conv: start near the identity
            with torch.no_grad():
                m.weight_g.mul_(0.1)
    if tail_from is not None:  # replaces every tail weight set above (a saved tail was made the same way)
        load_tail(dec, tail_from)
    params = [p for m in convs for p in (m.weight_v, m.weight_g)]
    # The 8x signal also carries the amplitudes and the bare noise: only the products may pass
    # (a transposed conv's weight norm is per input channel).
    entry = dec.layers[2].layers[1].weight_g
    bare = torch.ones(entry.shape[0], dtype=torch.bool)
    bare[product_channels(K)] = False
    with torch.no_grad():
        entry[bare] = 0.0
    width8 = dec.layers[2].layers[0].alpha.numel()
    x = torch.zeros(K, width8, frames8)
    x[torch.arange(K), product_channels(K).start + torch.arange(K), frames8 // 2] = 1.0
    hop = common.DOWNSAMPLING // PRODUCT_RATE
    mean = bands.mean.double()
    band_of_bin = torch.bucketize(torch.arange(nfft // 2 + 1), torch.as_tensor(band_edges(K) * (nfft // WINDOW)),
                                  right=True).clamp(1, K) - 1
    # leakage from band b into a bin matters as much as b is usually louder than that bin's band
    leak_weight = (mean[:, None] - mean[band_of_bin][None, :]).exp().clamp(1.0, LEAK_LOUDER_CAP).float()

    def leakage(power, others, pick):
        """Per band: per bin (the shape of the skirts) and in all (a few bins of large leakage, such as DC)."""
        weighted = power * leak_weight[pick]
        return ((1 + weighted / LEAK_FLOOR).log() * others).mean(1), (weighted * others).sum(1)

    if zone:
        # an impulse at 8x position m is centred on sample 128 m + 64, where the frame windows put it
        target = zone_responses(bands, frames8 * 128, frames8 // 2 * 128 + 64)
        # the bins a band's filter must not reach: those its target leaves 60 dB down
        far = torch.fft.rfft(target.double(), n=nfft).abs().pow(2) * 6.0 < 1e-6

        def losses(out, power, pick):
            error = (out - target[pick]).pow(2).sum(1) / target[pick].pow(2).sum(1)
            outside, _ = leakage(power, far[pick], pick)
            return (error + LEAK_WEIGHT * outside).mean(), \
                {"zone_error": error.mean(), "zone_error_worst": error.max(), "outside": outside.mean()}
    else:
        in_band, care = band_targets(K, nfft)

        def losses(out, power, pick):
            log_p = (power + 1e-8).log()
            own, others = (in_band & care)[pick], (~in_band & care)[pick]
            inside = (log_p.pow(2) * own).sum(1) / own.sum(1).clamp_min(1)
            per_bin, total = leakage(power, others, pick)
            outside = per_bin + (1 + total / (power * own).sum(1) / LEAK_FLOOR).log()
            env = out.reshape(len(pick), -1, hop).pow(2).sum(1)  # the level at each of the 128 phases of a product
            pulse = env.var(1) / env.mean(1).pow(2)
            return (inside + LEAK_WEIGHT * outside + pulse).mean(), \
                {"inside": inside.mean(), "outside": outside.mean(), "pulse": pulse.mean()}
    opt = torch.optim.Adam(params, lr=lr)
    # constant rate, then down tenfold over the last fifth
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 if s < 0.8 * steps else 0.1 ** ((s - 0.8 * steps) / (0.2 * steps)))
    gen = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        pick = torch.randperm(K, generator=gen)[:batch] if step < steps else torch.arange(K)
        out = tail(x[pick])[:, 0]  # [picked, samples], the left channel (the right one is made equal after)
        power = torch.fft.rfft(out, n=nfft).abs().pow(2) * 6.0  # fit_tail's level: 1 in band
        loss, report = losses(out, power, pick)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            entry[bare] = 0.0
        if step % log_every == 0 or step == steps:
            print(f"tail step {step}: " + ", ".join(f"{k} {float(v):.4f}" for k, v in report.items()), flush=True)
    out_conv = dec.layers[6]
    with torch.no_grad():
        out_conv.weight_v[1] = out_conv.weight_v[0]
        out_conv.weight_g[1] = out_conv.weight_g[0]
    return {k: float(v) for k, v in report.items()}


def load_tail(dec, state):
    """Copies the tail's weights (layers 2 on: scale_products changes only the head) from a saved
    decoder's state_dict, which must be of the same width."""
    prefix = tuple(f"layers.{i}." for i in range(2, len(dec.layers)))
    tail = {k: v for k, v in state.items() if k.startswith(prefix)}
    own = {k: v for k, v in dec.state_dict().items() if k.startswith(prefix)}
    if tail.keys() != own.keys() or any(tail[k].shape != own[k].shape for k in own):
        raise SystemExit("--tail-from: that decoder's tail is not of these band latents' width")
    dec.load_state_dict(tail, strict=False)


def build(bands: BandLatents, fit_steps, seed=0, lr=3e-3, tail_from=None, constant_modulus=False):
    """(decoder, fit losses): the head computed, the tail fitted (or fitted further from tail_from),
    the products scaled to their bands' reference levels."""
    dec = new_decoder(bands, constant_modulus)
    ref = build_head(dec, bands, seed, constant_modulus)
    losses = fit_tail(dec, bands, fit_steps, seed=seed, lr=lr, tail_from=tail_from, zone=constant_modulus)
    scale_products(dec, bands, ref)
    return dec, losses


def scale_products(dec, bands, ref):
    """P_b = A'_b n_b, and the band's amplitude is exp(ref_b) A'_b: the third unit's last conv takes the gain."""
    conv2 = dec.layers[1].layers[4].layers[3]
    with torch.no_grad():
        weight = conv2.weight().double()
        weight[product_channels(bands.bands)] *= ref.exp()[:, None, None]
    set_conv(conv2, weight)


def save(dec, band_state, path, info):
    """An autoencoder.pt as train_autoencoder.py writes it (the encoder untrained: nothing reads it)."""
    bands = BandLatents(band_state)
    model = common.build_foley_model(common.model_config(decoder_c_mults=common.decoder_c_mults(
        {f"decoder.{k}": v for k, v in dec.state_dict().items()}), latent_dim=bands.latent_dim))
    model.pretransform.model.decoder.load_state_dict(dec.state_dict())
    common.save_checkpoint(path, {"autoencoder": model.pretransform.model.state_dict(), "step": 0,
                                  "band_latents": band_state, "decoder_only": True, "vocoder_decoder": info})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--band-latents", required=True, help="band_latents.pt of the latents the DiT is trained on")
    ap.add_argument("--out", required=True, help="directory for autoencoder.pt")
    ap.add_argument("--fit-steps", type=int, default=5000, help="gradient steps for the synthesis kernels")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fit-lr", type=float, default=3e-3,
                    help="learning rate of the fit (its last fifth decays it tenfold)")
    ap.add_argument("--tail-from",
                    help="autoencoder.pt of this script (or import_model.py's of one), of the same bands: go on "
                         "fitting its tail (15,000 more steps after 20,000 lowered the leakage by a quarter and "
                         "changed the held-out agreement by one clip of 153: twentieth run)")
    ap.add_argument("--constant-modulus", action="store_true",
                    help="noise of fixed patterns turned by random phases, every bin at its magnitude in every frame "
                         "(excitation_vocoder's constant_modulus), not white noise: the shipped decoder since the "
                         "twenty-fourth run")
    args = ap.parse_args()
    if args.fit_steps < 1 or not args.fit_lr > 0:
        ap.error("--fit-steps must be at least 1 and --fit-lr positive")
    common.set_threads()
    state = common.load_checkpoint(args.band_latents)
    bands = BandLatents(state)
    if bands.latent_dim - bands.bands < 2 * common.AE_CONFIG["strides"][-1]:
        ap.error(f"{bands.bands} bands in {bands.latent_dim} latent channels leave too few excitation channels "
                 "for white noise (noise_taps)")
    tail_from, earlier_steps = None, 0
    if args.tail_from:
        saved = common.load_checkpoint(args.tail_from)
        if "vocoder_decoder" not in saved:
            ap.error(f"--tail-from {args.tail_from}: not a decoder of this script")
        tail_from = {k[len("decoder."):]: v for k, v in saved["autoencoder"].items() if k.startswith("decoder.")}
        earlier_steps = saved["vocoder_decoder"].get("fit_steps", 0)  # import_model.py does not know them
    dec, losses = build(bands, args.fit_steps, args.seed, args.fit_lr, tail_from, args.constant_modulus)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "autoencoder.pt")
    save(dec, state, path, {"fit_steps": earlier_steps + args.fit_steps, "seed": args.seed, "fit_lr": args.fit_lr,
                            "constant_modulus": args.constant_modulus, "tail_from": args.tail_from, **losses})
    print(f"saved {path}", flush=True)


if __name__ == "__main__":
    main()
