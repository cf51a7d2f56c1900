// End-to-end generation on the saos-tiny model (no T5: the prompt context is zeros):
// determinism, batch independence, exact frame counts, no clipping, validation, callbacks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "foley/engine.h"
#include "test_util.h"

namespace foley {
namespace {

Engine& engine() {
  static std::unique_ptr<Engine> e = [] {
    EngineOptions o;
    o.threads = 1;
    return Engine::load({testing::data_dir() / "saos-tiny", {}}, o);
  }();
  return *e;
}

ClipRequest request(int32_t seed, double duration = 0.15, float cfg = 4.5f) {
  ClipRequest r;
  r.prompt = "rain on a tin roof";
  r.seed = seed;
  r.duration_s = duration;
  r.cfg = cfg;
  return r;
}

TEST(Generate, InfoFromConfig) {
  const ModelInfo& i = engine().info();
  EXPECT_EQ(i.model_sample_rate, 44100);
  EXPECT_EQ(i.output_sample_rate, 48000);
  EXPECT_EQ(i.channels, 2);
  EXPECT_NEAR(i.max_duration_s, 8192.0 / 44100, 1e-9);
  EXPECT_EQ(i.default_steps, 8);
  EXPECT_EQ(i.default_sampler, Sampler::kPingPong);
}

// A model's own "sampling" in model_config.json becomes the engine's default, and a request
// with steps 0 runs it (saos-tiny is rf_denoiser: ping-pong 8 without it).
TEST(Generate, ModelSamplingDefaults) {
  const auto dir = std::filesystem::temp_directory_path() / "foley_engine_tests" / "tiny_with_sampling";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(testing::data_dir() / "saos-tiny" / "model.safetensors", dir / "model.safetensors",
                             std::filesystem::copy_options::overwrite_existing);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(testing::data_dir() / "saos-tiny" / "model_config.json"));
  config["sampling"] = {{"sampler", "euler"}, {"steps", 3}};
  std::ofstream(dir / "model_config.json") << config.dump();
  EngineOptions o;
  o.threads = 1;
  auto e = Engine::load({dir, {}}, o);
  EXPECT_EQ(e->info().default_steps, 3);
  EXPECT_EQ(e->info().default_sampler, Sampler::kEuler);
  int steps_seen = 0;
  GenerateCallbacks cb;
  cb.on_step = [&](int, int total) { steps_seen = total; };
  ClipRequest r = request(5);
  r.sampler = e->info().default_sampler;
  std::vector<ClipRequest> rs = {r};
  auto clips = e->generate(rs, cb);
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_EQ(steps_seen, 3);
}

TEST(Generate, SameSeedSameSamples) {
  std::vector<ClipRequest> r = {request(7)};
  auto a = engine().generate(r);
  auto b = engine().generate(r);
  EXPECT_EQ(a[0].pcm, b[0].pcm);
  r[0].seed = 8;
  auto c = engine().generate(r);
  EXPECT_NE(a[0].pcm, c[0].pcm);
}

TEST(Generate, ClipIdenticalAloneAndInBatch) {
  std::vector<ClipRequest> alone = {request(11)};
  ClipRequest other = request(3, 0.1, 1.0f);
  other.negative_prompt = "noise";
  std::vector<ClipRequest> batch = {other, request(11), request(12, 0.05)};
  auto a = engine().generate(alone);
  auto b = engine().generate(batch);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[0].pcm, b[1].pcm);
  EXPECT_EQ(b[1].seed, 11);
}

TEST(Generate, ExactFrameCountAndNoClipping) {
  for (double d : {0.01, 0.0999, 0.1, 0.15, 8192.0 / 44100}) {
    std::vector<ClipRequest> r = {request(5, d)};
    auto clips = engine().generate(r);
    const Clip& c = clips[0];
    EXPECT_EQ(c.sample_rate, 48000);
    EXPECT_EQ(c.channels, 2);
    EXPECT_EQ(static_cast<int64_t>(c.frames()), std::llround(d * 48000)) << d;
    int peak = 0;
    for (int16_t s : c.pcm) peak = std::max(peak, std::abs(static_cast<int>(s)));
    EXPECT_LE(peak, 32767 * 0.98 + 1) << d;
    EXPECT_GT(peak, 1000) << d;  // normalised, not silent
  }
}

TEST(Generate, AllSamplersRun) {
  for (Sampler s : {Sampler::kPingPong, Sampler::kEuler, Sampler::kDpmPlusPlus}) {
    ClipRequest r = request(9, 0.1, 1.0f);
    r.sampler = s;
    r.steps = 6;
    std::vector<ClipRequest> rs = {r};
    auto clips = engine().generate(rs);
    EXPECT_EQ(clips[0].frames(), 4800u);
  }
}

TEST(Generate, CallbacksAndCancellation) {
  std::vector<ClipRequest> r = {request(1)};
  r[0].steps = 5;
  int calls = 0;
  GenerateCallbacks cb;
  cb.on_step = [&](int step, int total) {
    EXPECT_EQ(step, calls);
    EXPECT_EQ(total, 5);
    ++calls;
  };
  engine().generate(r, cb);
  EXPECT_EQ(calls, 5);
  calls = 0;
  int polls = 0;
  cb.should_cancel = [&] { return ++polls > 3; };
  EXPECT_THROW(engine().generate(r, cb), CancelledError);
}

TEST(Generate, ValidationNamesTheField) {
  auto bad = [](ClipRequest r, const std::string& field) {
    try {
      engine().validate(r);
      ADD_FAILURE() << "accepted " << field;
    } catch (const EngineError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  bad(request(1, 0.0), "duration_s");
  bad(request(1, 10.0), "duration_s");
  ClipRequest r = request(1);
  r.steps = -1;
  bad(r, "steps");
  r = request(1);
  r.cfg = -2;
  bad(r, "cfg");
  std::vector<ClipRequest> rs = {request(1, 100.0)};
  EXPECT_THROW(engine().generate(rs), EngineError);
}

TEST(Generate, LoadErrorsNameTheFile) {
  try {
    Engine::load({"/nonexistent/model", {}});
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model"), std::string::npos);
  }
}

}  // namespace
}  // namespace foley
