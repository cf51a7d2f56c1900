#include "text/t5_encoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "ops/gemm.h"

namespace foley::text {

namespace {

// HF adds (1 - mask) * finfo(float32).min to the scores of padded keys.
constexpr float kMaskedScore = std::numeric_limits<float>::lowest();

Tensor load_checked(const io::SafetensorsFile& file, const std::string& name, const Shape& shape) {
  if (!file.contains(name)) {
    throw EngineError("T5 weights " + file.path() + " lack tensor " + name + " (expected shape " +
                      shape_string(shape) + ")");
  }
  return file.load_f32(name, shape);
}

// Copies `rows` rows of `part` into `dest` starting at row `row_offset`.
void stack_rows(Tensor& dest, int64_t row_offset, const Tensor& part) {
  std::copy(part.data(), part.data() + part.numel(), dest.data() + row_offset * part.dim(1));
}

float activate(float x, T5Activation act) {
  switch (act) {
    case T5Activation::kRelu: return x > 0.0f ? x : 0.0f;
    case T5Activation::kGeluExact:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case T5Activation::kGeluTanh: {
      // transformers' NewGELUActivation (gelu_new): tanh approximation.
      const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case T5Activation::kSilu: return x / (1.0f + std::exp(-x));
  }
  return x;
}

}  // namespace

int t5_relative_position_bucket(int relative_position, int num_buckets, int max_distance) {
  // Bidirectional: half the buckets for keys after the query, half for keys before it.
  const int half = num_buckets / 2;
  int bucket = relative_position > 0 ? half : 0;
  const int distance = relative_position < 0 ? -relative_position : relative_position;
  const int max_exact = half / 2;
  if (distance < max_exact) return bucket + distance;
  // Log-spaced beyond max_exact, computed in float32 and truncated, as the reference does.
  const float ratio = static_cast<float>(distance) / static_cast<float>(max_exact);
  const float scale = static_cast<float>(
      std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  const float scaled = std::log(ratio) / scale * static_cast<float>(half - max_exact);
  int large = max_exact + static_cast<int>(scaled);
  large = std::min(large, half - 1);
  return bucket + large;
}

std::unique_ptr<T5Encoder> T5Encoder::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw EngineError("T5 folder not found: " + dir.string() +
                      " (expected config.json, model.safetensors, spiece.model)");
  }
  const auto config_path = dir / "config.json";
  if (!std::filesystem::exists(config_path, ec)) {
    throw EngineError("T5 config not found: " + config_path.string());
  }
  const auto weights_path = dir / "model.safetensors";
  if (!std::filesystem::exists(weights_path, ec)) {
    throw EngineError("T5 weights not found: " + weights_path.string() +
                      " (only the safetensors format is read; convert pytorch_model.bin first)");
  }
  return load(T5Config::load(config_path), weights_path);
}

std::unique_ptr<T5Encoder> T5Encoder::load(const T5Config& config,
                                           const std::filesystem::path& weights) {
  auto file = io::SafetensorsFile::open(weights);
  return load(config, *file);
}

std::unique_ptr<T5Encoder> T5Encoder::load(const T5Config& c, const io::SafetensorsFile& file) {
  std::unique_ptr<T5Encoder> enc(new T5Encoder(c));
  const int64_t d = c.d_model, inner = c.inner_dim(), ff = c.d_ff;

  // The token embedding is tied: checkpoints carry shared.weight, encoder.embed_tokens.weight
  // or both (T5EncoderModel.save_pretrained may drop either name).
  const Shape embed_shape{c.vocab_size, d};
  if (file.contains("encoder.embed_tokens.weight")) {
    enc->embedding_ = file.load_f32("encoder.embed_tokens.weight", embed_shape);
  } else if (file.contains("shared.weight")) {
    enc->embedding_ = file.load_f32("shared.weight", embed_shape);
  } else {
    throw EngineError("T5 weights " + file.path() +
                      " lack the token embedding (shared.weight or encoder.embed_tokens.weight, "
                      "expected shape " + shape_string(embed_shape) + ")");
  }

  const std::string rel = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
  enc->relative_bias_ = load_checked(file, rel, {c.relative_attention_num_buckets, c.num_heads});

  enc->blocks_.resize(static_cast<std::size_t>(c.num_layers));
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = "encoder.block." + std::to_string(i) + ".layer.";
    Block& b = enc->blocks_[static_cast<std::size_t>(i)];
    b.attn_norm = load_checked(file, p + "0.layer_norm.weight", {d});
    b.qkv = Tensor({3 * inner, d});
    stack_rows(b.qkv, 0, load_checked(file, p + "0.SelfAttention.q.weight", {inner, d}));
    stack_rows(b.qkv, inner, load_checked(file, p + "0.SelfAttention.k.weight", {inner, d}));
    stack_rows(b.qkv, 2 * inner, load_checked(file, p + "0.SelfAttention.v.weight", {inner, d}));
    b.out = load_checked(file, p + "0.SelfAttention.o.weight", {d, inner});
    b.ff_norm = load_checked(file, p + "1.layer_norm.weight", {d});
    if (c.gated) {
      b.wi = Tensor({2 * ff, d});
      stack_rows(b.wi, 0, load_checked(file, p + "1.DenseReluDense.wi_0.weight", {ff, d}));
      stack_rows(b.wi, ff, load_checked(file, p + "1.DenseReluDense.wi_1.weight", {ff, d}));
    } else {
      b.wi = load_checked(file, p + "1.DenseReluDense.wi.weight", {ff, d});
    }
    b.wo = load_checked(file, p + "1.DenseReluDense.wo.weight", {d, ff});
  }
  enc->final_norm_ = load_checked(file, "encoder.final_layer_norm.weight", {d});

  // A checkpoint whose feed-forward kind disagrees with the config is a common mix-up
  // (e.g. a t5-v1_1 file with a t5-base config): say so instead of "tensor missing".
  const std::string other_ff = c.gated ? "encoder.block.0.layer.1.DenseReluDense.wi.weight"
                                       : "encoder.block.0.layer.1.DenseReluDense.wi_0.weight";
  if (file.contains(other_ff)) {
    throw EngineError("T5 weights " + file.path() + " contain " + other_ff +
                      ", which does not match feed_forward_proj \"" + c.feed_forward_proj +
                      "\" in the config");
  }
  const std::string extra_block = "encoder.block." + std::to_string(c.num_layers) +
                                  ".layer.0.layer_norm.weight";
  if (file.contains(extra_block)) {
    throw EngineError("T5 weights " + file.path() + " have more blocks than num_layers = " +
                      std::to_string(c.num_layers) + " in the config");
  }
  return enc;
}

Tensor T5Encoder::position_bias(int q_len, int k_len) const {
  const int heads = config_.num_heads;
  Tensor bias({heads, q_len, k_len});
  std::vector<int> bucket_of_offset(static_cast<std::size_t>(q_len + k_len));
  // Relative position k - q ranges over [-(q_len-1), k_len-1].
  for (int r = -(q_len - 1); r < k_len; ++r) {
    bucket_of_offset[static_cast<std::size_t>(r + q_len - 1)] = t5_relative_position_bucket(
        r, config_.relative_attention_num_buckets, config_.relative_attention_max_distance);
  }
  for (int h = 0; h < heads; ++h) {
    for (int q = 0; q < q_len; ++q) {
      float* row = bias.data() + (static_cast<int64_t>(h) * q_len + q) * k_len;
      for (int k = 0; k < k_len; ++k) {
        const int bucket = bucket_of_offset[static_cast<std::size_t>(k - q + q_len - 1)];
        row[k] = relative_bias_[static_cast<int64_t>(bucket) * heads + h];
      }
    }
  }
  return bias;
}

void T5Encoder::rms_norm(const float* x, const Tensor& weight, float* y, int64_t rows) const {
  const int64_t d = config_.d_model;
  const float eps = config_.layer_norm_epsilon;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    float sum_sq = 0.0f;
    for (int64_t i = 0; i < d; ++i) sum_sq += xr[i] * xr[i];
    const float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(d) + eps);
    for (int64_t i = 0; i < d; ++i) yr[i] = weight[i] * (xr[i] * inv);
  }
}

void T5Encoder::attention(const Block& b, int seq) {
  const int64_t d = config_.d_model, dk = config_.d_kv, inner = config_.inner_dim();
  const int heads = config_.num_heads;
  rms_norm(hidden_.data(), b.attn_norm, normed_.data(), seq);
  ops::linear(normed_.data(), seq, d, b.qkv.data(), 3 * inner, nullptr, qkv_.data());
  const int64_t ld = 3 * inner;
  for (int h = 0; h < heads; ++h) {
    const float* q = qkv_.data() + h * dk;
    const float* k = qkv_.data() + inner + h * dk;
    const float* v = qkv_.data() + 2 * inner + h * dk;
    float* s = scores_.data();
    // No 1/sqrt(d_kv): T5 folds that scale into its initialisation.
    ops::gemm(false, true, seq, seq, dk, 1.0f, q, ld, k, ld, 0.0f, s, seq);
    const float* bias = bias_masked_.data() + static_cast<int64_t>(h) * seq * seq;
    for (int64_t qi = 0; qi < seq; ++qi) {
      float* row = s + qi * seq;
      const float* brow = bias + qi * seq;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t ki = 0; ki < seq; ++ki) {
        row[ki] += brow[ki];
        mx = std::max(mx, row[ki]);
      }
      float sum = 0.0f;
      for (int64_t ki = 0; ki < seq; ++ki) {
        row[ki] = std::exp(row[ki] - mx);
        sum += row[ki];
      }
      const float inv = 1.0f / sum;
      for (int64_t ki = 0; ki < seq; ++ki) row[ki] *= inv;
    }
    ops::gemm(false, false, seq, dk, seq, 1.0f, s, seq, v, ld, 0.0f, context_.data() + h * dk,
              inner);
  }
  ops::linear(context_.data(), seq, inner, b.out.data(), d, nullptr, hidden_.data(), true);
}

void T5Encoder::feed_forward(const Block& b, int seq) {
  const int64_t d = config_.d_model, ff = config_.d_ff;
  const T5Activation act = config_.activation;
  rms_norm(hidden_.data(), b.ff_norm, normed_.data(), seq);
  if (config_.gated) {
    // One GEMM yields [wi_0 x | wi_1 x] per row; fold into act(wi_0 x) * wi_1 x in place.
    ops::linear(normed_.data(), seq, d, b.wi.data(), 2 * ff, nullptr, ff_.data());
    for (int64_t r = 0; r < seq; ++r) {
      const float* gate = ff_.data() + r * 2 * ff;
      const float* lin = gate + ff;
      float* outr = ff_.data() + r * ff;  // row r of the packed [seq, ff] result
      for (int64_t i = 0; i < ff; ++i) {
        const float g = activate(gate[i], act) * lin[i];
        outr[i] = g;  // safe: writes position r*ff+i <= read position r*2ff+i
      }
    }
  } else {
    ops::linear(normed_.data(), seq, d, b.wi.data(), ff, nullptr, ff_.data());
    float* f = ff_.data();
    for (int64_t i = 0; i < static_cast<int64_t>(seq) * ff; ++i) f[i] = activate(f[i], act);
  }
  ops::linear(ff_.data(), seq, ff, b.wo.data(), d, nullptr, hidden_.data(), true);
}

void T5Encoder::forward(std::span<const int32_t> ids, std::span<const uint8_t> mask,
                        T5Outputs& out, bool want_hidden_states) {
  const int64_t d = config_.d_model, inner = config_.inner_dim(), ff = config_.d_ff;
  if (ids.size() != mask.size()) {
    throw EngineError("T5 encoder: " + std::to_string(ids.size()) + " ids but " +
                      std::to_string(mask.size()) + " mask entries");
  }
  if (ids.empty()) throw EngineError("T5 encoder: empty token sequence");
  if (ids.size() > 65536) throw EngineError("T5 encoder: token sequence too long");
  if (std::none_of(mask.begin(), mask.end(), [](uint8_t m) { return m != 0; })) {
    throw EngineError("T5 encoder: every token is masked (at least </s> must be attended)");
  }
  const int seq = static_cast<int>(ids.size());
  for (int i = 0; i < seq; ++i) {
    const int32_t id = ids[static_cast<std::size_t>(i)];
    if (id < 0 || id >= config_.vocab_size) {
      throw EngineError("T5 encoder: token id " + std::to_string(id) + " at position " +
                        std::to_string(i) + " is outside the vocabulary (vocab_size " +
                        std::to_string(config_.vocab_size) + ")");
    }
  }

  hidden_.resize({seq, d});
  normed_.resize({seq, d});
  qkv_.resize({seq, 3 * inner});
  scores_.resize({seq, seq});
  context_.resize({seq, inner});
  ff_.resize({seq, (config_.gated ? 2 : 1) * ff});

  if (cached_bias_len_ != seq) {
    cached_bias_ = position_bias(seq, seq);
    cached_bias_len_ = seq;
  }
  // Position bias plus the padding mask, added together first as the reference does.
  bias_masked_.resize(cached_bias_.shape());
  const int heads = config_.num_heads;
  for (int h = 0; h < heads; ++h) {
    for (int q = 0; q < seq; ++q) {
      const int64_t base = (static_cast<int64_t>(h) * seq + q) * seq;
      for (int k = 0; k < seq; ++k) {
        const float m = mask[static_cast<std::size_t>(k)] ? 0.0f : kMaskedScore;
        bias_masked_[base + k] = cached_bias_[base + k] + m;
      }
    }
  }

  for (int i = 0; i < seq; ++i) {
    const float* row = embedding_.data() + static_cast<int64_t>(ids[static_cast<std::size_t>(i)]) * d;
    std::copy(row, row + d, hidden_.data() + static_cast<int64_t>(i) * d);
  }
  out.hidden_states.clear();
  if (want_hidden_states) out.hidden_states.push_back(hidden_);

  for (std::size_t bi = 0; bi < blocks_.size(); ++bi) {
    attention(blocks_[bi], seq);
    feed_forward(blocks_[bi], seq);
    if (want_hidden_states && bi + 1 < blocks_.size()) out.hidden_states.push_back(hidden_);
  }
  out.last_hidden_state.resize({seq, d});
  rms_norm(hidden_.data(), final_norm_, out.last_hidden_state.data(), seq);
  if (want_hidden_states) out.hidden_states.push_back(out.last_hidden_state);
}

}  // namespace foley::text
