#include "ops/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace foley::ops {

namespace {
std::atomic<int> g_threads{0};
}

void set_worker_threads(int threads) { g_threads = std::max(threads, 0); }

int worker_threads() {
  int t = g_threads.load();
  if (t > 0) return t;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void parallel_for(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t threads = std::min<int64_t>(worker_threads(), std::max<int64_t>(1, n / std::max<int64_t>(min_per_thread, 1)));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads - 1));
  const int64_t chunk = (n + threads - 1) / threads;
  for (int64_t t = 1; t < threads; ++t) {
    const int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

}  // namespace foley::ops
