#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "audio/postprocess.h"
#include "foley/wav.h"
#include "pipeline/noise.h"
#include "pipeline/samplers.h"

namespace foley {
namespace {

Tensor sine(int64_t n, float amplitude, int rate = 44100) {
  Tensor t({2, n});
  for (int64_t i = 0; i < n; ++i) {
    const float v = amplitude * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / rate));
    t[i] = v;
    t[n + i] = -v;
  }
  return t;
}

TEST(PostProcess, ExactFrameCountAfterResampling) {
  for (int64_t frames : {1, 479, 48000, 240000}) {
    const int64_t n = static_cast<int64_t>(std::ceil(static_cast<double>(frames) * 44100.0 / 48000)) + 2048;
    auto pcm = audio::to_pcm16(sine(n, 0.5f), 44100, 48000, frames);
    EXPECT_EQ(static_cast<int64_t>(pcm.size()), 2 * frames);
  }
}

TEST(PostProcess, LoudInputNeverClips) {
  auto pcm = audio::to_pcm16(sine(44100, 7.0f), 44100, 48000, 48000);
  int peak = 0;
  for (int16_t s : pcm) peak = std::max(peak, std::abs(static_cast<int>(s)));
  EXPECT_LE(peak, static_cast<int>(32767 * audio::kTargetPeak) + 1);
  EXPECT_GE(peak, static_cast<int>(32767 * audio::kTargetPeak) - 200);  // resampled sine peak
}

TEST(PostProcess, SilenceStaysSilent) {
  Tensor silent({2, 4410});
  auto pcm = audio::to_pcm16(silent, 44100, 48000, 4800);
  for (int16_t s : pcm) ASSERT_EQ(s, 0);
  Tensor tiny = sine(4410, 1e-6f);
  pcm = audio::to_pcm16(tiny, 44100, 44100, 4410);
  for (int16_t s : pcm) ASSERT_EQ(s, 0);  // −120 dBFS is not amplified
}

TEST(PostProcess, SameRateSkipsResampling) {
  Tensor t = sine(1000, 0.5f);
  Tensor r = audio::resample(t, 48000, 48000);
  EXPECT_EQ(r.shape(), t.shape());
  EXPECT_EQ(r[123], t[123]);
}

TEST(PostProcess, ShortClipPadsWithZeros) {
  auto pcm = audio::to_pcm16(sine(100, 0.5f), 48000, 48000, 200);
  EXPECT_EQ(pcm.size(), 400u);
  EXPECT_EQ(pcm[399], 0);
}

TEST(Wav, HeaderAndSize) {
  std::vector<int16_t> pcm = {1, -1, 2, -2};
  const std::string w = wav_bytes(pcm, 48000, 2);
  ASSERT_EQ(w.size(), 44u + 8u);
  EXPECT_EQ(w.substr(0, 4), "RIFF");
  EXPECT_EQ(w.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(w.substr(36, 4), "data");
  EXPECT_EQ(static_cast<unsigned char>(w[24]), 0x80);  // 48000 = 0xBB80
  EXPECT_EQ(static_cast<unsigned char>(w[25]), 0xBB);
  EXPECT_THROW(wav_bytes(pcm, 0, 2), EngineError);
}

TEST(Noise, DeterministicAndStandardNormal) {
  NoiseGenerator g(1234);
  std::vector<float> a(100001), b(100001);
  g.normal(0, a.data(), static_cast<int64_t>(a.size()));
  g.normal(0, b.data(), static_cast<int64_t>(b.size()));
  EXPECT_EQ(a, b);
  double mean = 0, var = 0;
  for (float v : a) mean += v;
  mean /= static_cast<double>(a.size());
  for (float v : a) var += (v - mean) * (v - mean);
  var /= static_cast<double>(a.size());
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
  // A prefix does not depend on how much is drawn, and streams differ.
  std::vector<float> c(7);
  g.normal(0, c.data(), 7);
  EXPECT_TRUE(std::equal(c.begin(), c.end(), a.begin()));
  g.normal(1, c.data(), 7);
  EXPECT_FALSE(std::equal(c.begin(), c.end(), a.begin()));
}

TEST(Samplers, PingPongScheduleMatchesReference) {
  const std::vector<float> expected = {1.0f, 0.99330717f, 0.98201376f, 0.95257413f, 0.88079703f,
                                       0.7310586f, 0.5f, 0.26894143f, 0.0f};
  const auto t = rf_schedule(8);
  ASSERT_EQ(t.size(), expected.size());
  for (std::size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], expected[i], 1e-7f);
}

TEST(Samplers, ExactVelocityRecoversData) {
  // With the true velocity v = ε − x₀ every sampler lands on x₀.
  const std::vector<float> x0 = {0.3f, -1.2f, 2.0f}, eps = {1.0f, -0.5f, 0.25f};
  for (Sampler s : {Sampler::kPingPong, Sampler::kEuler, Sampler::kDpmPlusPlus}) {
    std::vector<float> x = eps;
    SamplerHooks h;
    h.velocity = [&](const float*, float, float* v) {
      for (int i = 0; i < 3; ++i) v[i] = eps[static_cast<std::size_t>(i)] - x0[static_cast<std::size_t>(i)];
    };
    h.step_noise = [&](int, float* out) { std::copy(eps.begin(), eps.end(), out); };
    run_sampler(s, rf_schedule(10), x.data(), 3, h);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(x[static_cast<std::size_t>(i)], x0[static_cast<std::size_t>(i)], 1e-5) << sampler_name(s);
  }
}

}  // namespace
}  // namespace foley
