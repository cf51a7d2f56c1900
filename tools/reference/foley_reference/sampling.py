"""Rectified-flow samplers: ping-pong (SAOS, rf_denoiser) and Euler (rectified_flow)."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch


def pingpong_sigmas(steps: int, sigma_max: float = 1.0) -> torch.Tensor:
    """t_i = sigmoid(-logsnr_i), logsnr = linspace(logsnr_max, 2, steps + 1); t[0] = sigma_max, t[-1] = 0."""
    if steps < 1:
        raise ValueError("steps must be >= 1")
    sigma_max = min(sigma_max, 1.0)
    logsnr_max = -6.0
    if sigma_max < 1:
        logsnr_max = float(torch.log(torch.tensor((1 - sigma_max) / sigma_max + 1e-6)))
    logsnr = torch.linspace(logsnr_max, 2, steps + 1)
    t = torch.sigmoid(-logsnr)
    t[0] = sigma_max
    t[-1] = 0
    return t


def euler_sigmas(steps: int, sigma_max: float = 1.0) -> torch.Tensor:
    return torch.linspace(min(sigma_max, 1.0), 0, steps + 1)


@torch.no_grad()
def sample_pingpong(model_fn: Callable, x: torch.Tensor, sigmas: torch.Tensor,
                    step_noise: Optional[Sequence[torch.Tensor]] = None, generator=None, callback=None):
    """x_{i+1} = (1 - t_{i+1}) * (x_i - t_i v(x_i, t_i)) + t_{i+1} * eps_i.

    model_fn(x, t[B]) -> v. step_noise[i] (optional) replaces the fresh noise of step i."""
    ones = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        t, t_next = sigmas[i], sigmas[i + 1]
        v = model_fn(x, t * ones)
        denoised = x - t * v
        if callback is not None:
            callback({"i": i, "x": x, "t": t, "v": v, "denoised": denoised})
        eps = step_noise[i] if step_noise is not None else torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = (1 - t_next) * denoised + t_next * eps
    return x


@torch.no_grad()
def sample_euler(model_fn: Callable, x: torch.Tensor, sigmas: torch.Tensor, callback=None):
    """x <- x + (t_next - t) * v(x, t)."""
    ones = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        t, t_next = sigmas[i], sigmas[i + 1]
        v = model_fn(x, t * ones)
        if callback is not None:
            callback({"i": i, "x": x, "t": t, "v": v, "denoised": x - t * v})
        x = x + (t_next - t) * v
    return x
