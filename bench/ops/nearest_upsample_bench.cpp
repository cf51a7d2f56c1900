// The four upsampling stages of foley-mini's decoder with use_nearest_upsample (channels 16,
// c_mults [1,2,4,8], strides [4,4,8,8]; 256 latent frames = 5.46 s), two ways:
//   BM_repeat_then_conv  the definition: repeat every frame s times into a zero-padded buffer,
//                        then ops::conv1d with k = 2s
//   BM_folded            what the engine runs: ops::fold_nearest_upsample's 3s-tap kernel through
//                        ops::conv_transpose1d (stride s, padding s)
// Threads: OPENBLAS_NUM_THREADS (2 on the 2-core target).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "ops/nearest_upsample.h"
#include "ops/nn.h"

namespace {

struct Stage {
  int64_t cin, cout, stride, frames;  // frames: input length of the stage
};

// Deepest first, as the decoder runs them: 46.9 Hz -> 375 Hz -> 3 kHz -> 12 kHz -> 48 kHz.
const Stage kStages[] = {{128, 64, 8, 256}, {64, 32, 8, 2048}, {32, 16, 4, 16384}, {16, 16, 4, 65536}};

struct Operands {
  std::vector<float> x, w, y;
  explicit Operands(const Stage& s)
      : x(static_cast<std::size_t>(s.cin * s.frames)), w(static_cast<std::size_t>(s.cout * s.cin * 2 * s.stride)),
        y(static_cast<std::size_t>(s.cout * s.frames * s.stride)) {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : x) v = normal(rng);
    for (float& v : w) v = normal(rng);
  }
};

void report(benchmark::State& state, const Stage& s) {
  state.counters["out_samples/s"] = benchmark::Counter(static_cast<double>(s.frames * s.stride),
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

void BM_repeat_then_conv(benchmark::State& state) {
  const Stage& s = kStages[state.range(0)];
  Operands op(s);
  const int64_t r = s.stride, len = s.frames * r + 2 * r - 1;
  std::vector<float> repeated(static_cast<std::size_t>(s.cin * len));
  foley::ops::ConvScratch scratch;
  for (auto _ : state) {
    for (int64_t c = 0; c < s.cin; ++c) {
      float* row = repeated.data() + c * len;
      std::fill(row, row + (r - 1), 0.0f);
      for (int64_t i = 0; i < s.frames; ++i) std::fill_n(row + (r - 1) + i * r, r, op.x[static_cast<std::size_t>(c * s.frames + i)]);
      std::fill(row + (r - 1) + s.frames * r, row + len, 0.0f);
    }
    foley::ops::conv1d(repeated.data(), s.cin, len, op.w.data(), s.cout, 2 * r, nullptr, 0, 1, op.y.data(), scratch);
    benchmark::DoNotOptimize(op.y.data());
  }
  report(state, s);
}

void BM_folded(benchmark::State& state) {
  const Stage& s = kStages[state.range(0)];
  Operands op(s);
  const std::vector<float> wt = foley::ops::fold_nearest_upsample(op.w.data(), s.cout, s.cin, s.stride);
  foley::ops::ConvScratch scratch;
  for (auto _ : state) {
    foley::ops::conv_transpose1d(op.x.data(), s.cin, s.frames, wt.data(), s.cout,
                                 foley::ops::nearest_upsample_kernel(s.stride), nullptr, s.stride, s.stride,
                                 op.y.data(), scratch);
    benchmark::DoNotOptimize(op.y.data());
  }
  report(state, s);
}

BENCHMARK(BM_repeat_then_conv)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_folded)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
