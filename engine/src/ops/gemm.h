// Matrix products, all row-major. Every float32 matmul in the engine goes through here so the
// backend is chosen in one place (BF16 weights go through ops::LinearWeight).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace foley::ops {

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major, with leading dimensions.
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

// torch.nn.Linear on `rows` row vectors: y[rows,out] = x[rows,in] · W[out,in]ᵀ (+ bias[out]).
// `bias` may be null. `accumulate` adds into y instead of overwriting it (residual adds).
void linear(const float* x, int64_t rows, int64_t in_features, const float* weight,
            int64_t out_features, const float* bias, float* y, bool accumulate = false);

// Tensor form: x [..., in], weight [out, in] -> y [..., out] (y is resized).
void linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& y);

// The library behind gemm()/linear(). OpenBLAS by default: the float32 parity path, the same
// BLAS PyTorch uses here. With BF16 weights the engine switches to oneDNN's sgemm so the few
// float32 products left (attention) run on oneDNN's OpenMP threads like the BF16 matmuls,
// instead of waking a second pool between them (two pools on two cores: 10-13 % slower DiT
// steps in bench/saos_full). Ignored in builds without oneDNN. Process-wide.
enum class GemmBackend { kOpenBlas, kOneDnn };
void set_gemm_backend(GemmBackend backend);

}  // namespace foley::ops
