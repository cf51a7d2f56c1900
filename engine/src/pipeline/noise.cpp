#include "pipeline/noise.h"

#include <array>
#include <cmath>
#include <numbers>

namespace foley {

namespace {

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ k0, lo1, hi0 ^ ctr[3] ^ k1, lo0};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

// (0, 1]: never 0, so log() is finite.
double uniform_open0(uint32_t bits) { return (static_cast<double>(bits) + 1.0) / 4294967296.0; }

}  // namespace

void NoiseGenerator::normal(uint32_t stream, float* out, int64_t n) const {
  for (int64_t block = 0; block * 4 < n; ++block) {
    const uint64_t b = static_cast<uint64_t>(block);
    const auto r = philox4x32_10({static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32), stream, 0x464F4C59u},
                                 key0_, key1_);
    for (int pair = 0; pair < 2; ++pair) {
      const double radius = std::sqrt(-2.0 * std::log(uniform_open0(r[2 * pair])));
      const double angle = 2.0 * std::numbers::pi * uniform_open0(r[2 * pair + 1]);
      const int64_t i = block * 4 + pair * 2;
      if (i < n) out[i] = static_cast<float>(radius * std::cos(angle));
      if (i + 1 < n) out[i + 1] = static_cast<float>(radius * std::sin(angle));
    }
  }
}

}  // namespace foley
