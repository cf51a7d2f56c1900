#include "text/tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>
#include <system_error>

#include "foley/engine.h"

namespace foley::text {

namespace {

std::string read_whole_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw EngineError("tokenizer model not found: " + path.string() +
                      " (expected the T5 folder's spiece.model)");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw EngineError("tokenizer model is not a regular file: " + path.string());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EngineError("cannot open tokenizer model " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw EngineError("cannot read tokenizer model " + path.string());
  return bytes;
}

// Resolves a special token's id: the model's reserved id when it declares one, otherwise the
// piece looked up by name (the way Hugging Face finds "</s>" and "<pad>").
int special_id(const sentencepiece::SentencePieceProcessor& sp, int reserved,
               const char* piece, const std::string& label) {
  if (reserved >= 0) return reserved;
  int id = sp.PieceToId(piece);
  if (id < 0 || sp.IsUnknown(id) || sp.IdToPiece(id) != piece) {
    throw EngineError("tokenizer model " + label + " has no " + piece +
                      " piece (a T5 tokenizer needs </s> and <pad>)");
  }
  return id;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= n) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    static constexpr uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

Tokenizer::Tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor,
                     std::string label)
    : processor_(std::move(processor)), label_(std::move(label)) {
  pad_id_ = special_id(*processor_, processor_->pad_id(), "<pad>", label_);
  eos_id_ = special_id(*processor_, processor_->eos_id(), "</s>", label_);
  // "▁" (U+2581) marks a word start; a piece with it past its first character would span
  // a word boundary, and then tokenizing a prefix is no longer exact.
  static const std::string kWordMark = "\xE2\x96\x81";
  for (int id = 0; id < processor_->GetPieceSize(); ++id) {
    const std::string& piece = processor_->IdToPiece(id);
    if (piece.size() > kWordMark.size() && piece.find(kWordMark, 1) != std::string::npos) {
      pieces_split_at_whitespace_ = false;
      break;
    }
  }
}

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::load(const std::filesystem::path& spiece_model) {
  return from_serialized(read_whole_file(spiece_model), spiece_model.string());
}

std::unique_ptr<Tokenizer> Tokenizer::from_serialized(const std::string& model_proto,
                                                      const std::string& label) {
  if (model_proto.empty()) throw EngineError("tokenizer model " + label + " is empty");
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(model_proto);
  if (!status.ok()) {
    throw EngineError("tokenizer model " + label + " is not a valid SentencePiece model: " +
                      status.ToString());
  }
  if (processor->GetPieceSize() <= 0) {
    throw EngineError("tokenizer model " + label + " has an empty vocabulary");
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(processor), label));
}

int Tokenizer::piece_count() const { return processor_->GetPieceSize(); }

std::string Tokenizer::piece(int id) const {
  if (id < 0 || id >= piece_count()) return {};
  return processor_->IdToPiece(id);
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text) const {
  if (!is_valid_utf8(text)) {
    throw EngineError("prompt is not valid UTF-8 text");
  }
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok()) {
    throw EngineError("tokenizer failed on the prompt: " + status.ToString());
  }
  return {ids.begin(), ids.end()};
}

std::vector<int32_t> Tokenizer::leading_pieces(std::string_view text, std::size_t needed) const {
  // SentencePiece costs about 1 s per MB, and only the first max_length - 1 pieces matter.
  // When pieces never span whitespace, the segmentation decomposes at every whitespace, so
  // tokenizing a prefix that ends just before a whitespace character gives exactly the
  // full text's leading pieces. The margin keeps the pieces we keep far from the cut.
  constexpr std::size_t kMargin = 16;
  if (pieces_split_at_whitespace_) {
    for (std::size_t window = kPrefixBytes; window < text.size(); window *= 4) {
      const std::size_t cut = text.find_last_of(" \t\n\r", window);
      if (cut == std::string_view::npos || cut == 0) continue;
      std::vector<int32_t> pieces = tokenize(text.substr(0, cut));
      if (pieces.size() >= needed + kMargin) return pieces;
    }
  }
  return tokenize(text);
}

TokenizedPrompt Tokenizer::encode(std::string_view text, int max_length) const {
  if (max_length < 1) {
    throw EngineError("tokenizer max_length must be at least 1 (got " +
                      std::to_string(max_length) + ")");
  }
  if (!is_valid_utf8(text)) throw EngineError("prompt is not valid UTF-8 text");
  // One more than fits, so a prompt that fills max_length - 1 exactly is not "truncated".
  std::vector<int32_t> pieces = leading_pieces(text, static_cast<std::size_t>(max_length));
  const auto keep = static_cast<std::size_t>(max_length - 1);  // room for </s>
  TokenizedPrompt out;
  out.truncated = pieces.size() > keep;
  if (out.truncated) pieces.resize(keep);
  out.ids.assign(static_cast<std::size_t>(max_length), pad_id_);
  out.mask.assign(static_cast<std::size_t>(max_length), 0);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    out.ids[i] = pieces[i];
    out.mask[i] = 1;
  }
  out.ids[pieces.size()] = eos_id_;
  out.mask[pieces.size()] = 1;
  out.token_count = static_cast<int>(pieces.size()) + 1;
  return out;
}

}  // namespace foley::text
