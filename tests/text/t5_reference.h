// A deliberately plain float64 T5 encoder for the tests: loops, no BLAS, no scratch reuse,
// written from the math (not from the engine code) so the two can disagree.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace foley::text::testing {

struct RefConfig {
  int vocab = 0, d = 0, dk = 0, ff = 0, layers = 0, heads = 0, buckets = 32, max_distance = 128;
  double eps = 1e-6;
  bool gated = false;
  bool gelu_tanh = false;  // activation: gelu_new when true, relu otherwise
};

inline int ref_bucket(int rel, int buckets, int max_distance) {
  const int half = buckets / 2, exact = half / 2;
  const int base = rel > 0 ? half : 0;
  const int n = std::abs(rel);
  if (n < exact) return base + n;
  const double v = std::log(static_cast<double>(n) / exact) / std::log(double(max_distance) / exact) *
                   (half - exact);
  return base + std::min(exact + static_cast<int>(v), half - 1);
}

// Returns the final-normed hidden states [seq][d] (padded rows NOT zeroed).
inline std::vector<std::vector<double>> ref_t5(const RefConfig& c, const TensorMap& w,
                                               const std::vector<int32_t>& ids,
                                               const std::vector<uint8_t>& mask) {
  const int seq = static_cast<int>(ids.size());
  const int inner = c.heads * c.dk;
  auto W = [&](const std::string& n) -> const std::vector<float>& { return w.at(n).values; };
  auto rms = [&](const std::vector<double>& x, const std::vector<float>& g) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / c.d + c.eps);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = g[i] * x[i] * inv;
    return y;
  };
  auto matvec = [](const std::vector<float>& m, int rows, int cols, const std::vector<double>& x) {
    std::vector<double> y(static_cast<std::size_t>(rows), 0.0);
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k) y[r] += m[static_cast<std::size_t>(r) * cols + k] * x[k];
    return y;
  };
  const auto& embed = w.count("shared.weight") ? W("shared.weight") : W("encoder.embed_tokens.weight");
  std::vector<std::vector<double>> h(seq, std::vector<double>(c.d));
  for (int s = 0; s < seq; ++s)
    for (int i = 0; i < c.d; ++i) h[s][i] = embed[static_cast<std::size_t>(ids[s]) * c.d + i];
  const auto& table = W("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");

  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "encoder.block." + std::to_string(l) + ".layer.";
    std::vector<std::vector<double>> q(seq), k(seq), v(seq);
    for (int s = 0; s < seq; ++s) {
      const auto x = rms(h[s], W(p + "0.layer_norm.weight"));
      q[s] = matvec(W(p + "0.SelfAttention.q.weight"), inner, c.d, x);
      k[s] = matvec(W(p + "0.SelfAttention.k.weight"), inner, c.d, x);
      v[s] = matvec(W(p + "0.SelfAttention.v.weight"), inner, c.d, x);
    }
    std::vector<std::vector<double>> ctx(seq, std::vector<double>(inner, 0.0));
    for (int hd = 0; hd < c.heads; ++hd) {
      for (int qi = 0; qi < seq; ++qi) {
        std::vector<double> sc(seq);
        double mx = -1e300;
        for (int ki = 0; ki < seq; ++ki) {
          double dot = 0;
          for (int e = 0; e < c.dk; ++e) dot += q[qi][hd * c.dk + e] * k[ki][hd * c.dk + e];
          const int b = ref_bucket(ki - qi, c.buckets, c.max_distance);
          dot += table[static_cast<std::size_t>(b) * c.heads + hd];
          if (!mask[ki]) dot = -1e300;  // masked keys get zero weight
          sc[ki] = dot;
          mx = std::max(mx, dot);
        }
        double sum = 0;
        for (auto& x : sc) sum += (x = std::exp(x - mx));
        for (int ki = 0; ki < seq; ++ki)
          for (int e = 0; e < c.dk; ++e) ctx[qi][hd * c.dk + e] += sc[ki] / sum * v[ki][hd * c.dk + e];
      }
    }
    for (int s = 0; s < seq; ++s) {
      const auto o = matvec(W(p + "0.SelfAttention.o.weight"), c.d, inner, ctx[s]);
      for (int i = 0; i < c.d; ++i) h[s][i] += o[i];
      const auto x = rms(h[s], W(p + "1.layer_norm.weight"));
      std::vector<double> a;
      auto act = [&](double z) {
        if (!c.gelu_tanh) return z > 0 ? z : 0.0;
        return 0.5 * z * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (z + 0.044715 * z * z * z)));
      };
      if (c.gated) {
        const auto g = matvec(W(p + "1.DenseReluDense.wi_0.weight"), c.ff, c.d, x);
        const auto lin = matvec(W(p + "1.DenseReluDense.wi_1.weight"), c.ff, c.d, x);
        for (int i = 0; i < c.ff; ++i) a.push_back(act(g[i]) * lin[i]);
      } else {
        a = matvec(W(p + "1.DenseReluDense.wi.weight"), c.ff, c.d, x);
        for (auto& z : a) z = act(z);
      }
      const auto y = matvec(W(p + "1.DenseReluDense.wo.weight"), c.d, c.ff, a);
      for (int i = 0; i < c.d; ++i) h[s][i] += y[i];
    }
  }
  for (int s = 0; s < seq; ++s) h[s] = rms(h[s], W("encoder.final_layer_norm.weight"));
  return h;
}

// Random weights for a config (HF key names), values ~N(0, 1/fan_in), gains ~1.
inline TensorMap random_t5_weights(const RefConfig& c, uint32_t seed, bool with_shared = true) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto make = [&](std::vector<int64_t> shape, float scale, float offset = 0.0f) {
    NamedTensor t;
    t.shape = shape;
    int64_t n = 1;
    for (auto s : shape) n *= s;
    for (int64_t i = 0; i < n; ++i) t.values.push_back(offset + scale * normal(gen));
    return t;
  };
  const int inner = c.heads * c.dk;
  TensorMap w;
  w[with_shared ? "shared.weight" : "encoder.embed_tokens.weight"] = make({c.vocab, c.d}, 1.0f);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "encoder.block." + std::to_string(l) + ".layer.";
    const float sd = 1.0f / std::sqrt(float(c.d));
    w[p + "0.layer_norm.weight"] = make({c.d}, 0.2f, 1.0f);
    for (const char* n : {"q", "k", "v"})
      w[p + "0.SelfAttention." + n + ".weight"] = make({inner, c.d}, sd);
    w[p + "0.SelfAttention.o.weight"] = make({c.d, inner}, 1.0f / std::sqrt(float(inner)));
    if (l == 0)
      w[p + "0.SelfAttention.relative_attention_bias.weight"] = make({c.buckets, c.heads}, 1.0f);
    w[p + "1.layer_norm.weight"] = make({c.d}, 0.2f, 1.0f);
    if (c.gated) {
      w[p + "1.DenseReluDense.wi_0.weight"] = make({c.ff, c.d}, sd);
      w[p + "1.DenseReluDense.wi_1.weight"] = make({c.ff, c.d}, sd);
    } else {
      w[p + "1.DenseReluDense.wi.weight"] = make({c.ff, c.d}, sd);
    }
    w[p + "1.DenseReluDense.wo.weight"] = make({c.d, c.ff}, 1.0f / std::sqrt(float(c.ff)));
  }
  w["encoder.final_layer_norm.weight"] = make({c.d}, 0.2f, 1.0f);
  return w;
}

inline std::string config_json(const RefConfig& c, const std::string& ff_proj) {
  nlohmann::json j = {{"vocab_size", c.vocab},     {"d_model", c.d},
                      {"d_kv", c.dk},              {"d_ff", c.ff},
                      {"num_layers", c.layers},    {"num_heads", c.heads},
                      {"relative_attention_num_buckets", c.buckets},
                      {"relative_attention_max_distance", c.max_distance},
                      {"layer_norm_epsilon", c.eps}, {"feed_forward_proj", ff_proj},
                      {"model_type", "t5"}};
  return j.dump(2);
}

}  // namespace foley::text::testing
