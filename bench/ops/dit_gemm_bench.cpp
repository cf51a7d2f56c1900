// GEMM shapes of one SAOS DiT forward (batch 2 for CFG: 2 x 257 = 514 token rows, width 1024),
// as nn.Linear products y[M,N] = x[M,K] * W[N,K]^T, reported as FLOP/s (2*M*N*K per call).
//
// Two backends side by side:
//   BM_cblas_sgemm   Debian OpenBLAS called directly (cblas_sgemm, row-major, B transposed)
//   BM_engine_linear the engine's own entry point foley::ops::linear (engine/src/ops/gemm.h),
//                    built only when the foley_engine target exists (FOLEY_BENCH_HAS_ENGINE_GEMM)
//   BM_engine_linear_bf16  the engine's BF16 path (ops::LinearWeight with use_bf16: oneDNN
//                    matmul, activations rounded to BF16 per call, float32 output), skipped on
//                    CPUs without AVX-512 BF16
// Threads: OPENBLAS_NUM_THREADS (run.sh sets 2, the product default on the 2-core target).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#ifdef FOLEY_BENCH_HAS_ENGINE_GEMM
#include "ops/gemm.h"
#include "ops/linear_weight.h"
#endif

namespace {

struct Operands {
  std::vector<float> x, w, y;
  Operands(int64_t m, int64_t n, int64_t k)
      : x(static_cast<std::size_t>(m * k)), w(static_cast<std::size_t>(n * k)), y(static_cast<std::size_t>(m * n)) {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : x) v = normal(rng);
    for (float& v : w) v = normal(rng);
  }
};

void report_flops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::OneK::kIs1000);
  state.counters["M"] = static_cast<double>(m);
  state.counters["N"] = static_cast<double>(n);
  state.counters["K"] = static_cast<double>(k);
}

void BM_cblas_sgemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands ops(m, n, k);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m), static_cast<blasint>(n),
                static_cast<blasint>(k), 1.0f, ops.x.data(), static_cast<blasint>(k), ops.w.data(),
                static_cast<blasint>(k), 0.0f, ops.y.data(), static_cast<blasint>(n));
    benchmark::DoNotOptimize(ops.y.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, m, n, k);
}

#ifdef FOLEY_BENCH_HAS_ENGINE_GEMM
void BM_engine_linear(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands ops(m, n, k);
  for (auto _ : state) {
    foley::ops::linear(ops.x.data(), m, k, ops.w.data(), n, nullptr, ops.y.data());
    benchmark::DoNotOptimize(ops.y.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, m, n, k);
}

void BM_engine_linear_bf16(benchmark::State& state) {
  if (!foley::ops::bf16_available()) {
    state.SkipWithError("no AVX-512 BF16 on this CPU (or no oneDNN in this build)");
    return;
  }
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands ops(m, n, k);
  foley::Tensor w({n, k});
  std::copy(ops.w.begin(), ops.w.end(), w.data());
  const foley::ops::LinearWeight weight(std::move(w), /*use_bf16=*/true);
  for (auto _ : state) {
    weight.apply(ops.x.data(), m, ops.y.data());
    benchmark::DoNotOptimize(ops.y.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, m, n, k);
}
#endif

// {M, N, K}: M = 514 rows (257 tokens x CFG batch 2).
void dit_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  b->Args({514, 3072, 1024});  // self-attention to_qkv
  b->Args({514, 1024, 1024});  // to_out, cross-attention to_q
  b->Args({514, 8192, 1024});  // SwiGLU proj (value + gate)
  b->Args({514, 1024, 4096});  // SwiGLU output
  b->Args({130, 2048, 1024});  // cross-attention to_kv on 2 x 65 context tokens
  b->Args({257, 8192, 1024});  // SwiGLU proj at batch 1 (cfg 1)
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();
}

BENCHMARK(BM_cblas_sgemm)->Apply(dit_shapes);
#ifdef FOLEY_BENCH_HAS_ENGINE_GEMM
BENCHMARK(BM_engine_linear)->Apply(dit_shapes);
BENCHMARK(BM_engine_linear_bf16)->Apply(dit_shapes);
#endif

}  // namespace

BENCHMARK_MAIN();
