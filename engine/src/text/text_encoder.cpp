#include "text/text_encoder.h"

#include <algorithm>

#include "foley/engine.h"
#include "text/t5_encoder.h"
#include "text/tokenizer.h"

namespace foley::text {

TextEncoder::TextEncoder(std::unique_ptr<Tokenizer> tokenizer, std::unique_ptr<T5Encoder> encoder,
                         int max_length)
    : tokenizer_(std::move(tokenizer)), encoder_(std::move(encoder)), max_length_(max_length) {}

TextEncoder::~TextEncoder() = default;

std::unique_ptr<TextEncoder> TextEncoder::load(const std::filesystem::path& t5_dir,
                                               int max_length) {
  if (max_length < 1 || max_length > 4096) {
    throw EngineError("prompt max_length must be in 1 .. 4096 (got " +
                      std::to_string(max_length) + ")");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(t5_dir, ec)) {
    throw EngineError("T5 folder not found: " + t5_dir.string() +
                      " (expected config.json, model.safetensors, spiece.model; "
                      "tools/download/download_saos.sh fetches t5-base)");
  }
  // The small tokenizer first, so a missing spiece.model is reported before reading
  // hundreds of MB of weights.
  auto tokenizer = Tokenizer::load(t5_dir / "spiece.model");
  auto encoder = T5Encoder::load(t5_dir);
  const int vocab = encoder->config().vocab_size;
  if (tokenizer->piece_count() > vocab) {
    throw EngineError("tokenizer " + tokenizer->source() + " has " +
                      std::to_string(tokenizer->piece_count()) +
                      " pieces but the T5 model's vocab_size is " + std::to_string(vocab) +
                      ": spiece.model and model.safetensors are not from the same model");
  }
  if (tokenizer->eos_id() >= vocab || tokenizer->pad_id() >= vocab) {
    throw EngineError("tokenizer " + tokenizer->source() + ": </s> or <pad> id is outside the "
                      "T5 vocabulary");
  }
  return std::unique_ptr<TextEncoder>(
      new TextEncoder(std::move(tokenizer), std::move(encoder), max_length));
}

int TextEncoder::d_model() const { return encoder_->config().d_model; }

TextEncoding TextEncoder::encode_full(const std::string& prompt) {
  TokenizedPrompt tokens = tokenizer_->encode(prompt, max_length_);
  T5Outputs outputs;
  encoder_->forward(tokens.ids, tokens.mask, outputs);
  TextEncoding result;
  result.hidden = std::move(outputs.last_hidden_state);
  // T5Conditioner multiplies by the attention mask: padded rows become exact zeros.
  const int64_t d = d_model();
  for (int i = 0; i < max_length_; ++i) {
    if (!tokens.mask[static_cast<std::size_t>(i)]) {
      float* row = result.hidden.data() + static_cast<int64_t>(i) * d;
      std::fill(row, row + d, 0.0f);
    }
  }
  result.ids = std::move(tokens.ids);
  result.mask = std::move(tokens.mask);
  result.token_count = tokens.token_count;
  result.truncated = tokens.truncated;
  return result;
}

Tensor TextEncoder::encode(const std::string& prompt) { return encode_full(prompt).hidden; }

}  // namespace foley::text
