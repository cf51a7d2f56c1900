// A torch.nn.Linear weight [out, in] with its compute path chosen once at load: float32
// through OpenBLAS (parity path), or BF16 through oneDNN's matmul when the engine runs with
// Precision::kBF16 and the CPU has AVX-512 BF16 (activations are rounded to BF16 per call,
// accumulation and output stay float32).
#pragma once

#include <cstdint>
#include <memory>

#include "core/tensor.h"

namespace foley::ops {

// True when this build has oneDNN and the CPU executes BF16 dot products natively.
bool bf16_available();

class LinearWeight {
 public:
  LinearWeight();
  LinearWeight(Tensor weight, bool use_bf16);
  ~LinearWeight();
  LinearWeight(LinearWeight&&) noexcept;
  LinearWeight& operator=(LinearWeight&&) noexcept;

  // y[rows, out] = x[rows, in]·Wᵀ (+ bias) (+ y when accumulate).
  void apply(const float* x, int64_t rows, float* y, const float* bias = nullptr, bool accumulate = false) const;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool is_bf16() const { return bf16_ != nullptr; }

 private:
  struct Bf16;
  Tensor f32_;
  int64_t in_ = 0, out_ = 0;
  std::unique_ptr<Bf16> bf16_;
};

}  // namespace foley::ops
