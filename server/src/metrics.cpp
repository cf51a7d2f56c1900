#include "foley/server/metrics.h"

#include <sstream>

namespace foley::server {

void Metrics::record_request(const std::string& path, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{path, status}];
}

void Metrics::record_batch(int, double seconds, double) {
  std::lock_guard lock(mutex_);
  ++batches_;
  batch_seconds_ += seconds;
}

void Metrics::record_generation_latency(double seconds) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++latency_buckets_[i];
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

std::string Metrics::render(const SchedulerStats& scheduler, bool ready) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP foley_http_requests_total HTTP requests by route and status.\n"
         "# TYPE foley_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "foley_http_requests_total{path=\"" << key.first << "\",status=\"" << key.second
        << "\"} " << count << "\n";
  }
  out << "# HELP foley_queue_depth_clips Clips waiting for the engine.\n"
         "# TYPE foley_queue_depth_clips gauge\n"
      << "foley_queue_depth_clips " << scheduler.queued_clips << "\n"
      << "# HELP foley_running_clips Clips in the engine's current batch.\n"
         "# TYPE foley_running_clips gauge\n"
      << "foley_running_clips " << scheduler.running_clips << "\n"
      << "# HELP foley_generation_latency_seconds Generate request latency, queue included.\n"
         "# TYPE foley_generation_latency_seconds histogram\n";
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    out << "foley_generation_latency_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} "
        << latency_buckets_[i] << "\n";
  }
  out << "foley_generation_latency_seconds_bucket{le=\"+Inf\"} " << latency_count_ << "\n"
      << "foley_generation_latency_seconds_sum " << latency_sum_ << "\n"
      << "foley_generation_latency_seconds_count " << latency_count_ << "\n"
      << "# HELP foley_clips_generated_total Clips generated.\n"
         "# TYPE foley_clips_generated_total counter\n"
      << "foley_clips_generated_total " << scheduler.clips_generated << "\n"
      << "# HELP foley_audio_seconds_generated_total Seconds of audio generated.\n"
         "# TYPE foley_audio_seconds_generated_total counter\n"
      << "foley_audio_seconds_generated_total " << scheduler.audio_seconds_generated << "\n"
      << "# HELP foley_engine_batches_total Engine generate calls.\n"
         "# TYPE foley_engine_batches_total counter\n"
      << "foley_engine_batches_total " << batches_ << "\n"
      << "# HELP foley_engine_batch_seconds_total Time spent in engine generate calls.\n"
         "# TYPE foley_engine_batch_seconds_total counter\n"
      << "foley_engine_batch_seconds_total " << batch_seconds_ << "\n"
      << "# HELP foley_cancelled_jobs_total Requests whose work was dropped (client gone).\n"
         "# TYPE foley_cancelled_jobs_total counter\n"
      << "foley_cancelled_jobs_total " << scheduler.cancelled_jobs << "\n"
      << "# HELP foley_ready 1 once a model is loaded.\n"
         "# TYPE foley_ready gauge\n"
      << "foley_ready " << (ready ? 1 : 0) << "\n";
  return out.str();
}

}  // namespace foley::server
