// Tokenizer: t5-base call semantics (truncate to L-1, </s> = 1, pad 0, mask) on the
// tiny-pipeline SentencePiece model, against ids from python3-sentencepiece.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "test_support.h"
#include "text/tokenizer.h"

namespace foley::text {
namespace {

using testing::data_dir;

const std::filesystem::path& spiece() {
  static const auto path = data_dir() / "tiny-pipeline" / "t5" / "spiece.model";
  return path;
}

std::vector<std::string> reference_prompts() {
  auto j = nlohmann::json::parse(testing::read_file(data_dir() / "tiny-pipeline" /
                                                    "reference_prompts.json"));
  return j.get<std::vector<std::string>>();
}

std::vector<int32_t> reference_ids(int index) {
  auto file = io::SafetensorsFile::open(data_dir() / "tiny-pipeline" / "reference.safetensors");
  const Tensor t = file->load_f32("prompt" + std::to_string(index) + ".input_ids");
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < t.numel(); ++i) ids.push_back(static_cast<int32_t>(t[i]));
  return ids;
}

void expect_well_formed(const TokenizedPrompt& t, int max_length) {
  ASSERT_EQ(t.ids.size(), static_cast<std::size_t>(max_length));
  ASSERT_EQ(t.mask.size(), static_cast<std::size_t>(max_length));
  ASSERT_GE(t.token_count, 1);
  ASSERT_LE(t.token_count, max_length);
  EXPECT_EQ(t.ids[static_cast<std::size_t>(t.token_count - 1)], 1) << "</s> ends the tokens";
  for (int i = 0; i < max_length; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_EQ(t.mask[k], i < t.token_count ? 1 : 0) << i;
    if (i >= t.token_count) {
      EXPECT_EQ(t.ids[k], 0) << i;
    }
    if (i < t.token_count - 1) {
      EXPECT_GT(t.ids[k], 1) << "no special id inside the text " << i;
    }
  }
}

TEST(Tokenizer, LoadsT5SpecialIds) {
  auto tok = Tokenizer::load(spiece());
  EXPECT_EQ(tok->pad_id(), 0);
  EXPECT_EQ(tok->eos_id(), 1);
  EXPECT_EQ(tok->piece_count(), 1000);
  EXPECT_EQ(tok->piece(1), "</s>");
}

TEST(Tokenizer, EnglishMatchesPythonSentencePiece) {
  auto tok = Tokenizer::load(spiece());
  const auto t = tok->encode(reference_prompts()[0], 64);
  expect_well_formed(t, 64);
  EXPECT_EQ(t.ids, reference_ids(0));
  EXPECT_FALSE(t.truncated);
  // "▁A" is a piece of the caption vocabulary: a leading-space marker word, as in t5-base.
  EXPECT_EQ(tok->piece(t.ids[0]), "\xE2\x96\x81" "A");
}

TEST(Tokenizer, ChineseAndMixedMatchPythonSentencePiece) {
  auto tok = Tokenizer::load(spiece());
  const auto t = tok->encode(reference_prompts()[1], 64);
  expect_well_formed(t, 64);
  EXPECT_EQ(t.ids, reference_ids(1));
}

TEST(Tokenizer, UnseenChineseFallsBackToBytesNotUnknown) {
  auto tok = Tokenizer::load(spiece());
  // Characters absent from the training captions, and an emoji.
  const auto ids = tok->tokenize("火箭发射 \xF0\x9F\x9A\x80");
  ASSERT_FALSE(ids.empty());
  for (int32_t id : ids) EXPECT_NE(id, 2) << "no <unk>";
}

TEST(Tokenizer, EmptyPromptIsEosOnly) {
  auto tok = Tokenizer::load(spiece());
  const auto t = tok->encode("", 64);
  expect_well_formed(t, 64);
  EXPECT_EQ(t.token_count, 1);
  EXPECT_EQ(t.ids, reference_ids(2));
}

TEST(Tokenizer, WhitespaceOnlyPromptIsEosOnly) {
  auto tok = Tokenizer::load(spiece());
  for (const char* text : {" ", "   ", "\t\n  \r\n", "\xE3\x80\x80"}) {  // last: ideographic space
    const auto t = tok->encode(text, 64);
    expect_well_formed(t, 64);
    EXPECT_EQ(t.token_count, 1) << "'" << text << "'";
  }
}

TEST(Tokenizer, SurroundingAndRepeatedSpacesAreNormalised) {
  auto tok = Tokenizer::load(spiece());
  EXPECT_EQ(tok->tokenize("  a   dog  barking "), tok->tokenize("a dog barking"));
}

TEST(Tokenizer, VeryLongPromptIsTruncatedKeepingEos) {
  auto tok = Tokenizer::load(spiece());
  std::string prompt;
  for (int i = 0; i < 500; ++i) prompt += "thunder rumbling over the hills 雷声 ";
  const auto pieces = tok->tokenize(prompt);
  ASSERT_GT(pieces.size(), 63u);
  const auto t = tok->encode(prompt, 64);
  expect_well_formed(t, 64);
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.token_count, 64);
  for (std::size_t i = 0; i < 63; ++i) EXPECT_EQ(t.ids[i], pieces[i]) << i;
  EXPECT_EQ(t.ids[63], 1);
}

TEST(Tokenizer, HugePromptsGiveTheFullTokenizationsLeadingPieces) {
  // encode() tokenizes only a prefix of long prompts; it must equal the full result.
  auto tok = Tokenizer::load(spiece());
  const std::string captions = testing::read_file(data_dir() / "tiny-pipeline" / "captions.txt");
  std::mt19937 gen(42);
  for (int trial = 0; trial < 6; ++trial) {
    std::string prompt;
    // Mixed separators, long whitespace runs, CJK runs and rare characters.
    const char* seps[] = {" ", "  ", "\t", "\n", "   \r\n ", ""};
    while (prompt.size() < 40000u + 30000u * static_cast<unsigned>(trial)) {
      const std::size_t at = gen() % captions.size();
      const std::size_t len = 1 + gen() % 40;
      std::string piece = captions.substr(at, len);
      while (!piece.empty() && !is_valid_utf8(piece)) piece.pop_back();
      prompt += piece;
      prompt += seps[gen() % 6];
    }
    while (!is_valid_utf8(prompt)) prompt.pop_back();
    if (trial == 5) prompt = std::string(100000, ' ') + prompt;  // leading whitespace flood
    const auto full = tok->tokenize(prompt);
    for (int max_length : {1, 2, 64, 512}) {
      const auto t = tok->encode(prompt, max_length);
      const std::size_t keep = std::min(full.size(), static_cast<std::size_t>(max_length - 1));
      ASSERT_EQ(t.truncated, full.size() > keep) << trial << " " << max_length;
      for (std::size_t i = 0; i < keep; ++i) ASSERT_EQ(t.ids[i], full[i]) << trial << " " << i;
      ASSERT_EQ(t.ids[keep], 1);
    }
  }
  // Whitespace-free text has no exact cut: it is tokenized whole, still correctly.
  std::string run;
  while (run.size() < 20000) run += "雷声在山间回荡玻璃摔碎";
  const auto full = tok->tokenize(run);
  const auto t = tok->encode(run, 64);
  for (std::size_t i = 0; i < 63; ++i) ASSERT_EQ(t.ids[i], full[i]);
}

TEST(Tokenizer, ExactlyFullPromptIsNotTruncated) {
  auto tok = Tokenizer::load(spiece());
  std::string prompt;
  std::vector<int32_t> pieces;
  // Grow word by word until exactly max_length - 1 pieces (or past it).
  for (int i = 0; i < 200 && pieces.size() < 15; ++i) {
    prompt += " dog";
    pieces = tok->tokenize(prompt);
  }
  const int max_length = static_cast<int>(pieces.size()) + 1;
  const auto t = tok->encode(prompt, max_length);
  expect_well_formed(t, max_length);
  EXPECT_FALSE(t.truncated);
  EXPECT_EQ(t.token_count, max_length);
}

TEST(Tokenizer, MaxLengthOneHoldsOnlyEos) {
  auto tok = Tokenizer::load(spiece());
  const auto t = tok->encode("a dog barking", 1);
  ASSERT_EQ(t.ids, std::vector<int32_t>{1});
  EXPECT_TRUE(t.truncated);
  EXPECT_THROW(tok->encode("a dog", 0), EngineError);
}

TEST(Tokenizer, InvalidUtf8IsAClearError) {
  auto tok = Tokenizer::load(spiece());
  for (std::string bad : {std::string("dog \xFF"), std::string("\xC3"), std::string("\xE4\xB8"),
                          std::string("\xED\xA0\x80"), std::string("\xC0\xAF")}) {
    try {
      tok->encode(bad, 64);
      ADD_FAILURE() << "accepted invalid UTF-8";
    } catch (const EngineError& e) {
      EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
    }
  }
}

TEST(Tokenizer, Utf8Validator) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xE7\x8B\x97 \xF0\x9F\x9A\x80 \xC3\xA9"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
}

TEST(Tokenizer, EmbeddedNulIsTextNotATerminator) {
  auto tok = Tokenizer::load(spiece());
  const std::string with_nul("dog\0cat", 7);
  EXPECT_NO_THROW(tok->encode(with_nul, 64));
}

TEST(Tokenizer, MissingModelNamesThePath) {
  try {
    Tokenizer::load(data_dir() / "no-such-dir" / "spiece.model");
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, CorruptModelIsAClearError) {
  testing::TempDir dir("corrupt-spm");
  testing::write_file(dir.path() / "spiece.model", "this is not a protobuf \x01\x02\x03");
  EXPECT_THROW(Tokenizer::load(dir.path() / "spiece.model"), EngineError);
  testing::write_file(dir.path() / "empty.model", "");
  EXPECT_THROW(Tokenizer::load(dir.path() / "empty.model"), EngineError);
  // A truncated real model.
  const std::string real = testing::read_file(spiece());
  testing::write_file(dir.path() / "half.model", real.substr(0, real.size() / 2));
  EXPECT_THROW(Tokenizer::load(dir.path() / "half.model"), EngineError);
  EXPECT_THROW(Tokenizer::load(dir.path()), EngineError) << "a directory is not a model";
}

}  // namespace
}  // namespace foley::text
