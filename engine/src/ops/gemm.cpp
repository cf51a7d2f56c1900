#include "ops/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <string>

#ifdef FOLEY_HAVE_DNNL
#include <dnnl.h>
#endif

#include "ops/parallel.h"

namespace foley::ops {

namespace {

std::atomic<GemmBackend> g_backend{GemmBackend::kOpenBlas};

// Products smaller than this many multiply-adds per chunk are not worth waking a helper for
// (about 10 microseconds of one core; 1 << 20 and 1 << 22 made foley-mini's sampler 5-20 % slower).
constexpr int64_t kMinMacsPerChunk = int64_t{1} << 18;

void openblas_gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace

void set_gemm_backend(GemmBackend backend) { g_backend = backend; }

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  if (m == 0 || n == 0) return;
#ifdef FOLEY_HAVE_DNNL
  if (g_backend.load(std::memory_order_relaxed) == GemmBackend::kOneDnn) {
    dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  // OpenBLAS itself runs on one thread; the product is split here, along its longer side, over
  // the engine's pool (parallel.cpp), whose late helpers do not stall it. OpenBLAS's own threads
  // wait for each other: on a busy machine every product waited for a thread that was not running.
  // The split depends only on the shapes and the thread count, never on timing, so a result is
  // reproducible; it can differ in rounding between thread counts (OpenBLAS picks its kernel by
  // size; about one 16-bit step in a generated clip).
  static const bool blas_single_threaded = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)blas_single_threaded;
  if (m >= n) {
    parallel_for(m, kMinMacsPerChunk / std::max<int64_t>(n * k, 1), [&](int64_t r0, int64_t r1) {
      openblas_gemm(transpose_a, transpose_b, r1 - r0, n, k, alpha, transpose_a ? a + r0 : a + r0 * lda, lda,
                    b, ldb, beta, c + r0 * ldc, ldc);
    });
  } else {
    parallel_for(n, kMinMacsPerChunk / std::max<int64_t>(m * k, 1), [&](int64_t c0, int64_t c1) {
      openblas_gemm(transpose_a, transpose_b, m, c1 - c0, k, alpha, a, lda, transpose_b ? b + c0 * ldb : b + c0,
                    ldb, beta, c + c0, ldc);
    });
  }
}

void linear(const float* x, int64_t rows, int64_t in_features, const float* weight,
            int64_t out_features, const float* bias, float* y, bool accumulate) {
  if (rows == 0) return;
  float beta = accumulate ? 1.0f : 0.0f;
  gemm(false, true, rows, out_features, in_features, 1.0f, x, in_features, weight, in_features,
       beta, y, out_features);
  if (bias) {
    for (int64_t r = 0; r < rows; ++r) {
      float* row = y + r * out_features;
      for (int64_t o = 0; o < out_features; ++o) row[o] += bias[o];
    }
  }
}

void linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& y) {
  if (weight.ndim() != 2 || x.ndim() < 1 || x.dim(-1) != weight.dim(1)) {
    throw EngineError("linear: input " + shape_string(x.shape()) + " does not match weight " +
                      shape_string(weight.shape()));
  }
  if (bias && bias->numel() != weight.dim(0)) {
    throw EngineError("linear: bias " + shape_string(bias->shape()) + " does not match weight " +
                      shape_string(weight.shape()));
  }
  Shape out_shape = x.shape();
  out_shape.back() = weight.dim(0);
  y.resize(out_shape);
  linear(x.data(), x.numel() / weight.dim(1), weight.dim(1), weight.data(), weight.dim(0),
         bias ? bias->data() : nullptr, y.data());
}

}  // namespace foley::ops
