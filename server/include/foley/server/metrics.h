// Metrics: Prometheus text exposition for GET /metrics. Counters and one histogram, all
// lock-free or behind one small mutex; rendering reads a consistent-enough snapshot.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "foley/server/scheduler.h"

namespace foley::server {

class Metrics {
 public:
  void record_request(const std::string& path, int status);
  void record_batch(int clips, double seconds, double audio_seconds);
  void record_generation_latency(double seconds);  // per generate request, queue included

  std::string render(const SchedulerStats& scheduler, bool ready) const;

  static constexpr std::array<double, 12> kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,  2,
                                                              4,    8,   15,   30,  60, 120};

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<uint64_t, kLatencyBuckets.size()> latency_buckets_{};
  uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
  uint64_t batches_ = 0;
  double batch_seconds_ = 0;
};

}  // namespace foley::server
