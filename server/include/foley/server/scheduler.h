// Scheduler: the one thread that owns an Engine (in the spirit of llama.cpp's server slots).
// HTTP threads submit jobs (a job = the clips of one request, e.g. n variants); the
// scheduler thread takes clips FIFO from the queue, up to max_batch_clips at a time, mixing
// variants and different requests in one Engine::generate call. The engine guarantees a
// clip's samples do not depend on its batch mates, so batching never changes the audio.
//
// The queue is bounded in clips: submit() refuses a job whose clips do not fit
// (QueueFullError, with a Retry-After estimate) instead of letting latency grow unbounded.
// A cancelled job (client gone) leaves the queue at once; a running batch is abandoned
// (GenerateCallbacks::should_cancel) when every job in it is cancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "foley/engine.h"

namespace foley::server {

struct SchedulerOptions {
  int queue_capacity_clips = 16;  // clips waiting to start (the running batch not counted)
  int max_batch_clips = 4;        // clips per Engine::generate call
};

// submit() refused: the queue is full, or the scheduler is shutting down.
class QueueFullError : public std::runtime_error {
 public:
  QueueFullError(const std::string& message, int retry_after_s)
      : std::runtime_error(message), retry_after_s_(retry_after_s) {}
  int retry_after_s() const { return retry_after_s_; }

 private:
  int retry_after_s_;
};

// One request's clips and, once finished, their audio. Shared by the submitter and the
// scheduler thread.
class GenerationJob {
 public:
  enum class State { kQueued, kRunning, kDone, kFailed, kCancelled, kRejected };

  // Waits up to `timeout` for a final state; true when finished (any final state).
  bool wait_for(std::chrono::milliseconds timeout);
  void wait();
  // Client gone: drop queued clips, stop running ones when possible. Idempotent.
  void cancel();
  bool cancelled() const { return cancel_requested_.load(); }

  State state() const;
  // Valid in kDone: one clip per submitted request, in order.
  const std::vector<Clip>& clips() const { return clips_; }
  // Why it failed / was rejected (kFailed, kRejected).
  std::string error() const;
  std::size_t size() const { return requests_.size(); }
  double queue_seconds() const { return queue_seconds_; }
  double generate_seconds() const { return generate_seconds_; }

 private:
  friend class Scheduler;
  std::vector<ClipRequest> requests_;
  std::vector<Clip> clips_;
  std::vector<bool> clip_done_;
  std::size_t clips_finished_ = 0;
  State state_ = State::kQueued;
  std::string error_;
  std::atomic<bool> cancel_requested_{false};
  class Scheduler* scheduler_ = nullptr;
  std::chrono::steady_clock::time_point submitted_;
  double queue_seconds_ = 0, generate_seconds_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
};

struct SchedulerStats {
  int queued_clips = 0;
  int running_clips = 0;
  uint64_t clips_generated = 0;
  double audio_seconds_generated = 0;
  uint64_t batches = 0;
  uint64_t cancelled_jobs = 0;
};

// Observer of each finished batch (metrics); called on the scheduler thread.
using BatchObserver = std::function<void(int clips, double seconds, double audio_seconds)>;

class Scheduler {
 public:
  Scheduler(std::unique_ptr<Engine> engine, SchedulerOptions options, BatchObserver observer = {});
  ~Scheduler();  // stops the thread; unfinished jobs end kRejected
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const ModelInfo& model_info() const { return engine_->info(); }
  // Engine::validate (thread-safe: const, no shared state). Throws EngineError.
  void validate(const ClipRequest& request) const { engine_->validate(request); }

  // Admits all clips or none. Throws QueueFullError.
  std::shared_ptr<GenerationJob> submit(std::vector<ClipRequest> requests);

  // Convenience for in-process callers (the web studio): submit, wait, and cancel when
  // should_cancel() turns true. Throws QueueFullError, CancelledError, EngineError.
  std::vector<Clip> generate(std::vector<ClipRequest> requests,
                             const std::function<bool()>& should_cancel = {});

  // Graceful shutdown: refuse new jobs; queued and running jobs finish. After `grace`,
  // whatever is still unfinished is rejected (queued) or cancelled (running).
  void drain(std::chrono::milliseconds grace);
  bool draining() const { return draining_.load(); }

  SchedulerStats stats() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  friend class GenerationJob;
  struct QueuedClip {
    std::shared_ptr<GenerationJob> job;
    std::size_t index;
  };
  void run();
  void cancel_job(GenerationJob& job);
  void finish_job_locked(GenerationJob& job, GenerationJob::State state, const std::string& error);
  int estimate_retry_after_locked() const;

  std::unique_ptr<Engine> engine_;
  SchedulerOptions options_;
  BatchObserver observer_;
  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable idle_;
  std::deque<QueuedClip> queue_;
  std::vector<QueuedClip> running_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> draining_{false};
  SchedulerStats stats_;
  double average_batch_seconds_ = 1.0;
  std::thread thread_;
};

}  // namespace foley::server
