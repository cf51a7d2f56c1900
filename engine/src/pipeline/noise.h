// Deterministic Gaussian noise: Philox4x32-10 (counter-based, Salmon et al. 2011) keyed by
// the clip's seed, with Box-Muller. Stream s (0: initial latent, i+1: ping-pong step i) and
// element index form the counter, so a clip's noise depends only on its seed, never on the
// batch, the thread count or the order in which streams are drawn.
#pragma once

#include <cstdint>

namespace foley {

class NoiseGenerator {
 public:
  explicit NoiseGenerator(uint64_t seed) : key0_(static_cast<uint32_t>(seed)), key1_(static_cast<uint32_t>(seed >> 32)) {}
  // Fills out[0..n) with N(0, 1) samples of stream `stream`.
  void normal(uint32_t stream, float* out, int64_t n) const;

 private:
  uint32_t key0_, key1_;
};

}  // namespace foley
