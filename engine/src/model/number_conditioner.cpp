#include "model/number_conditioner.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "ops/gemm.h"

namespace foley {

NumberConditioner::NumberConditioner(const NumberConditionerConfig& config, int cond_dim,
                                     const WeightReader& weights)
    : config_(config), cond_dim_(cond_dim) {
  const WeightReader w = weights.sub("embedder.embedding");
  const Shape& fshape = w.shape_of("0.weights");
  if (fshape.size() != 1 || fshape[0] < 1) {
    throw EngineError(w.file_path() + ": tensor '" + w.full_name("0.weights") + "' has shape " +
                      shape_string(fshape) + ", expected [half_dim]");
  }
  const int64_t half = fshape[0];
  frequencies_ = w.get("0.weights", {half});
  weight_ = w.get("1.weight", {cond_dim, 2 * half + 1});
  bias_ = w.get("1.bias", {cond_dim});
}

void NumberConditioner::embed(double value, float* out) const {
  // Same float32 operation order as the reference: clamp, normalise, then x·w·2·π.
  const float lo = static_cast<float>(config_.min_val), hi = static_cast<float>(config_.max_val);
  float s = static_cast<float>(value);
  if (std::isnan(s)) s = lo;
  s = std::clamp(s, lo, hi);
  const float x = (s - lo) / (hi - lo);
  const int64_t half = frequencies_.numel();
  std::vector<float> feat(static_cast<std::size_t>(2 * half + 1));
  feat[0] = x;
  const float two = 2.0f, pi = static_cast<float>(std::numbers::pi);
  for (int64_t i = 0; i < half; ++i) {
    const float f = x * frequencies_[i] * two * pi;
    feat[static_cast<std::size_t>(1 + i)] = std::sin(f);
    feat[static_cast<std::size_t>(1 + half + i)] = std::cos(f);
  }
  ops::linear(feat.data(), 1, 2 * half + 1, weight_.data(), cond_dim_, bias_.data(), out);
}

}  // namespace foley
