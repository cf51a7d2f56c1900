// Tokenizer: the t5-base SentencePiece tokenizer as stable-audio-tools calls it
// (AutoTokenizer("t5-base")(prompt, truncation=True, max_length=L, padding="max_length")):
// SentencePiece unigram ids, truncated to L - 1 tokens, "</s>" appended, padded with "<pad>"
// to exactly L, plus the attention mask.
//
// SentencePiece ids are the model's ids directly (t5-base: <pad> = 0, </s> = 1, <unk> = 2).
// Not reproduced: Hugging Face's "added tokens" (the literal strings "</s>", "<pad>",
// "<extra_id_N>" typed inside a prompt are tokenized as plain text here).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace foley::text {

struct TokenizedPrompt {
  std::vector<int32_t> ids;   // exactly max_length ids
  std::vector<uint8_t> mask;  // 1 for real tokens incl. </s>, 0 for padding
  int token_count = 0;        // tokens with mask 1 (always >= 1)
  bool truncated = false;     // the prompt alone had more than max_length - 1 tokens
};

class Tokenizer {
 public:
  // Loads a SentencePiece model file (spiece.model). Throws foley::EngineError naming the
  // file when it is missing, unreadable or not a SentencePiece model, or lacks </s>/<pad>.
  static std::unique_ptr<Tokenizer> load(const std::filesystem::path& spiece_model);
  // Same from the serialized model bytes; `label` names the source in error messages.
  static std::unique_ptr<Tokenizer> from_serialized(const std::string& model_proto,
                                                    const std::string& label);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Plain SentencePiece ids of `text`, no </s>. Throws EngineError on invalid UTF-8.
  std::vector<int32_t> tokenize(std::string_view text) const;
  // The t5-base call above. max_length must be >= 1.
  TokenizedPrompt encode(std::string_view text, int max_length) const;

  // Number of pieces in the SentencePiece model (t5-base: 32000; the model's embedding
  // table is larger: vocab_size 32128 covers <extra_id_*> and padding).
  int piece_count() const;
  int pad_id() const { return pad_id_; }
  int eos_id() const { return eos_id_; }
  std::string piece(int id) const;
  const std::string& source() const { return label_; }

 private:
  Tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor, std::string label);
  // At least the first `needed` pieces of text (all of them when it has fewer), without
  // tokenizing megabytes of a huge prompt when a prefix provably gives the same ones.
  std::vector<int32_t> leading_pieces(std::string_view text, std::size_t needed) const;

  static constexpr std::size_t kPrefixBytes = 4096;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::string label_;
  int pad_id_ = 0;
  int eos_id_ = 1;
  bool pieces_split_at_whitespace_ = true;
};

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace foley::text
