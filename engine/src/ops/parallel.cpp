#include "ops/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace foley::ops {

namespace {

std::atomic<int> g_threads{0};
constexpr int64_t kChunksPerThread = 4;
thread_local bool t_in_parallel_for = false;  // a parallel_for inside another runs inline

// One parallel_for call: `chunks` fixed ranges, claimed one at a time by whoever is free.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunk = 0, chunks = 0;
  std::atomic<int64_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;

  void run_chunks() {
    t_in_parallel_for = true;
    for (int64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) {
      try {
        (*fn)(c * chunk, std::min(n, (c + 1) * chunk));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
    t_in_parallel_for = false;
  }
};

// Helper threads that sleep until a job is posted. The caller always works on its own job too,
// and waits only for helpers that already hold a chunk: on a busy machine a helper may not run
// for milliseconds after it is woken, and a split fixed in advance made every call wait for it
// (a 5 s clip took 25 s instead of 1 s while two other processes kept both cores busy).
class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }

  // False when another thread's call owns the pool (concurrent engines): run inline then.
  bool try_run(Job& job, int helpers) {
    std::unique_lock<std::mutex> owner(owner_mutex_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(threads_.size()) < helpers) {
        threads_.emplace_back([this, index = static_cast<int>(threads_.size())] { helper(index); });
      }
      job_ = &job;
      wanted_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    job.run_chunks();
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = nullptr;  // helpers woken from now on find nothing to do
    idle_.wait(lock, [this] { return busy_ == 0; });
    return true;
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void helper(int index) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || (job_ != nullptr && generation_ != seen && index < wanted_); });
      if (stop_) return;
      seen = generation_;
      Job* job = job_;
      ++busy_;
      lock.unlock();
      job->run_chunks();
      lock.lock();
      if (--busy_ == 0) idle_.notify_all();
    }
  }

  std::mutex owner_mutex_;  // one job at a time
  std::mutex mutex_;        // guards everything below
  std::condition_variable wake_, idle_;
  std::vector<std::thread> threads_;
  Job* job_ = nullptr;
  uint64_t generation_ = 0;
  int wanted_ = 0;
  int busy_ = 0;
  bool stop_ = false;
};

}  // namespace

void set_worker_threads(int threads) { g_threads = std::max(threads, 0); }

int worker_threads() {
  int t = g_threads.load();
  if (t > 0) return t;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void parallel_for(int64_t n, int64_t min_per_thread, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t grain = std::max<int64_t>(min_per_thread, 1);
  const int64_t threads = std::min<int64_t>(worker_threads(), std::max<int64_t>(1, n / grain));
  if (threads <= 1 || t_in_parallel_for) {
    fn(0, n);
    return;
  }
  // A few chunks per thread, so that whoever runs sooner takes more of them.
  Job job;
  job.fn = &fn;
  job.n = n;
  job.chunks = std::min<int64_t>(threads * kChunksPerThread, std::max<int64_t>(threads, n / grain));
  job.chunk = (n + job.chunks - 1) / job.chunks;
  job.chunks = (n + job.chunk - 1) / job.chunk;
  if (!Pool::instance().try_run(job, static_cast<int>(threads - 1))) {
    fn(0, n);
    return;
  }
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace foley::ops
