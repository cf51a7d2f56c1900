// Malformed T5 folders: every case must give an EngineError whose message names what is
// wrong (file, field or tensor), never a crash.
#include <gtest/gtest.h>

#include "foley/engine.h"
#include "t5_reference.h"
#include "test_support.h"
#include "text/t5_config.h"
#include "text/t5_encoder.h"

namespace foley::text {
namespace {

using namespace testing;

void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning \"" << needle << "\"";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message \"" << e.what() << "\" does not mention \"" << needle << "\"";
  }
}

const RefConfig kSmall{.vocab = 20, .d = 8, .dk = 4, .ff = 16, .layers = 2, .heads = 2};

nlohmann::json good_config() { return nlohmann::json::parse(config_json(kSmall, "relu")); }

void expect_config_error(const nlohmann::json& j, const std::string& needle) {
  expect_error([&] { T5Config::parse(j.dump(), "config.json"); }, needle);
}

TEST(T5Config, ParsesT5BaseShape) {
  const std::string text = R"({"d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12,
    "num_heads": 12, "vocab_size": 32128, "relative_attention_num_buckets": 32,
    "layer_norm_epsilon": 1e-06, "feed_forward_proj": "relu"})";
  const T5Config c = T5Config::parse(text, "t5-base");
  EXPECT_EQ(c.inner_dim(), 768);
  EXPECT_EQ(c.relative_attention_max_distance, 128) << "default when absent (old configs)";
  EXPECT_FALSE(c.gated);
  EXPECT_EQ(c.activation, T5Activation::kRelu);
}

TEST(T5Config, FeedForwardKinds) {
  auto parse_ff = [](const std::string& ff) {
    auto j = good_config();
    j["feed_forward_proj"] = ff;
    return T5Config::parse(j.dump(), "c");
  };
  EXPECT_EQ(parse_ff("gated-gelu").activation, T5Activation::kGeluTanh);
  EXPECT_TRUE(parse_ff("gated-gelu").gated);
  EXPECT_EQ(parse_ff("gelu").activation, T5Activation::kGeluExact);
  EXPECT_EQ(parse_ff("gated-silu").activation, T5Activation::kSilu);
  auto j = good_config();
  j.erase("feed_forward_proj");
  EXPECT_EQ(T5Config::parse(j.dump(), "c").activation, T5Activation::kRelu);
}

TEST(T5Config, MalformedConfigsNameTheProblem) {
  expect_error([] { T5Config::parse("{not json", "config.json"); }, "not valid JSON");
  expect_error([] { T5Config::parse("[1, 2]", "config.json"); }, "not a JSON object");
  for (const char* key : {"d_model", "d_kv", "d_ff", "num_layers", "num_heads", "vocab_size"}) {
    auto j = good_config();
    j.erase(key);
    expect_config_error(j, key);
    j[key] = "12";
    expect_config_error(j, key);
    j[key] = 0;
    expect_config_error(j, key);
    j[key] = -3;
    expect_config_error(j, key);
    j[key] = 1.5;
    expect_config_error(j, key);
  }
  auto j = good_config();
  j["feed_forward_proj"] = "gated-tanhshrink";
  expect_config_error(j, "feed_forward_proj");
  j = good_config();
  j["layer_norm_epsilon"] = -1;
  expect_config_error(j, "layer_norm_epsilon");
  j = good_config();
  j["relative_attention_num_buckets"] = 2;
  expect_config_error(j, "relative_attention_num_buckets");
  expect_error([] { T5Config::load("/nonexistent/config.json"); }, "/nonexistent/config.json");
}

struct Folder {
  TempDir dir{"t5err"};
  void write(const nlohmann::json& config, const TensorMap& w) {
    write_file(dir.path() / "config.json", config.dump());
    write_file(dir.path() / "model.safetensors", safetensors_bytes(w));
  }
};

TEST(T5Weights, MissingFolderAndFiles) {
  expect_error([] { T5Encoder::load("/nonexistent/t5"); }, "/nonexistent/t5");
  Folder f;
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "config.json");
  write_file(f.dir.path() / "config.json", good_config().dump());
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "model.safetensors");
  write_file(f.dir.path() / "model.safetensors", "garbage");
  EXPECT_THROW(T5Encoder::load(f.dir.path()), EngineError);
}

TEST(T5Weights, MissingTensorIsNamed) {
  for (const std::string name :
       {"shared.weight", "encoder.block.1.layer.0.SelfAttention.k.weight",
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "encoder.block.1.layer.1.DenseReluDense.wo.weight", "encoder.final_layer_norm.weight"}) {
    Folder f;
    auto w = random_t5_weights(kSmall, 1);
    w.erase(name);
    f.write(good_config(), w);
    const std::string needle = name == "shared.weight" ? "token embedding" : name;
    expect_error([&] { T5Encoder::load(f.dir.path()); }, needle);
  }
}

TEST(T5Weights, WrongShapeIsNamed) {
  Folder f;
  auto w = random_t5_weights(kSmall, 1);
  w["encoder.block.0.layer.0.SelfAttention.q.weight"].shape = {4, 16};  // same numel, wrong shape
  f.write(good_config(), w);
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "SelfAttention.q.weight");

  auto j = good_config();
  j["vocab_size"] = 32;  // config disagrees with the embedding table
  f.write(j, random_t5_weights(kSmall, 1));
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "shared.weight");

  j = good_config();
  j["d_ff"] = 32;
  f.write(j, random_t5_weights(kSmall, 1));
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "DenseReluDense.wi.weight");
}

TEST(T5Weights, FeedForwardKindMismatchIsExplained) {
  Folder f;
  auto j = good_config();
  j["feed_forward_proj"] = "gated-gelu";
  f.write(j, random_t5_weights(kSmall, 1));  // ReLU weights: wi, not wi_0/wi_1
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "wi_0");

  RefConfig gated = kSmall;
  gated.gated = true;
  auto w = random_t5_weights(gated, 1);
  w["encoder.block.0.layer.1.DenseReluDense.wi.weight"] = w["encoder.block.0.layer.1.DenseReluDense.wi_0.weight"];
  f.write(j, w);
  // Both kinds present: the file cannot be trusted to be what the config says.
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "does not match feed_forward_proj");
}

TEST(T5Weights, MoreBlocksThanConfigIsAnError) {
  Folder f;
  auto j = good_config();
  j["num_layers"] = 1;
  f.write(j, random_t5_weights(kSmall, 1));
  expect_error([&] { T5Encoder::load(f.dir.path()); }, "num_layers");
}

TEST(T5Weights, DecoderTensorsOfAFullCheckpointAreIgnored) {
  Folder f;
  auto w = random_t5_weights(kSmall, 1);
  w["decoder.block.0.layer.0.SelfAttention.q.weight"] = {{8, 8}, std::vector<float>(64, 0.5f)};
  w["lm_head.weight"] = {{20, 8}, std::vector<float>(160, 0.5f)};
  f.write(good_config(), w);
  EXPECT_NO_THROW(T5Encoder::load(f.dir.path()));
}

}  // namespace
}  // namespace foley::text
