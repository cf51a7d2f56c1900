#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "foley/engine.h"
#include "model/model_config.h"
#include "test_util.h"

namespace foley {
namespace {

std::string fixture_config_text() {
  std::ifstream in(testing::data_dir() / "saos-tiny" / "model_config.json");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::string& text) {
  try {
    parse_model_config(text, "cfg.json");
  } catch (const EngineError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, ParsesFixture) {
  ModelConfig c = load_model_config(testing::data_dir() / "saos-tiny" / "model_config.json");
  EXPECT_EQ(c.sample_rate, 44100);
  EXPECT_EQ(c.sample_size, 8192);
  EXPECT_EQ(c.latent_frames(), 32);
  EXPECT_EQ(c.dit.embed_dim, 128);
  EXPECT_EQ(c.dit.depth, 2);
  EXPECT_EQ(c.dit.num_heads, 2);
  EXPECT_TRUE(c.dit.qk_layer_norm);
  EXPECT_EQ(c.conditioning.numbers.size(), 1u);
  EXPECT_EQ(c.conditioning.numbers[0].max_val, 256);
  EXPECT_FALSE(c.conditioning.prompt.has_value());
  EXPECT_EQ(c.pretransform.decoder.strides, (std::vector<int>{2, 4, 4, 8}));
  EXPECT_EQ(c.pretransform.downsampling_ratio, 256);
}

TEST(ModelConfig, ReadsPromptConditioner) {
  auto j = nlohmann::json::parse(fixture_config_text());
  j["model"]["conditioning"]["configs"].push_back(
      {{"id", "prompt"}, {"type", "t5"}, {"config", {{"t5_model_name", "t5-base"}, {"max_length", 77}}}});
  ModelConfig c = parse_model_config(j.dump(), "x");
  ASSERT_TRUE(c.conditioning.prompt.has_value());
  EXPECT_EQ(c.conditioning.prompt->max_length, 77);
}

TEST(ModelConfig, BadJson) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("object"), std::string::npos);
}

TEST(ModelConfig, MissingFieldsNameThePath) {
  auto j = nlohmann::json::parse(fixture_config_text());
  j["model"]["diffusion"]["config"].erase("embed_dim");
  EXPECT_NE(error_of(j.dump()).find("model.diffusion.config.embed_dim"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j.erase("sample_rate");
  EXPECT_NE(error_of(j.dump()).find("sample_rate"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model"].erase("pretransform");
  EXPECT_NE(error_of(j.dump()).find("model.pretransform"), std::string::npos);
}

TEST(ModelConfig, WrongTypesAndRanges) {
  auto j = nlohmann::json::parse(fixture_config_text());
  j["model"]["diffusion"]["config"]["depth"] = "two";
  EXPECT_NE(error_of(j.dump()).find("integer"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model"]["diffusion"]["config"]["num_heads"] = 3;  // does not divide 128
  EXPECT_NE(error_of(j.dump()).find("num_heads"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model"]["conditioning"]["configs"][0]["config"]["max_val"] = -1;
  EXPECT_NE(error_of(j.dump()).find("max_val"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model"]["pretransform"]["config"]["downsampling_ratio"] = 512;
  EXPECT_NE(error_of(j.dump()).find("downsampling_ratio"), std::string::npos);
}

TEST(ModelConfig, UnsupportedVariantsAreRejected) {
  auto j = nlohmann::json::parse(fixture_config_text());
  j["model"]["diffusion"]["config"]["global_cond_type"] = "adaLN";
  EXPECT_NE(error_of(j.dump()).find("global_cond_type"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model_type"] = "autoencoder";
  EXPECT_NE(error_of(j.dump()).find("model_type"), std::string::npos);
  j = nlohmann::json::parse(fixture_config_text());
  j["model"]["conditioning"]["configs"][0]["type"] = "clap_text";
  EXPECT_NE(error_of(j.dump()).find("clap_text"), std::string::npos);
}

TEST(ModelConfig, OptionalSamplingDefaults) {
  auto j = nlohmann::json::parse(fixture_config_text());
  EXPECT_FALSE(parse_model_config(j.dump(), "x").sampling.has_value());
  j["sampling"] = {{"sampler", "euler"}, {"steps", 24}};
  ModelConfig c = parse_model_config(j.dump(), "x");
  ASSERT_TRUE(c.sampling.has_value());
  EXPECT_EQ(c.sampling->sampler, Sampler::kEuler);
  EXPECT_EQ(c.sampling->steps, 24);
  j["sampling"]["sampler"] = "ddim";
  EXPECT_NE(error_of(j.dump()).find("sampling.sampler"), std::string::npos);
  j["sampling"] = {{"sampler", "euler"}, {"steps", 0}};
  EXPECT_NE(error_of(j.dump()).find("sampling.steps"), std::string::npos);
  j["sampling"] = "fast";
  EXPECT_NE(error_of(j.dump()).find("sampling: must be an object"), std::string::npos);
}

TEST(ModelConfig, MissingFile) {
  EXPECT_THROW(load_model_config("/nonexistent/model_config.json"), EngineError);
}

}  // namespace
}  // namespace foley
