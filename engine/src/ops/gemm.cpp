#include "ops/gemm.h"

#include <cblas.h>

#include <atomic>
#include <string>

#ifdef FOLEY_HAVE_DNNL
#include <dnnl.h>
#endif

#include "ops/parallel.h"

namespace foley::ops {

namespace {
std::atomic<GemmBackend> g_backend{GemmBackend::kOpenBlas};
}

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
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
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

void set_gemm_threads(int threads) {
  if (threads > 0) openblas_set_num_threads(threads);
  set_worker_threads(threads);
}

}  // namespace foley::ops
