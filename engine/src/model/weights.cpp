#include "model/weights.h"

#include <cmath>

namespace foley {

Tensor WeightReader::conv_weight(const std::string& module, const Shape& shape) const {
  if (has(module + ".weight")) return get(module + ".weight", shape);
  if (!has(module + ".weight_v")) {
    throw EngineError(file_.path() + ": missing tensor '" + full_name(module + ".weight_v") +
                      "' (or '" + full_name(module + ".weight") + "')");
  }
  Tensor v = get(module + ".weight_v", shape);
  Tensor g = get(module + ".weight_g", {shape[0], 1, 1});
  // Norm over every dim except dim 0, in double so the fold adds no rounding of its own.
  const int64_t rows = shape[0];
  const int64_t inner = v.numel() / rows;
  for (int64_t r = 0; r < rows; ++r) {
    float* vr = v.data() + r * inner;
    double sq = 0;
    for (int64_t i = 0; i < inner; ++i) sq += static_cast<double>(vr[i]) * vr[i];
    const double norm = std::sqrt(sq);
    const double factor = norm > 0 ? g[r] / norm : 0.0;
    for (int64_t i = 0; i < inner; ++i) vr[i] = static_cast<float>(vr[i] * factor);
  }
  return v;
}

}  // namespace foley
