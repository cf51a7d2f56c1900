// Rectified-flow samplers (stable-audio-tools inference/sampling.py). The model predicts
// the velocity v ≈ ε − x₀ for x_t = (1 − t)·x₀ + t·ε.
//   schedule: logsnr = linspace(−6, 2, steps+1), t = sigmoid(−logsnr), t[0] = 1, t[-1] = 0
//   ping-pong (SAOS default): x̂₀ = x − tᵢ·v; x ← (1 − tᵢ₊₁)·x̂₀ + tᵢ₊₁·εᵢ (fresh noise)
//   Euler: x ← x + (tᵢ₊₁ − tᵢ)·v
//   DPM++ (2M, data prediction, λ = log((1 − t)/t)): first step / final step first-order,
//     then x ← (tᵢ₊₁/tᵢ)·x − (1 − tᵢ₊₁)·expm1(−h)·D with D the 2nd-order extrapolation.
#pragma once

#include <functional>
#include <vector>

#include "foley/engine.h"

namespace foley {

std::vector<float> rf_schedule(int steps);

struct SamplerHooks {
  // v[n] = model(x[n], t).
  std::function<void(const float* x, float t, float* v)> velocity;
  // out[n] = fresh N(0,1) noise for ping-pong step i.
  std::function<void(int step, float* out)> step_noise;
  // After each step: (step, x before the step, v, denoised). May be empty.
  std::function<void(int step, const float* x, const float* v, const float* denoised)> on_step;
};

// Runs the sampler in place on x (initial noise in, latent out), n = elements per clip.
void run_sampler(Sampler sampler, const std::vector<float>& t, float* x, int64_t n, const SamplerHooks& hooks);

const char* sampler_name(Sampler sampler);
// Throws EngineError for an unknown name.
Sampler parse_sampler(const std::string& name);

}  // namespace foley
