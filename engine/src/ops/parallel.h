// Splitting element-wise work across the engine's threads (the BLAS backend threads its
// GEMMs itself; this covers activations such as SnakeBeta that run between them).
#pragma once

#include <cstdint>
#include <functional>

namespace foley::ops {

void set_worker_threads(int threads);
int worker_threads();

// Calls fn(begin, end) on disjoint ranges covering [0, n). Runs inline when n is small
// (below `min_per_thread` per thread) so small tensors never pay for thread start-up.
// Results must not depend on the split (every element is computed independently).
void parallel_for(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace foley::ops
