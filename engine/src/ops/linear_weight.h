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

// Round-to-nearest-even float -> bfloat16 bits.
uint16_t float_to_bf16(float f);
// The same over a contiguous run (AVX-512 BF16 instructions when the CPU has them).
void floats_to_bf16(const float* src, uint16_t* dst, int64_t n);

// C[m, n] (row stride ldc, float32) = A[m, k] · B[k, n] (+ C when accumulate), A and B
// row-major BF16. Only valid when bf16_available(); throws EngineError otherwise.
void gemm_bf16(int64_t m, int64_t n, int64_t k, const uint16_t* a, const uint16_t* b, float* c, int64_t ldc,
               bool accumulate);

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
