// T5Encoder: the encoder stack of Hugging Face transformers' T5EncoderModel, float32, one
// sequence at a time.
//
//   h = embed[ids]
//   for each block: h += O · Attn(RMSNorm(h)); h += FF(RMSNorm(h))
//   out = RMSNorm_final(h)
//
// RMSNorm(x) = w · x / sqrt(mean(x²) + eps) (no mean subtraction, no bias). Attention scores
// are q·kᵀ with NO 1/sqrt(d) scaling, plus a learned relative-position bias (bidirectional
// buckets, table stored only in block 0 and reused by every block), plus finfo(float32).min
// on padded keys. FF is ReLU (t5-base) or gated (gated-gelu: gelu_new(wi_0 x) * wi_1 x).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "text/t5_config.h"

namespace foley::io {
class SafetensorsFile;
}

namespace foley::text {

// Bucket of relative position (key - query) as T5Attention._relative_position_bucket with
// bidirectional=True.
int t5_relative_position_bucket(int relative_position, int num_buckets, int max_distance);

struct T5Outputs {
  Tensor last_hidden_state;            // [seq, d_model]
  // Filled when requested, as transformers' output_hidden_states: num_layers + 1 entries,
  // the embeddings, the outputs of blocks 0 .. num_layers-2, then the final-normed output
  // (the last block's raw output is not part of that tuple).
  std::vector<Tensor> hidden_states;
};

class T5Encoder {
 public:
  // Loads dir/config.json and dir/model.safetensors (Hugging Face key names; F32/F16/BF16;
  // decoder weights of a full T5 checkpoint are ignored). Every tensor's shape is checked
  // against the config; errors name the file and tensor.
  static std::unique_ptr<T5Encoder> load(const std::filesystem::path& dir);
  static std::unique_ptr<T5Encoder> load(const T5Config& config,
                                         const std::filesystem::path& weights);
  static std::unique_ptr<T5Encoder> load(const T5Config& config, const io::SafetensorsFile& file);

  const T5Config& config() const { return config_; }

  // ids and mask have the same length (the sequence length); mask 1 = real token. At least
  // one token must be unmasked. Fills out.last_hidden_state [seq, d_model] and, when
  // want_hidden_states, out.hidden_states. Not thread-safe (reuses scratch buffers).
  void forward(std::span<const int32_t> ids, std::span<const uint8_t> mask, T5Outputs& out,
               bool want_hidden_states = false);

  // Relative position bias [num_heads, q_len, k_len] of block 0 (before the padding mask).
  Tensor position_bias(int q_len, int k_len) const;

 private:
  struct Block {
    Tensor attn_norm;   // [d_model]
    Tensor qkv;         // [3 * inner, d_model]: q, k, v stacked so one GEMM projects all
    Tensor out;         // [d_model, inner]
    Tensor ff_norm;     // [d_model]
    Tensor wi;          // [d_ff, d_model] or, gated, [2 * d_ff, d_model] (wi_0 then wi_1)
    Tensor wo;          // [d_model, d_ff]
  };

  explicit T5Encoder(T5Config config) : config_(std::move(config)) {}
  void rms_norm(const float* x, const Tensor& weight, float* y, int64_t rows) const;
  void attention(const Block& block, int seq);
  void feed_forward(const Block& block, int seq);

  T5Config config_;
  Tensor embedding_;        // [vocab, d_model]
  Tensor relative_bias_;     // [num_buckets, num_heads]
  std::vector<Block> blocks_;
  Tensor final_norm_;

  // Scratch, reused between calls (resize only grows).
  Tensor hidden_, normed_, qkv_, scores_, context_, ff_, bias_masked_;
  int cached_bias_len_ = -1;
  Tensor cached_bias_;       // position_bias(seq, seq) for the last seq seen
};

}  // namespace foley::text
