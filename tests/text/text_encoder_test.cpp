// TextEncoder on tests/data/tiny-pipeline/t5: prompt -> [64, d_model] with padded rows zeroed,
// compared with the float64 numpy T5 of make_tiny_pipeline.py.
#include <gtest/gtest.h>

#include <cmath>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "test_support.h"
#include "text/t5_encoder.h"
#include "text/text_encoder.h"
#include "text/tokenizer.h"

namespace foley::text {
namespace {

using namespace testing;

std::filesystem::path tiny_t5() { return data_dir() / "tiny-pipeline" / "t5"; }

TEST(TextEncoder, MatchesNumpyReferenceOnTinyPipeline) {
  auto enc = TextEncoder::load(tiny_t5(), 64);
  EXPECT_EQ(enc->d_model(), 32);
  EXPECT_EQ(enc->max_length(), 64);
  const auto prompts = nlohmann::json::parse(
      read_file(data_dir() / "tiny-pipeline" / "reference_prompts.json")).get<std::vector<std::string>>();
  auto ref = io::SafetensorsFile::open(data_dir() / "tiny-pipeline" / "reference.safetensors");
  ASSERT_EQ(prompts.size(), 3u);
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    const Tensor expected =
        ref->load_f32("prompt" + std::to_string(p) + ".masked_last_hidden_state", {64, 32});
    const TextEncoding got = enc->encode_full(prompts[p]);
    ASSERT_EQ(got.hidden.shape(), (Shape{64, 32}));
    double max_err = 0, max_ref = 0;
    for (int64_t i = 0; i < expected.numel(); ++i) {
      max_err = std::max(max_err, double(std::abs(got.hidden[i] - expected[i])));
      max_ref = std::max(max_ref, double(std::abs(expected[i])));
    }
    EXPECT_LE(max_err / max_ref, 1e-5) << "prompt " << p << " '" << prompts[p] << "'";
    for (int s = got.token_count; s < 64; ++s)
      for (int i = 0; i < 32; ++i) EXPECT_EQ(got.hidden[s * 32 + i], 0.0f);
  }
}

TEST(TextEncoder, EncodeEqualsEncodeFullAndIsDeterministic) {
  auto enc = TextEncoder::load(tiny_t5(), 64);
  const Tensor a = enc->encode("glass breaking 玻璃摔碎");
  enc->encode("something else entirely, longer, to disturb the scratch buffers");
  const Tensor b = enc->encode_full("glass breaking 玻璃摔碎").hidden;
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a[i], b[i]);
}

TEST(TextEncoder, EmptyAndWhitespacePromptsEncodeAsEosOnly) {
  auto enc = TextEncoder::load(tiny_t5(), 64);
  const auto e = enc->encode_full("");
  const auto w = enc->encode_full("   \t ");
  EXPECT_EQ(e.token_count, 1);
  EXPECT_EQ(w.token_count, 1);
  for (int64_t i = 0; i < e.hidden.numel(); ++i) ASSERT_EQ(e.hidden[i], w.hidden[i]);
  double row0 = 0;
  for (int i = 0; i < 32; ++i) row0 += std::abs(e.hidden[i]);
  EXPECT_GT(row0, 0.0) << "the </s> row is real output";
}

TEST(TextEncoder, LongPromptIsTruncatedNotRejected) {
  auto enc = TextEncoder::load(tiny_t5(), 16);
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "rain on a tin roof ";
  const auto r = enc->encode_full(prompt);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.token_count, 16);
  EXPECT_EQ(r.hidden.shape(), (Shape{16, 32}));
}

TEST(TextEncoder, InvalidUtf8PromptThrows) {
  auto enc = TextEncoder::load(tiny_t5(), 64);
  EXPECT_THROW(enc->encode("bad \xC3"), EngineError);
}

TEST(TextEncoder, LoadErrors) {
  EXPECT_THROW(TextEncoder::load(tiny_t5(), 0), EngineError);
  EXPECT_THROW(TextEncoder::load(data_dir() / "nope", 64), EngineError);
  // A T5 folder without spiece.model (the t5-tiny fixture has none).
  try {
    TextEncoder::load(data_dir() / "t5-tiny", 64);
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("spiece.model"), std::string::npos) << e.what();
  }
  // Tokenizer larger than the model's vocabulary: the files are from different models.
  TempDir dir("mismatch");
  for (const char* f : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(data_dir() / "t5-tiny" / f, dir.path() / f);
  std::filesystem::copy_file(tiny_t5() / "spiece.model", dir.path() / "spiece.model");
  try {
    TextEncoder::load(dir.path(), 64);
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace foley::text
