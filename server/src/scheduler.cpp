#include "foley/server/scheduler.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace foley::server {

namespace {
bool is_final(GenerationJob::State s) {
  return s == GenerationJob::State::kDone || s == GenerationJob::State::kFailed ||
         s == GenerationJob::State::kCancelled || s == GenerationJob::State::kRejected;
}
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

bool GenerationJob::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return finished_.wait_for(lock, timeout, [&] { return is_final(state_); });
}

void GenerationJob::wait() {
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [&] { return is_final(state_); });
}

void GenerationJob::cancel() {
  if (cancel_requested_.exchange(true)) return;
  Scheduler* scheduler;
  {
    std::lock_guard lock(mutex_);
    if (is_final(state_)) return;
    scheduler = scheduler_;
  }
  if (scheduler) scheduler->cancel_job(*this);
}

GenerationJob::State GenerationJob::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string GenerationJob::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Scheduler::Scheduler(std::unique_ptr<Engine> engine, SchedulerOptions options,
                     BatchObserver observer)
    : engine_(std::move(engine)), options_(options), observer_(std::move(observer)) {
  if (!engine_) throw std::invalid_argument("Scheduler needs an engine");
  if (options_.max_batch_clips < 1) options_.max_batch_clips = 1;
  if (options_.queue_capacity_clips < 1) options_.queue_capacity_clips = 1;
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    draining_ = true;
    while (!queue_.empty()) {
      auto job = queue_.front().job;
      finish_job_locked(*job, GenerationJob::State::kRejected, "the server is shutting down");
    }
  }
  work_available_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<GenerationJob> Scheduler::submit(std::vector<ClipRequest> requests) {
  if (requests.empty()) throw std::invalid_argument("submit needs at least one clip");
  auto job = std::make_shared<GenerationJob>();
  const int clips = static_cast<int>(requests.size());
  {
    std::lock_guard lock(mutex_);
    if (draining_ || stop_) {
      throw QueueFullError("the server is shutting down and accepts no new work; retry on "
                           "another instance or after restart",
                           estimate_retry_after_locked());
    }
    if (clips > options_.queue_capacity_clips) {
      throw QueueFullError("this request needs " + std::to_string(clips) +
                               " clips but the queue holds at most " +
                               std::to_string(options_.queue_capacity_clips) +
                               " (--queue-capacity); send fewer variants per request",
                           estimate_retry_after_locked());
    }
    if (static_cast<int>(queue_.size()) + clips > options_.queue_capacity_clips) {
      throw QueueFullError("the inference queue is full (" + std::to_string(queue_.size()) +
                               " of " + std::to_string(options_.queue_capacity_clips) +
                               " clips waiting); retry with exponential backoff",
                           estimate_retry_after_locked());
    }
    job->requests_ = std::move(requests);
    job->clips_.resize(job->requests_.size());
    job->clip_done_.assign(job->requests_.size(), false);
    job->scheduler_ = this;
    job->submitted_ = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < job->requests_.size(); ++i) queue_.push_back({job, i});
    stats_.queued_clips = static_cast<int>(queue_.size());
  }
  work_available_.notify_one();
  return job;
}

std::vector<Clip> Scheduler::generate(std::vector<ClipRequest> requests,
                                      const std::function<bool()>& should_cancel) {
  auto job = submit(std::move(requests));
  while (!job->wait_for(std::chrono::milliseconds(50))) {
    if (should_cancel && should_cancel()) job->cancel();
  }
  switch (job->state()) {
    case GenerationJob::State::kDone:
      return job->clips();
    case GenerationJob::State::kCancelled:
      throw CancelledError();
    case GenerationJob::State::kRejected:
      throw QueueFullError(job->error(), 1);
    default:
      throw EngineError(job->error());
  }
}

void Scheduler::cancel_job(GenerationJob& job) {
  std::lock_guard lock(mutex_);
  ++stats_.cancelled_jobs;
  bool running = std::any_of(running_.begin(), running_.end(),
                             [&](const QueuedClip& c) { return c.job.get() == &job; });
  if (!running) {
    finish_job_locked(job, GenerationJob::State::kCancelled, "cancelled: the client went away");
  } else {
    // Drop its queued clips now so their slots free; the running batch notices through
    // should_cancel (when all its jobs are cancelled) or finishes and the result is dropped.
    std::erase_if(queue_, [&](const QueuedClip& c) { return c.job.get() == &job; });
    stats_.queued_clips = static_cast<int>(queue_.size());
  }
}

void Scheduler::finish_job_locked(GenerationJob& job, GenerationJob::State state,
                                  const std::string& error) {
  std::erase_if(queue_, [&](const QueuedClip& c) { return c.job.get() == &job; });
  stats_.queued_clips = static_cast<int>(queue_.size());
  {
    std::lock_guard job_lock(job.mutex_);
    if (is_final(job.state_)) return;
    job.state_ = state;
    job.error_ = error;
    job.scheduler_ = nullptr;
    job.generate_seconds_ = seconds_since(job.submitted_) - job.queue_seconds_;
  }
  job.finished_.notify_all();
  idle_.notify_all();
}

int Scheduler::estimate_retry_after_locked() const {
  // Time to work off what is waiting, at the measured batch speed; at least one second.
  double batches = std::ceil(static_cast<double>(queue_.size() + 1) / options_.max_batch_clips);
  return std::max(1, static_cast<int>(std::ceil(batches * average_batch_seconds_)));
}

void Scheduler::drain(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  draining_ = true;
  idle_.wait_for(lock, grace, [&] { return queue_.empty() && running_.empty(); });
  while (!queue_.empty()) {
    auto job = queue_.front().job;
    finish_job_locked(*job, GenerationJob::State::kRejected,
                      "the server is shutting down; the request was not started");
  }
  stop_ = true;  // makes should_cancel abandon the running batch
  work_available_.notify_all();
  idle_.wait(lock, [&] { return running_.empty(); });
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Scheduler::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_available_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_ && queue_.empty()) break;
    if (stop_) continue;  // the destructor / drain empties the queue
    // Take the next clips FIFO, whatever requests they belong to.
    running_.clear();
    while (!queue_.empty() && static_cast<int>(running_.size()) < options_.max_batch_clips) {
      running_.push_back(queue_.front());
      queue_.pop_front();
    }
    std::set<GenerationJob*> jobs;
    std::vector<ClipRequest> batch;
    for (auto& item : running_) {
      batch.push_back(item.job->requests_[item.index]);
      if (jobs.insert(item.job.get()).second) {
        std::lock_guard job_lock(item.job->mutex_);
        if (item.job->state_ == GenerationJob::State::kQueued) {
          item.job->state_ = GenerationJob::State::kRunning;
          item.job->queue_seconds_ = seconds_since(item.job->submitted_);
        }
      }
    }
    stats_.queued_clips = static_cast<int>(queue_.size());
    stats_.running_clips = static_cast<int>(running_.size());
    std::vector<std::shared_ptr<GenerationJob>> batch_jobs;
    for (auto& item : running_) batch_jobs.push_back(item.job);
    lock.unlock();

    GenerateCallbacks callbacks;
    callbacks.should_cancel = [&] {
      if (stop_) return true;  // read without the lock: a stale value only delays by a step
      return std::all_of(batch_jobs.begin(), batch_jobs.end(),
                         [](const auto& job) { return job->cancelled(); });
    };
    std::vector<Clip> clips;
    std::string failure;
    bool abandoned = false;
    auto started = std::chrono::steady_clock::now();
    try {
      clips = engine_->generate(batch, callbacks);
      if (clips.size() != batch.size()) failure = "engine returned a wrong number of clips";
    } catch (const CancelledError&) {
      abandoned = true;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    double batch_seconds = seconds_since(started);

    lock.lock();
    double audio_seconds = 0;
    if (!abandoned && failure.empty()) {
      for (std::size_t i = 0; i < running_.size(); ++i) {
        auto& job = *running_[i].job;
        audio_seconds += static_cast<double>(clips[i].frames()) / std::max(1, clips[i].sample_rate);
        job.clips_[running_[i].index] = std::move(clips[i]);
        job.clip_done_[running_[i].index] = true;
        ++job.clips_finished_;
      }
      stats_.clips_generated += running_.size();
      stats_.audio_seconds_generated += audio_seconds;
      ++stats_.batches;
      average_batch_seconds_ = 0.8 * average_batch_seconds_ + 0.2 * batch_seconds;
    }
    for (auto& job_ptr : batch_jobs) {
      auto& job = *job_ptr;
      if (job.cancelled()) {
        finish_job_locked(job, GenerationJob::State::kCancelled, "cancelled: the client went away");
      } else if (abandoned) {
        finish_job_locked(job, GenerationJob::State::kRejected,
                          "the server is shutting down; generation was stopped");
      } else if (!failure.empty()) {
        finish_job_locked(job, GenerationJob::State::kFailed, failure);
      } else if (job.clips_finished_ == job.requests_.size()) {
        finish_job_locked(job, GenerationJob::State::kDone, "");
      }
    }
    running_.clear();
    stats_.running_clips = 0;
    idle_.notify_all();
    if (observer_ && !abandoned && failure.empty()) {
      int count = static_cast<int>(batch.size());
      lock.unlock();
      observer_(count, batch_seconds, audio_seconds);
      lock.lock();
    }
  }
}

}  // namespace foley::server
