// Splitting work across the engine's threads: float32 products (gemm.cpp) and element-wise work
// such as SnakeBeta between them.
#pragma once

#include <cstdint>
#include <functional>

namespace foley::ops {

void set_worker_threads(int threads);
int worker_threads();

// Calls fn(begin, end) on disjoint ranges covering [0, n), from the calling thread and the
// engine's helper threads. Runs inline when n is small (below `min_per_thread` per thread) so
// small tensors never pay for waking a helper, and when called from inside another
// parallel_for. The ranges depend only on n, min_per_thread and the thread count, never on
// timing; results must not depend on the split (every element is computed independently).
// An exception thrown by fn is rethrown here once every range is done.
void parallel_for(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace foley::ops
