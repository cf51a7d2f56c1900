#include "ops/linear_weight.h"

#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "ops/gemm.h"

#ifdef FOLEY_HAVE_DNNL
#include <immintrin.h>

#include <dnnl.hpp>
#endif

namespace foley::ops {

#ifdef FOLEY_HAVE_DNNL

namespace {

uint16_t to_bf16_impl(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace

uint16_t float_to_bf16(float f) { return to_bf16_impl(f); }

namespace {
__attribute__((target("avx512f,avx512bf16"))) void floats_to_bf16_avx512(const float* src, uint16_t* dst,
                                                                          int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), reinterpret_cast<const __m256i&>(v));
  }
  for (; i < n; ++i) dst[i] = to_bf16_impl(src[i]);
}
}  // namespace

void floats_to_bf16(const float* src, uint16_t* dst, int64_t n) {
  if (bf16_available()) {
    floats_to_bf16_avx512(src, dst, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = to_bf16_impl(src[i]);
}

void gemm_bf16(int64_t m, int64_t n, int64_t k, const uint16_t* a, const uint16_t* b, float* c, int64_t ldc,
               bool accumulate) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  // The decoder uses a handful of shapes (fixed tiles and chunk lengths): cache primitives.
  static std::mutex mutex;
  static std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, bool>, dnnl::matmul> cache;
  const dnnl::memory::desc a_md({m, k}, dt::bf16, tag::ab);
  const dnnl::memory::desc b_md({k, n}, dt::bf16, tag::ab);
  const dnnl::memory::desc c_md({m, n}, dt::f32, dnnl::memory::dims{ldc, 1});
  dnnl::matmul prim;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_tuple(m, n, k, ldc, accumulate);
    auto it = cache.find(key);
    if (it == cache.end()) {
      dnnl::primitive_attr attr;
      if (accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      dnnl::matmul::desc desc(a_md, b_md, c_md);
      dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());
      it = cache.emplace(key, dnnl::matmul(pd)).first;
    }
    prim = it->second;
  }
  dnnl::memory am(a_md, cpu_engine(), const_cast<uint16_t*>(a));
  dnnl::memory bm(b_md, cpu_engine(), const_cast<uint16_t*>(b));
  dnnl::memory cm(c_md, cpu_engine(), c);
  dnnl::stream stream(cpu_engine());
  prim.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
}

bool bf16_available() {
  static const bool ok = __builtin_cpu_supports("avx512bf16");
  return ok;
}

struct LinearWeight::Bf16 {
  // Until the first call: the weight as BF16 [out, in] row-major (logical [in, out], tag ba).
  // The first call reorders it once into the blocked layout oneDNN's matmul kernel prefers
  // (packing per call costs ~10 % of a DiT GEMM) and drops the plain copy.
  std::vector<uint16_t> plain;
  dnnl::memory packed;
  // Primitives per row count (the DiT uses a handful of sizes), created on first use.
  mutable std::map<int64_t, dnnl::matmul> primitives;
  mutable std::vector<uint16_t> src;
  mutable std::vector<float> dst;
  mutable std::mutex mutex;
};

LinearWeight::LinearWeight(Tensor weight, bool use_bf16) : in_(weight.dim(1)), out_(weight.dim(0)) {
  if (use_bf16 && bf16_available()) {
    bf16_ = std::make_unique<Bf16>();
    bf16_->plain.resize(static_cast<std::size_t>(weight.numel()));
    floats_to_bf16(weight.data(), bf16_->plain.data(), weight.numel());
  } else {
    f32_ = std::move(weight);
  }
}

void LinearWeight::apply(const float* x, int64_t rows, float* y, const float* bias, bool accumulate) const {
  if (!bf16_) {
    linear(x, rows, in_, f32_.data(), out_, bias, y, accumulate);
    return;
  }
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  std::lock_guard<std::mutex> lock(bf16_->mutex);
  const dnnl::memory::desc src_md({rows, in_}, dt::bf16, tag::ab);
  const dnnl::memory::desc dst_md({rows, out_}, dt::f32, tag::ab);
  auto it = bf16_->primitives.find(rows);
  if (it == bf16_->primitives.end()) {
    const dnnl::memory::desc any_md({in_, out_}, dt::bf16, tag::any);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_md, dst_md), cpu_engine());
    if (!bf16_->packed) {
      const dnnl::memory::desc plain_md({in_, out_}, dt::bf16, tag::ba);
      dnnl::memory plain(plain_md, cpu_engine(), bf16_->plain.data());
      bf16_->packed = dnnl::memory(pd.weights_desc(), cpu_engine());
      dnnl::stream stream(cpu_engine());
      dnnl::reorder(plain, bf16_->packed).execute(stream, plain, bf16_->packed);
      stream.wait();
      std::vector<uint16_t>().swap(bf16_->plain);
    } else if (pd.weights_desc() != bf16_->packed.get_desc()) {
      // Another row count whose preferred layout differs: use the packed one we have.
      pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, bf16_->packed.get_desc(), dst_md),
                                        cpu_engine());
    }
    it = bf16_->primitives.emplace(rows, dnnl::matmul(pd)).first;
  }
  bf16_->src.resize(static_cast<std::size_t>(rows * in_));
  floats_to_bf16(x, bf16_->src.data(), rows * in_);
  float* out = y;
  if (accumulate) {
    bf16_->dst.resize(static_cast<std::size_t>(rows * out_));
    out = bf16_->dst.data();
  }
  dnnl::memory src(src_md, cpu_engine(), bf16_->src.data());
  dnnl::memory dst(dst_md, cpu_engine(), out);
  dnnl::stream stream(cpu_engine());
  it->second.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, bf16_->packed}, {DNNL_ARG_DST, dst}});
  stream.wait();
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * out_;
    const float* orow = out + r * out_;
    for (int64_t o = 0; o < out_; ++o) {
      float v = accumulate ? yr[o] + orow[o] : orow[o];
      if (bias) v += bias[o];
      yr[o] = v;
    }
  }
}

#else  // no oneDNN: BF16 requests fall back to float32

bool bf16_available() { return false; }
uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
void floats_to_bf16(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
}
void gemm_bf16(int64_t, int64_t, int64_t, const uint16_t*, const uint16_t*, float*, int64_t, bool) {
  throw EngineError("BF16 GEMM needs oneDNN");
}
struct LinearWeight::Bf16 {};
LinearWeight::LinearWeight(Tensor weight, bool) : f32_(std::move(weight)), in_(f32_.dim(1)), out_(f32_.dim(0)) {}
void LinearWeight::apply(const float* x, int64_t rows, float* y, const float* bias, bool accumulate) const {
  linear(x, rows, in_, f32_.data(), out_, bias, y, accumulate);
}

#endif

LinearWeight::LinearWeight() = default;
LinearWeight::~LinearWeight() = default;
LinearWeight::LinearWeight(LinearWeight&&) noexcept = default;
LinearWeight& LinearWeight::operator=(LinearWeight&&) noexcept = default;

}  // namespace foley::ops
