// ops::parallel_for (the engine's thread pool) and the products gemm() splits over it: every index
// once, fixed ranges, nested calls inline, errors rethrown, and a caller that does not wait for a
// helper that has not started (the reason the pool exists: on a busy machine OpenBLAS's own threads
// made a 5 s clip take 24 s).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "ops/gemm.h"
#include "ops/parallel.h"

namespace {

using Ranges = std::set<std::pair<int64_t, int64_t>>;

// Restores the process-wide thread count after a test.
class ParallelFor : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = foley::ops::worker_threads(); }
  void TearDown() override { foley::ops::set_worker_threads(saved_); }
  int saved_ = 0;
};

Ranges run_and_record(int64_t n, int64_t grain, std::vector<std::atomic<int>>& hits) {
  std::mutex m;
  Ranges ranges;
  foley::ops::parallel_for(n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)]++;
    std::lock_guard<std::mutex> lock(m);
    ranges.emplace(b, e);
  });
  return ranges;
}

TEST_F(ParallelFor, CoversEveryIndexOnceInRangesThatDependOnlyOnTheSizes) {
  for (int threads : {1, 2, 3, 8}) {
    foley::ops::set_worker_threads(threads);
    for (int64_t n : {0, 1, 7, 64, 1000, 4097}) {
      for (int64_t grain : {1, 16, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        const Ranges first = run_and_record(n, grain, hits);
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)], 1) << n << " " << i;
        std::vector<std::atomic<int>> again(static_cast<std::size_t>(n));
        EXPECT_EQ(run_and_record(n, grain, again), first) << "threads " << threads << " n " << n;
        if (n > 0 && n / grain < 2) {
          EXPECT_EQ(first.size(), 1u);  // too small to split
        }
      }
    }
  }
}

TEST_F(ParallelFor, NestedCallsRunInlineAndStillCoverEverything) {
  foley::ops::set_worker_threads(4);
  std::vector<std::atomic<int>> hits(64 * 64);
  foley::ops::parallel_for(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      foley::ops::parallel_for(64, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) hits[static_cast<std::size_t>(row * 64 + c)]++;
      });
    }
  });
  for (auto& h : hits) ASSERT_EQ(h, 1);
}

TEST_F(ParallelFor, AnExceptionIsRethrownAfterEveryRangeAndThePoolStaysUsable) {
  foley::ops::set_worker_threads(2);
  std::atomic<int64_t> done{0};
  EXPECT_THROW(foley::ops::parallel_for(1000, 1, [&](int64_t b, int64_t e) {
                 if (b == 0) throw std::runtime_error("bad chunk");
                 done += e - b;
               }),
               std::runtime_error);
  EXPECT_GT(done.load(), 0);  // the other ranges still ran
  std::vector<std::atomic<int>> hits(1000);
  run_and_record(1000, 1, hits);
  for (auto& h : hits) ASSERT_EQ(h, 1);
}

TEST_F(ParallelFor, TheCallerTakesTheWorkOfAHelperThatIsHeldUp) {
  // A helper that stalls for half a second on its first range stands in for one the OS does not
  // schedule: the caller must do every other range meanwhile instead of waiting for it.
  foley::ops::set_worker_threads(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int64_t> by_caller{0}, by_helper{0};
  std::atomic<bool> stalled{false};
  foley::ops::parallel_for(64, 1, [&](int64_t b, int64_t e) {
    if (std::this_thread::get_id() == caller) {
      by_caller += e - b;
      return;
    }
    by_helper += e - b;
    if (!stalled.exchange(true)) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  });
  EXPECT_EQ(by_caller + by_helper, 64);
  EXPECT_LT(by_helper.load(), 32);  // a split fixed in advance would leave half to the helper
}

// gemm() against a plain triple loop, for every transpose and both split directions.
TEST_F(ParallelFor, SplitProductsMatchTheDefinition) {
  foley::ops::set_worker_threads(3);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  // rows split (m >= n), columns split, too small to split
  const std::vector<std::array<int64_t, 3>> shapes = {{300, 70, 64}, {50, 400, 96}, {1, 9, 3}};
  for (const auto& [m, n, k] : shapes) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        std::vector<float> a(static_cast<std::size_t>(m * k)), b(static_cast<std::size_t>(k * n)),
            c(static_cast<std::size_t>(m * n), 0.5f);
        for (float& v : a) v = u(rng);
        for (float& v : b) v = u(rng);
        const int64_t lda = ta ? m : k, ldb = tb ? k : n;
        std::vector<float> want = c;
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) {
              const float av = ta ? a[static_cast<std::size_t>(p * lda + i)] : a[static_cast<std::size_t>(i * lda + p)];
              const float bv = tb ? b[static_cast<std::size_t>(j * ldb + p)] : b[static_cast<std::size_t>(p * ldb + j)];
              s += static_cast<double>(av) * bv;
            }
            want[static_cast<std::size_t>(i * n + j)] = static_cast<float>(2.0 * s + 0.25 * 0.5);
          }
        }
        foley::ops::gemm(ta, tb, m, n, k, 2.0f, a.data(), lda, b.data(), ldb, 0.25f, c.data(), n);
        for (std::size_t i = 0; i < c.size(); ++i) {
          ASSERT_NEAR(c[i], want[i], 1e-4f) << m << "x" << n << "x" << k << " ta " << ta << " tb " << tb;
        }
      }
    }
  }
}

}  // namespace
