// TextEncoder: the prompt encoder the pipeline uses (SAOS "prompt" conditioner of type t5).
//
// prompt -> SentencePiece ids (t5-base tokenizer semantics: truncate to max_length - 1,
// append </s> = 1, pad with 0) -> T5 encoder (Hugging Face T5EncoderModel semantics, float32)
// -> last_hidden_state with the padded rows zeroed, exactly what stable-audio-tools'
// T5Conditioner hands to the DiT (its proj_out is Identity when cond_dim == d_model).
//
// Upstream runs the T5 in float16; this port runs float32, so its embeddings differ from the
// production ones by fp16 rounding only (see docs/models.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace foley::text {

class Tokenizer;
class T5Encoder;

// Everything encode() computes, for callers that need more than the embedding.
struct TextEncoding {
  Tensor hidden;                 // [max_length, d_model], padded rows zeroed
  std::vector<int32_t> ids;      // [max_length] token ids (0 = pad)
  std::vector<uint8_t> mask;     // [max_length] 1 for real tokens incl. </s>, 0 for pads
  int token_count = 0;           // number of 1s in mask (>= 1: </s> is always there)
  bool truncated = false;        // the prompt had more than max_length - 1 tokens
};

class TextEncoder {
 public:
  // Loads t5_dir/{config.json, model.safetensors, spiece.model}. Throws foley::EngineError
  // naming the file (and tensor) on missing or malformed input, or when the tokenizer's
  // vocabulary does not fit the model's vocab_size.
  static std::unique_ptr<TextEncoder> load(const std::filesystem::path& t5_dir, int max_length);

  ~TextEncoder();
  TextEncoder(const TextEncoder&) = delete;
  TextEncoder& operator=(const TextEncoder&) = delete;

  // [max_length, d_model] float32, padded rows zeroed. Empty or whitespace-only prompts
  // encode as "</s>" alone (as the Hugging Face tokenizer does). Not thread-safe: one caller
  // at a time (encode reuses scratch buffers).
  Tensor encode(const std::string& prompt);
  TextEncoding encode_full(const std::string& prompt);

  int d_model() const;
  int max_length() const { return max_length_; }

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const T5Encoder& encoder() const { return *encoder_; }

 private:
  TextEncoder(std::unique_ptr<Tokenizer> tokenizer, std::unique_ptr<T5Encoder> encoder,
              int max_length);

  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<T5Encoder> encoder_;
  int max_length_ = 0;
};

}  // namespace foley::text
