#include "pipeline/samplers.h"

#include <cmath>

namespace foley {

std::vector<float> rf_schedule(int steps) {
  std::vector<float> t(static_cast<std::size_t>(steps) + 1);
  for (int i = 0; i <= steps; ++i) {
    const double logsnr = -6.0 + 8.0 * i / steps;
    t[static_cast<std::size_t>(i)] = static_cast<float>(1.0 / (1.0 + std::exp(logsnr)));
  }
  t.front() = 1.0f;
  t.back() = 0.0f;
  return t;
}

const char* sampler_name(Sampler sampler) {
  switch (sampler) {
    case Sampler::kPingPong: return "pingpong";
    case Sampler::kEuler: return "euler";
    case Sampler::kDpmPlusPlus: return "dpmpp";
  }
  return "?";
}

Sampler parse_sampler(const std::string& name) {
  if (name == "pingpong") return Sampler::kPingPong;
  if (name == "euler") return Sampler::kEuler;
  if (name == "dpmpp") return Sampler::kDpmPlusPlus;
  throw EngineError("unknown sampler '" + name + "' (pingpong, euler, dpmpp)");
}

void run_sampler(Sampler sampler, const std::vector<float>& t, float* x, int64_t n, const SamplerHooks& hooks) {
  const int steps = static_cast<int>(t.size()) - 1;
  std::vector<float> v(static_cast<std::size_t>(n)), denoised(static_cast<std::size_t>(n)),
      noise(static_cast<std::size_t>(n)), x_before(static_cast<std::size_t>(n)), old_denoised;
  auto log_snr = [](double tt) { return std::log((1.0 - tt) / tt); };
  for (int i = 0; i < steps; ++i) {
    const float tc = t[static_cast<std::size_t>(i)], tn = t[static_cast<std::size_t>(i) + 1];
    hooks.velocity(x, tc, v.data());
    for (int64_t j = 0; j < n; ++j) {
      x_before[static_cast<std::size_t>(j)] = x[j];
      denoised[static_cast<std::size_t>(j)] = x[j] - tc * v[static_cast<std::size_t>(j)];
    }
    switch (sampler) {
      case Sampler::kPingPong: {
        if (i + 1 < steps) {
          hooks.step_noise(i, noise.data());
        } else {
          std::fill(noise.begin(), noise.end(), 0.0f);  // multiplied by t = 0 anyway
        }
        const float keep = 1.0f - tn;
        for (int64_t j = 0; j < n; ++j) {
          x[j] = keep * denoised[static_cast<std::size_t>(j)] + tn * noise[static_cast<std::size_t>(j)];
        }
        break;
      }
      case Sampler::kEuler: {
        const float dt = tn - tc;
        for (int64_t j = 0; j < n; ++j) x[j] = x[j] + dt * v[static_cast<std::size_t>(j)];
        break;
      }
      case Sampler::kDpmPlusPlus: {
        const double h = log_snr(tn) - log_snr(tc);
        const double alpha = 1.0 - tn;
        const double ratio = tn / static_cast<double>(tc);
        const double e = std::expm1(-h);
        if (old_denoised.empty() || tn == 0.0f) {
          for (int64_t j = 0; j < n; ++j) {
            x[j] = static_cast<float>(ratio * x[j] - alpha * e * denoised[static_cast<std::size_t>(j)]);
          }
        } else {
          const double h_last = log_snr(tc) - log_snr(t[static_cast<std::size_t>(i) - 1]);
          const double r = h_last / h;
          const double a = 1.0 + 1.0 / (2.0 * r), b = 1.0 / (2.0 * r);
          for (int64_t j = 0; j < n; ++j) {
            const double d = a * denoised[static_cast<std::size_t>(j)] - b * old_denoised[static_cast<std::size_t>(j)];
            x[j] = static_cast<float>(ratio * x[j] - alpha * e * d);
          }
        }
        old_denoised = denoised;
        break;
      }
    }
    if (hooks.on_step) hooks.on_step(i, x_before.data(), v.data(), denoised.data());
  }
}

}  // namespace foley
