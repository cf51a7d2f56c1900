// T5 encoder: parity with transformers' T5EncoderModel (t5-tiny fixture), the relative
// position buckets, and configurations the fixture does not cover (gated-GELU, BF16 weights,
// embed_tokens-only checkpoints, sequence lengths other than 64) against a plain float64
// reference.
#include <gtest/gtest.h>

#include <cmath>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "t5_reference.h"
#include "test_support.h"
#include "text/t5_encoder.h"
#include "text/t5_fixture_check.h"

namespace foley::text {
namespace {

using namespace testing;

TEST(T5Fixture, MatchesTransformersOnT5Tiny) {
  const ParityReport report = check_t5_fixture(data_dir() / "t5-tiny");
  EXPECT_EQ(report.kind, "t5");
  std::vector<std::string> names;
  for (const auto& c : report.cases) {
    names.push_back(c.name);
    const double rel = c.max_abs_error / c.max_abs_reference;
    EXPECT_TRUE(c.passed) << c.name << " max_abs " << c.max_abs_error << " rel " << rel
                          << " cos " << c.cosine;
    EXPECT_LE(rel, 1e-5) << c.name << ": float32 should be far inside the 1e-4 tolerance";
    std::printf("  %-26s max_abs %.3g  rel %.3g  cos %.9f\n", c.name.c_str(), c.max_abs_error,
                rel, c.cosine);
  }
  const std::vector<std::string> expected = {
      "last_hidden_state", "masked_last_hidden_state", "hidden_states.0", "hidden_states.1",
      "hidden_states.2", "position_bias_block0"};
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(report.passed());
}

TEST(T5Fixture, UnreadableFixtureThrows) {
  EXPECT_THROW(check_t5_fixture(data_dir() / "does-not-exist"), EngineError);
  TempDir dir("fixture");
  std::filesystem::copy_file(data_dir() / "t5-tiny" / "config.json", dir.path() / "config.json");
  std::filesystem::copy_file(data_dir() / "t5-tiny" / "model.safetensors",
                             dir.path() / "model.safetensors");
  EXPECT_THROW(check_t5_fixture(dir.path()), EngineError) << "no cases.safetensors";
}

TEST(T5Buckets, MatchBidirectionalDefinition) {
  // Exact buckets for |r| < 8, +16 for keys after the query, log-spaced up to 128.
  EXPECT_EQ(t5_relative_position_bucket(0, 32, 128), 0);
  EXPECT_EQ(t5_relative_position_bucket(1, 32, 128), 17);
  EXPECT_EQ(t5_relative_position_bucket(-1, 32, 128), 1);
  EXPECT_EQ(t5_relative_position_bucket(7, 32, 128), 23);
  EXPECT_EQ(t5_relative_position_bucket(-7, 32, 128), 7);
  EXPECT_EQ(t5_relative_position_bucket(8, 32, 128), 24);
  EXPECT_EQ(t5_relative_position_bucket(-1000, 32, 128), 15);
  EXPECT_EQ(t5_relative_position_bucket(1000, 32, 128), 31);
  for (int r = -300; r <= 300; ++r) {
    EXPECT_EQ(t5_relative_position_bucket(r, 32, 128), ref_bucket(r, 32, 128)) << r;
    EXPECT_EQ(t5_relative_position_bucket(r, 64, 256), ref_bucket(r, 64, 256)) << r;
  }
}

struct Built {
  TempDir dir{"t5"};
  TensorMap weights;
};

std::unique_ptr<Built> build(const RefConfig& c, const std::string& ff_proj, uint32_t seed,
                             bool bf16 = false, bool with_shared = true) {
  auto b = std::make_unique<Built>();
  b->weights = random_t5_weights(c, seed, with_shared);
  if (bf16) {  // the reference must see the same rounded values the engine reads
    for (auto& [name, t] : b->weights)
      for (auto& v : t.values) v = from_bf16(to_bf16(v));
  }
  write_file(b->dir.path() / "config.json", config_json(c, ff_proj));
  write_file(b->dir.path() / "model.safetensors", safetensors_bytes(b->weights, bf16));
  return b;
}

double compare_to_reference(T5Encoder& enc, const RefConfig& c, const TensorMap& w,
                            const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask) {
  T5Outputs out;
  enc.forward(ids, mask, out);
  const auto ref = ref_t5(c, w, ids, mask);
  double max_err = 0, max_ref = 0;
  for (std::size_t s = 0; s < ids.size(); ++s) {
    for (int i = 0; i < c.d; ++i) {
      const double a = out.last_hidden_state[static_cast<int64_t>(s) * c.d + i];
      max_err = std::max(max_err, std::abs(a - ref[s][i]));
      max_ref = std::max(max_ref, std::abs(ref[s][i]));
    }
  }
  return max_err / max_ref;
}

std::vector<int32_t> some_ids(int n, int vocab, int salt) {
  std::vector<int32_t> ids;
  for (int i = 0; i < n; ++i) ids.push_back(2 + (i * 37 + salt * 11) % (vocab - 2));
  return ids;
}

TEST(T5Encoder, GatedGeluMatchesReference) {
  RefConfig c{.vocab = 60, .d = 24, .dk = 8, .ff = 40, .layers = 3, .heads = 3};
  c.gated = true;
  c.gelu_tanh = true;
  auto b = build(c, "gated-gelu", 7);
  auto enc = T5Encoder::load(b->dir.path());
  EXPECT_TRUE(enc->config().gated);
  EXPECT_EQ(enc->config().activation, T5Activation::kGeluTanh);
  std::vector<int32_t> ids = some_ids(20, c.vocab, 1);
  std::vector<uint8_t> mask(20, 1);
  for (int i = 14; i < 20; ++i) {
    ids[static_cast<std::size_t>(i)] = 0;
    mask[static_cast<std::size_t>(i)] = 0;
  }
  ids[13] = 1;
  EXPECT_LT(compare_to_reference(*enc, c, b->weights, ids, mask), 1e-5);
}

TEST(T5Encoder, ReluMatchesReferenceForManyLengths) {
  RefConfig c{.vocab = 50, .d = 16, .dk = 8, .ff = 32, .layers = 2, .heads = 2};
  auto b = build(c, "relu", 11);
  auto enc = T5Encoder::load(b->dir.path());
  // Lengths change the cached position bias; 150 reaches the log-spaced buckets' cap.
  for (int len : {1, 3, 64, 150, 64, 9}) {
    std::vector<int32_t> ids = some_ids(len, c.vocab, len);
    std::vector<uint8_t> mask(static_cast<std::size_t>(len), 1);
    if (len > 4) mask.back() = 0;
    EXPECT_LT(compare_to_reference(*enc, c, b->weights, ids, mask), 1e-5) << "length " << len;
  }
}

TEST(T5Encoder, Bf16WeightsAndEmbedTokensOnlyCheckpoint) {
  RefConfig c{.vocab = 40, .d = 16, .dk = 4, .ff = 24, .layers = 2, .heads = 4};
  auto b = build(c, "relu", 3, /*bf16=*/true, /*with_shared=*/false);
  auto enc = T5Encoder::load(b->dir.path());
  std::vector<int32_t> ids = some_ids(12, c.vocab, 5);
  std::vector<uint8_t> mask(12, 1);
  EXPECT_LT(compare_to_reference(*enc, c, b->weights, ids, mask), 1e-5);
}

TEST(T5Encoder, HiddenStatesFollowTransformersConvention) {
  RefConfig c{.vocab = 30, .d = 8, .dk = 4, .ff = 16, .layers = 3, .heads = 2};
  auto b = build(c, "relu", 5);
  auto enc = T5Encoder::load(b->dir.path());
  std::vector<int32_t> ids = {5, 6, 7, 1};
  std::vector<uint8_t> mask = {1, 1, 1, 1};
  T5Outputs out;
  enc->forward(ids, mask, out, true);
  ASSERT_EQ(out.hidden_states.size(), 4u);  // embeddings, block 0, block 1, final
  const auto& embed = b->weights.at("shared.weight").values;
  EXPECT_EQ(out.hidden_states[0][0], embed[5 * 8]);
  for (int64_t i = 0; i < out.last_hidden_state.numel(); ++i)
    EXPECT_EQ(out.hidden_states[3][i], out.last_hidden_state[i]);
  enc->forward(ids, mask, out, false);
  EXPECT_TRUE(out.hidden_states.empty());
}

TEST(T5Encoder, PaddedKeysDoNotInfluenceRealTokens) {
  RefConfig c{.vocab = 30, .d = 8, .dk = 4, .ff = 16, .layers = 2, .heads = 2};
  auto b = build(c, "relu", 9);
  auto enc = T5Encoder::load(b->dir.path());
  std::vector<uint8_t> mask = {1, 1, 1, 0, 0, 0};
  T5Outputs a, z;
  enc->forward(std::vector<int32_t>{4, 5, 1, 0, 0, 0}, mask, a);
  enc->forward(std::vector<int32_t>{4, 5, 1, 9, 17, 3}, mask, z);
  for (int64_t i = 0; i < 3 * 8; ++i) EXPECT_EQ(a.last_hidden_state[i], z.last_hidden_state[i]);
}

TEST(T5Encoder, BadForwardInputsThrow) {
  RefConfig c{.vocab = 30, .d = 8, .dk = 4, .ff = 16, .layers = 1, .heads = 2};
  auto b = build(c, "relu", 1);
  auto enc = T5Encoder::load(b->dir.path());
  T5Outputs out;
  EXPECT_THROW(enc->forward(std::vector<int32_t>{1, 2}, std::vector<uint8_t>{1}, out), EngineError);
  EXPECT_THROW(enc->forward(std::vector<int32_t>{}, std::vector<uint8_t>{}, out), EngineError);
  EXPECT_THROW(enc->forward(std::vector<int32_t>{30}, std::vector<uint8_t>{1}, out), EngineError);
  EXPECT_THROW(enc->forward(std::vector<int32_t>{-1}, std::vector<uint8_t>{1}, out), EngineError);
  EXPECT_THROW(enc->forward(std::vector<int32_t>{3, 1}, std::vector<uint8_t>{0, 0}, out),
               EngineError);
}

}  // namespace
}  // namespace foley::text
