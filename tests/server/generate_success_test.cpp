// Success responses of POST /v1/audio/sound_effect_generate (api.md "Success").
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <regex>

#include "audio_check.h"
#include "test_server.h"

namespace foley::server::testing {
namespace {

using nlohmann::json;

std::string body(double duration, int seed, int n = 1, const std::string& extra = "",
                 const std::string& prompt = "heavy wooden door creaks open, then slams") {
  return R"({"args":{"prompt":")" + prompt + R"(","seed":)" +
         std::to_string(seed) + R"(,"n":)" + std::to_string(n) + R"(,"duration":)" +
         std::to_string(duration) + extra + "}}";
}

TEST(GenerateSuccess, WavHasExactHeaderFieldsAndFrameCount) {
  TestServer server;
  auto res = server.generate(body(0.5, 42));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "audio/wav");
  WavInfo wav = parse_wav(res->body);
  ASSERT_TRUE(wav.valid) << wav.error;
  EXPECT_EQ(wav.format, 1);  // PCM
  EXPECT_EQ(wav.channels, 2);
  EXPECT_EQ(wav.sample_rate, 48000);
  EXPECT_EQ(wav.bits, 16);
  EXPECT_EQ(wav.block_align, 4);
  EXPECT_EQ(wav.byte_rate, 48000 * 4);
  EXPECT_EQ(wav.frames, 24000u);
}

TEST(GenerateSuccess, FrameCountIsRoundedDurationTimes48000) {
  TestServer server;
  for (double duration : {0.5, 0.51234, 0.7})  {
    auto res = server.generate(body(duration, 7));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    WavInfo wav = parse_wav(res->body);
    ASSERT_TRUE(wav.valid) << wav.error;
    EXPECT_EQ(wav.frames, static_cast<std::size_t>(std::llround(duration * 48000))) << duration;
  }
}

TEST(GenerateSuccess, HeadersOnEveryGenerateResponse) {
  TestServer server;
  auto res = server.generate(body(0.5, 1234));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_TRUE(std::regex_match(res->get_header_value("X-Request-Id"), std::regex("req_[0-9a-f]{16}")));
  EXPECT_EQ(res->get_header_value("X-Seed"), "1234");
  EXPECT_EQ(res->get_header_value("RateLimit-Policy"), "\"default\";q=10;w=60");
  std::smatch m;
  std::string ratelimit = res->get_header_value("RateLimit");
  ASSERT_TRUE(std::regex_match(ratelimit, m, std::regex("\"default\";r=(\\d+);t=(\\d+)"))) << ratelimit;
  EXPECT_EQ(m[1], "9");
  int t = std::stoi(m[2]);
  EXPECT_GE(t, 58);
  EXPECT_LE(t, 60);
  // Errors after authentication carry them too.
  auto bad = server.generate(R"({"args":{"prompt":"x","cfg":12}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_TRUE(bad->has_header("RateLimit"));
  EXPECT_EQ(bad->get_header_value("RateLimit-Policy"), "\"default\";q=10;w=60");
}

TEST(GenerateSuccess, OmittedSeedIsRandomAndReportedInXSeed) {
  TestServer server;
  auto a = server.generate(R"({"args":{"prompt":"rain on a tin roof","duration":0.5}})");
  auto b = server.generate(R"({"args":{"prompt":"rain on a tin roof","duration":0.5}})");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->status, 200);
  ASSERT_EQ(b->status, 200);
  long long seed_a = std::stoll(a->get_header_value("X-Seed"));
  long long seed_b = std::stoll(b->get_header_value("X-Seed"));
  EXPECT_GE(seed_a, INT32_MIN);
  EXPECT_LE(seed_a, INT32_MAX);
  EXPECT_NE(seed_a, seed_b);  // 1 in 2^32 chance of a false failure
  // Reproducible with the reported seed.
  auto again = server.generate(body(0.5, static_cast<int>(seed_a), 1, "", "rain on a tin roof"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, a->body);
}

TEST(GenerateSuccess, FlacIsLosslessCopyOfWav) {
  TestServer server;
  auto wav_res = server.generate(body(0.5, 99));
  auto flac_res = server.generate(body(0.5, 99, 1, R"(,"format":"flac")"));
  ASSERT_TRUE(wav_res && flac_res);
  ASSERT_EQ(flac_res->status, 200) << flac_res->body;
  EXPECT_EQ(flac_res->get_header_value("Content-Type"), "audio/flac");
  EXPECT_EQ(flac_res->body.compare(0, 4, "fLaC"), 0);
  WavInfo wav = parse_wav(wav_res->body);
  FlacInfo flac = decode_flac(flac_res->body);
  ASSERT_TRUE(wav.valid);
  ASSERT_TRUE(flac.valid) << "FLAC did not decode (or MD5 mismatch)";
  EXPECT_EQ(flac.channels, 2);
  EXPECT_EQ(flac.sample_rate, 48000);
  EXPECT_EQ(flac.bits, 16);
  EXPECT_EQ(flac.total_frames, 24000u);
  EXPECT_EQ(flac.samples, wav.samples);
}

TEST(GenerateSuccess, AcceptHeaderNegotiatesFlacWhenFormatOmitted) {
  TestServer server;
  auto type_for = [&](const std::string& accept, const std::string& extra = "") {
    auto res = server.generate(body(0.5, 5, 1, extra), {{"Accept", accept}});
    return res && res->status == 200 ? res->get_header_value("Content-Type") : "error";
  };
  EXPECT_EQ(type_for("audio/flac"), "audio/flac");
  EXPECT_EQ(type_for("audio/wav;q=0.5, audio/flac"), "audio/flac");
  EXPECT_EQ(type_for("audio/flac;q=0.2, audio/wav"), "audio/wav");
  EXPECT_EQ(type_for("*/*"), "audio/wav");
  // An explicit format wins over Accept.
  EXPECT_EQ(type_for("audio/flac", R"(,"format":"wav")"), "audio/wav");
  // Rate limit is 10 per minute: this test sends 5 plus nothing else.
}

TEST(GenerateSuccess, VariantsAreJsonWithSeedsAndMatchSingleRequestsByteForByte) {
  TestServer server;
  auto res = server.generate(body(0.5, 100, 4));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("X-Seed"), "100");
  json j = json::parse(res->body);
  EXPECT_EQ(j["count"], 4);
  EXPECT_EQ(j["sample_rate"], 48000);
  EXPECT_EQ(j["format"], "wav");
  ASSERT_EQ(j["audios"].size(), 4u);
  EXPECT_EQ(j["seeds"], json::array({100, 101, 102, 103}));
  for (int i = 0; i < 4; ++i) {
    std::string file = base64_decode(j["audios"][i].get<std::string>());
    WavInfo wav = parse_wav(file);
    ASSERT_TRUE(wav.valid) << wav.error;
    EXPECT_EQ(wav.frames, 24000u);
    auto single = server.generate(body(0.5, 100 + i));
    ASSERT_TRUE(single);
    ASSERT_EQ(single->status, 200);
    EXPECT_EQ(single->body, file) << "variant " << i << " differs from n=1 with seed " << 100 + i;
  }
}

TEST(GenerateSuccess, VariantsInFlacAndSeedsWrapInInt32) {
  TestServer server;
  auto res = server.generate(body(0.5, 2147483647, 2, R"(,"format":"flac")"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["format"], "flac");
  EXPECT_EQ(j["seeds"], json::array({2147483647LL, -2147483648LL}));
  for (const auto& audio : j["audios"]) {
    FlacInfo flac = decode_flac(base64_decode(audio.get<std::string>()));
    EXPECT_TRUE(flac.valid);
    EXPECT_EQ(flac.total_frames, 24000u);
  }
}

TEST(GenerateSuccess, ChinesePromptAndNegativePromptAndSteps) {
  TestServer server;
  auto res = server.generate(
      R"({"model":"","args":{"prompt":"雷声隆隆，大雨倾盆","negative_prompt":"music","cfg":0,"steps":3,"duration":0.5,"seed":3}})");
  ASSERT_TRUE(res);
  // An empty model id is not a loaded model: 404.
  EXPECT_EQ(res->status, 404);
  auto ok = server.generate(
      R"({"args":{"prompt":"雷声隆隆，大雨倾盆","negative_prompt":"music","cfg":0,"steps":3,"duration":0.5,"seed":3}})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto info = server.app().generation().models();
  ASSERT_EQ(info.size(), 1u);
  auto named = server.generate(R"({"model":")" + info[0].id +
                               R"(","args":{"prompt":"雷声","duration":0.5,"seed":3}})");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->status, 200) << named->body;
}

}  // namespace
}  // namespace foley::server::testing
