#include "ops/nn.h"

#include <algorithm>
#include <cmath>

#include "ops/gemm.h"

namespace foley::ops {

void layer_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, const float* beta,
                float eps, float* y, int64_t x_stride, int64_t y_stride) {
  if (x_stride == 0) x_stride = dim;
  if (y_stride == 0) y_stride = dim;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    float* yr = y + r * y_stride;
    double mean = 0;
    for (int64_t i = 0; i < dim; ++i) mean += xr[i];
    mean /= static_cast<double>(dim);
    double var = 0;
    for (int64_t i = 0; i < dim; ++i) {
      double c = xr[i] - mean;
      var += c * c;
    }
    var /= static_cast<double>(dim);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float m = static_cast<float>(mean);
    for (int64_t i = 0; i < dim; ++i) {
      float v = (xr[i] - m) * inv;
      if (gamma) v *= gamma[i];
      if (beta) v += beta[i];
      yr[i] = v;
    }
  }
}

void silu_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void elu_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : std::expm1(x[i]);
}

void apply_rope(float* x, int64_t rows, int64_t stride, const float* inv_freq, int64_t half,
                int64_t pos0) {
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * stride;
    const float pos = static_cast<float>(pos0 + r);
    for (int64_t i = 0; i < half; ++i) {
      // torch: freqs = pos * inv_freq (float32), then cos/sin of it.
      const float f = pos * inv_freq[i];
      const float c = std::cos(f), s = std::sin(f);
      const float a = xr[i], b = xr[i + half];
      xr[i] = a * c - b * s;         // rotate_half gives (−x2, x1)
      xr[i + half] = b * c + a * s;
    }
  }
}

namespace {
constexpr int64_t kQueryBlock = 64;
}

void attention_head(const float* q, int64_t q_stride, const float* k, int64_t k_stride,
                    const float* v, int64_t v_stride, float* out, int64_t out_stride, int64_t nq,
                    int64_t nk, int64_t d, float scale, AttentionScratch& scratch) {
  const std::size_t need = static_cast<std::size_t>(kQueryBlock * nk);
  if (scratch.scores.size() < need) scratch.scores.resize(need);
  float* s = scratch.scores.data();
  for (int64_t q0 = 0; q0 < nq; q0 += kQueryBlock) {
    const int64_t qb = std::min(kQueryBlock, nq - q0);
    gemm(false, true, qb, nk, d, scale, q + q0 * q_stride, q_stride, k, k_stride, 0.0f, s, nk);
    for (int64_t r = 0; r < qb; ++r) {
      float* row = s + r * nk;
      float mx = row[0];
      for (int64_t j = 1; j < nk; ++j) mx = std::max(mx, row[j]);
      float sum = 0;
      for (int64_t j = 0; j < nk; ++j) {
        row[j] = std::exp(row[j] - mx);
        sum += row[j];
      }
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < nk; ++j) row[j] *= inv;
    }
    gemm(false, false, qb, d, nk, 1.0f, s, nk, v, v_stride, 0.0f, out + q0 * out_stride, out_stride);
  }
}

int64_t conv1d_output_length(int64_t tin, int64_t k, int64_t padding, int64_t dilation) {
  return tin + 2 * padding - dilation * (k - 1);
}

namespace {
// Output columns per im2col tile: keeps the column buffer within a few MiB (L2/L3 friendly)
// whatever the clip length.
int64_t tile_columns(int64_t rows) {
  const int64_t budget = (4 << 20) / static_cast<int64_t>(sizeof(float));
  return std::max<int64_t>(256, budget / std::max<int64_t>(rows, 1));
}
}  // namespace

void conv1d(const float* x, int64_t cin, int64_t tin, const float* w, int64_t cout, int64_t k,
            const float* bias, int64_t padding, int64_t dilation, float* y, ConvScratch& scratch,
            bool accumulate) {
  const int64_t tout = conv1d_output_length(tin, k, padding, dilation);
  if (tout <= 0) throw EngineError("conv1d: input too short for the kernel");
  if (!accumulate) {
    for (int64_t c = 0; c < cout; ++c) {
      float b = bias ? bias[c] : 0.0f;
      std::fill(y + c * tout, y + (c + 1) * tout, b);
    }
  } else if (bias) {
    for (int64_t c = 0; c < cout; ++c) {
      float* yr = y + c * tout;
      for (int64_t t = 0; t < tout; ++t) yr[t] += bias[c];
    }
  }
  if (k == 1 && padding == 0) {
    gemm(false, false, cout, tout, cin, 1.0f, w, cin, x, tin, 1.0f, y, tout);
    return;
  }
  const int64_t rows = cin * k;
  const int64_t tile = std::min(tout, tile_columns(rows));
  const std::size_t need = static_cast<std::size_t>(rows * tile);
  if (scratch.columns.size() < need) scratch.columns.resize(need);
  float* cols = scratch.columns.data();
  for (int64_t t0 = 0; t0 < tout; t0 += tile) {
    const int64_t tt = std::min(tile, tout - t0);
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* xr = x + ci * tin;
      for (int64_t kk = 0; kk < k; ++kk) {
        float* cr = cols + (ci * k + kk) * tt;
        const int64_t shift = t0 + kk * dilation - padding;  // input index of column 0
        const int64_t lo = std::clamp<int64_t>(-shift, 0, tt);
        const int64_t hi = std::clamp<int64_t>(tin - shift, lo, tt);
        std::fill(cr, cr + lo, 0.0f);
        std::copy(xr + shift + lo, xr + shift + hi, cr + lo);
        std::fill(cr + hi, cr + tt, 0.0f);
      }
    }
    gemm(false, false, cout, tt, rows, 1.0f, w, rows, cols, tt, 1.0f, y + t0, tout);
  }
}

int64_t conv_transpose1d_output_length(int64_t tin, int64_t k, int64_t stride, int64_t padding) {
  return (tin - 1) * stride - 2 * padding + k;
}

void conv_transpose1d(const float* x, int64_t cin, int64_t tin, const float* w, int64_t cout,
                      int64_t k, const float* bias, int64_t stride, int64_t padding, float* y,
                      ConvScratch& scratch) {
  const int64_t tout = conv_transpose1d_output_length(tin, k, stride, padding);
  if (tout <= 0) throw EngineError("conv_transpose1d: input too short for the kernel");
  for (int64_t c = 0; c < cout; ++c) {
    float b = bias ? bias[c] : 0.0f;
    std::fill(y + c * tout, y + (c + 1) * tout, b);
  }
  const int64_t rows = cout * k;
  const int64_t tile = std::min(tin, tile_columns(rows));
  const std::size_t need = static_cast<std::size_t>(rows * tile);
  if (scratch.columns.size() < need) scratch.columns.resize(need);
  float* cols = scratch.columns.data();
  for (int64_t t0 = 0; t0 < tin; t0 += tile) {
    const int64_t tt = std::min(tile, tin - t0);
    // cols[co*k + kk, j] = sum_ci w[ci, co, kk] · x[ci, t0 + j]
    gemm(true, false, rows, tt, cin, 1.0f, w, rows, x + t0, tin, 0.0f, cols, tt);
    for (int64_t co = 0; co < cout; ++co) {
      float* yr = y + co * tout;
      for (int64_t kk = 0; kk < k; ++kk) {
        const float* cr = cols + (co * k + kk) * tt;
        for (int64_t j = 0; j < tt; ++j) {
          const int64_t o = (t0 + j) * stride + kk - padding;
          if (o >= 0 && o < tout) yr[o] += cr[j];
        }
      }
    }
  }
}

void snake_beta_inplace(float* x, int64_t channels, int64_t t, const float* alpha,
                        const float* inv_beta) {
  snake_beta(x, x, channels, t, alpha, inv_beta);
}

void snake_beta(const float* x, float* y, int64_t channels, int64_t t, const float* alpha,
                const float* inv_beta) {
  for (int64_t c = 0; c < channels; ++c) {
    const float a = alpha[c], ib = inv_beta[c];
    const float* xr = x + c * t;
    float* yr = y + c * t;
    for (int64_t i = 0; i < t; ++i) {
      const float s = std::sin(xr[i] * a);
      yr[i] = xr[i] + ib * (s * s);
    }
  }
}

}  // namespace foley::ops
