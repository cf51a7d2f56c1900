#include "ops/nn.h"

#include <algorithm>
#include <cmath>

#include "ops/gemm.h"
#include "ops/linear_weight.h"
#include "ops/parallel.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace foley::ops {

#ifdef __AVX2__
namespace {
// e^x for 8 lanes: x = n·ln2 + r with n = round(x·log2 e) (two-part ln2 keeps r exact), Cephes'
// single-precision minimax polynomial for e^r on [−ln2/2, ln2/2], then 2^n through the exponent
// bits. Relative error ≤ 2 ulp over [−87, 88]; inputs are clamped there (e^−87 ≈ 1.6e-38, so
// softmax and SiLU tails that underflow in libm stay at ~0 here too).
inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 e_r = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(e_r, _mm256_castsi256_ps(bits));
}
}  // namespace
#endif

void exp_inplace(float* x, int64_t n) {
  int64_t i = 0;
#ifdef __AVX2__
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::exp(x[i]);
}

void swiglu(const float* value, const float* gate, float* out, int64_t n) {
  int64_t i = 0;
#ifdef __AVX2__
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(value + i), silu));
  }
#endif
  for (; i < n; ++i) out[i] = value[i] * (gate[i] / (1.0f + std::exp(-gate[i])));
}

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

void RopeTable::build(const float* inv_freq, int64_t half_dims, int64_t positions) {
  if (positions <= rows && half == half_dims) return;  // rows 0..positions-1 are already there
  rows = positions;
  half = half_dims;
  cos.resize(static_cast<std::size_t>(rows * half));
  sin.resize(static_cast<std::size_t>(rows * half));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < half; ++i) {
      const float f = static_cast<float>(r) * inv_freq[i];
      cos[static_cast<std::size_t>(r * half + i)] = std::cos(f);
      sin[static_cast<std::size_t>(r * half + i)] = std::sin(f);
    }
  }
}

void apply_rope(float* x, int64_t rows, int64_t stride, const RopeTable& table) {
  if (rows > table.rows) throw EngineError("apply_rope: table built for fewer positions");
  const int64_t half = table.half;
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * stride;
    const float* c = table.cos.data() + r * half;
    const float* s = table.sin.data() + r * half;
    for (int64_t i = 0; i < half; ++i) {
      const float a = xr[i], b = xr[i + half];
      xr[i] = a * c[i] - b * s[i];  // rotate_half gives (−x2, x1)
      xr[i + half] = b * c[i] + a * s[i];
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
      for (int64_t j = 0; j < nk; ++j) row[j] -= mx;
      exp_inplace(row, nk);
      float sum = 0;
      for (int64_t j = 0; j < nk; ++j) sum += row[j];
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
            bool accumulate, const uint16_t* w_bf16) {
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
  if (k == 1 && padding == 0 && !w_bf16) {
    gemm(false, false, cout, tout, cin, 1.0f, w, cin, x, tin, 1.0f, y, tout);
    return;
  }
  const int64_t rows = cin * k;
  if (w_bf16) {
    // BF16: gather the im2col tile straight into BF16, then one oneDNN GEMM per tile.
    const int64_t tile = std::min(tout, tile_columns(rows));
    const std::size_t need = static_cast<std::size_t>(rows * tile);
    if (scratch.columns_bf16.size() < need) scratch.columns_bf16.resize(need);
    uint16_t* cols = scratch.columns_bf16.data();
    for (int64_t t0 = 0; t0 < tout; t0 += tile) {
      const int64_t tt = std::min(tile, tout - t0);
      parallel_for(cin, std::max<int64_t>(1, 65536 / std::max<int64_t>(k * tt, 1)), [&](int64_t c0, int64_t c1) {
        for (int64_t ci = c0; ci < c1; ++ci) {
          const float* xr = x + ci * tin;
          for (int64_t kk = 0; kk < k; ++kk) {
            uint16_t* cr = cols + (ci * k + kk) * tt;
            const int64_t shift = t0 + kk * dilation - padding;
            const int64_t lo = std::clamp<int64_t>(-shift, 0, tt);
            const int64_t hi = std::clamp<int64_t>(tin - shift, lo, tt);
            std::fill(cr, cr + lo, uint16_t{0});
            floats_to_bf16(xr + shift + lo, cr + lo, hi - lo);
            std::fill(cr + hi, cr + tt, uint16_t{0});
          }
        }
      });
      gemm_bf16(cout, tt, rows, w_bf16, cols, y + t0, tout, true);
    }
    return;
  }
  const int64_t tile = std::min(tout, tile_columns(rows));
  const std::size_t need = static_cast<std::size_t>(rows * tile);
  if (scratch.columns.size() < need) scratch.columns.resize(need);
  float* cols = scratch.columns.data();
  for (int64_t t0 = 0; t0 < tout; t0 += tile) {
    const int64_t tt = std::min(tile, tout - t0);
    parallel_for(cin, std::max<int64_t>(1, 65536 / std::max<int64_t>(k * tt, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t ci = c0; ci < c1; ++ci) {
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
    });
    gemm(false, false, cout, tt, rows, 1.0f, w, rows, cols, tt, 1.0f, y + t0, tout);
  }
}

int64_t conv_transpose1d_output_length(int64_t tin, int64_t k, int64_t stride, int64_t padding) {
  return (tin - 1) * stride - 2 * padding + k;
}

void conv_transpose1d(const float* x, int64_t cin, int64_t tin, const float* w, int64_t cout,
                      int64_t k, const float* bias, int64_t stride, int64_t padding, float* y,
                      ConvScratch& scratch, const uint16_t* wt_bf16) {
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
    if (wt_bf16) {
      const std::size_t need_in = static_cast<std::size_t>(cin * tt);
      if (scratch.input_bf16.size() < need_in) scratch.input_bf16.resize(need_in);
      for (int64_t ci = 0; ci < cin; ++ci) floats_to_bf16(x + ci * tin + t0, scratch.input_bf16.data() + ci * tt, tt);
      gemm_bf16(rows, tt, cin, wt_bf16, scratch.input_bf16.data(), cols, tt, false);
    } else {
      gemm(true, false, rows, tt, cin, 1.0f, w, rows, x + t0, tin, 0.0f, cols, tt);
    }
    // Output channels are independent: split them across threads.
    parallel_for(cout, std::max<int64_t>(1, 65536 / std::max<int64_t>(k * tt, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t co = c0; co < c1; ++co) {
        float* yr = y + co * tout;
        for (int64_t kk = 0; kk < k; ++kk) {
          const float* cr = cols + (co * k + kk) * tt;
          for (int64_t j = 0; j < tt; ++j) {
            const int64_t o = (t0 + j) * stride + kk - padding;
            if (o >= 0 && o < tout) yr[o] += cr[j];
          }
        }
      }
    });
  }
}

void snake_beta_inplace(float* x, int64_t channels, int64_t t, const float* alpha,
                        const float* inv_beta) {
  snake_beta(x, x, channels, t, alpha, inv_beta);
}

namespace {

#ifdef __AVX2__
// sin²(y) for 8 lanes. sin² is π-periodic and even, so only y mod π/2 matters: reduce with
// k = round(y·2/π) (three-part Cody–Waite constants keep r exact to ~1 ulp for |y| < 8192),
// then sin²(y) = sin²(r) for even k and cos²(r) for odd k, with Cephes' single-precision
// minimax polynomials on [−π/4, π/4]. Max abs error ≈ 1e-7 against sinf().
inline __m256 sin_squared(__m256 y) {
  const __m256 two_over_pi = _mm256_set1_ps(0.63661977236758134f);
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(y, two_over_pi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.5703125f), y);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(4.837512969970703125e-4f), r);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(7.54978995489188216e-8f), r);
  const __m256 z = _mm256_mul_ps(r, r);
  __m256 ps = _mm256_fmadd_ps(_mm256_set1_ps(-1.9515295891e-4f), z, _mm256_set1_ps(8.3321608736e-3f));
  ps = _mm256_fmadd_ps(ps, z, _mm256_set1_ps(-1.6666654611e-1f));
  const __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(ps, z), r, r);
  __m256 pc = _mm256_fmadd_ps(_mm256_set1_ps(2.443315711809948e-5f), z, _mm256_set1_ps(-1.388731625493765e-3f));
  pc = _mm256_fmadd_ps(pc, z, _mm256_set1_ps(4.166664568298827e-2f));
  const __m256 c = _mm256_fmadd_ps(_mm256_mul_ps(pc, z), z, _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), z, _mm256_set1_ps(1.0f)));
  const __m256i odd = _mm256_and_si256(_mm256_cvtps_epi32(k), _mm256_set1_epi32(1));
  const __m256 use_cos = _mm256_castsi256_ps(_mm256_cmpeq_epi32(odd, _mm256_set1_epi32(1)));
  const __m256 v = _mm256_blendv_ps(s, c, use_cos);
  return _mm256_mul_ps(v, v);
}
#endif

void snake_channel(const float* xr, float* yr, int64_t t, float a, float ib) {
  int64_t i = 0;
#ifdef __AVX2__
  const __m256 va = _mm256_set1_ps(a), vib = _mm256_set1_ps(ib);
  const __m256 limit = _mm256_set1_ps(8192.0f);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (; i + 8 <= t; i += 8) {
    const __m256 x = _mm256_loadu_ps(xr + i);
    const __m256 y = _mm256_mul_ps(x, va);
    // Beyond the reduction's exact range (or NaN/inf) fall back to libm for these lanes.
    if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(y, abs_mask), limit, _CMP_NLT_UQ))) {
      for (int64_t j = i; j < i + 8; ++j) {
        const float s = std::sin(xr[j] * a);
        yr[j] = xr[j] + ib * (s * s);
      }
      continue;
    }
    _mm256_storeu_ps(yr + i, _mm256_fmadd_ps(vib, sin_squared(y), x));
  }
#endif
  for (; i < t; ++i) {
    const float s = std::sin(xr[i] * a);
    yr[i] = xr[i] + ib * (s * s);
  }
}

}  // namespace

void snake_beta(const float* x, float* y, int64_t channels, int64_t t, const float* alpha,
                const float* inv_beta) {
  // Channels are independent: split them across threads for long signals.
  const int64_t min_channels = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(t, 1));
  parallel_for(channels, min_channels, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) snake_channel(x + c * t, y + c * t, t, alpha[c], inv_beta[c]);
  });
}

}  // namespace foley::ops
