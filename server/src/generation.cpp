#include "foley/server/generation.h"

#include <thread>

namespace foley::server {

void GenerationService::add_model(std::unique_ptr<Engine> engine, const SchedulerOptions& options,
                                  BatchObserver observer) {
  auto scheduler = std::make_unique<Scheduler>(std::move(engine), options, std::move(observer));
  std::lock_guard lock(mutex_);
  schedulers_.push_back(std::move(scheduler));
  ready_ = true;
}

Scheduler* GenerationService::find(const std::string& model_id) {
  std::lock_guard lock(mutex_);
  if (schedulers_.empty()) return nullptr;
  if (model_id.empty()) return schedulers_.front().get();
  for (auto& s : schedulers_) {
    if (s->model_info().id == model_id) return s.get();
  }
  return nullptr;
}

std::vector<ModelInfo> GenerationService::models() const {
  std::lock_guard lock(mutex_);
  std::vector<ModelInfo> infos;
  for (auto& s : schedulers_) infos.push_back(s->model_info());
  return infos;
}

SchedulerStats GenerationService::stats() const {
  std::lock_guard lock(mutex_);
  SchedulerStats total;
  for (auto& s : schedulers_) {
    SchedulerStats one = s->stats();
    total.queued_clips += one.queued_clips;
    total.running_clips += one.running_clips;
    total.clips_generated += one.clips_generated;
    total.audio_seconds_generated += one.audio_seconds_generated;
    total.batches += one.batches;
    total.cancelled_jobs += one.cancelled_jobs;
  }
  return total;
}

void GenerationService::drain(std::chrono::milliseconds grace) {
  std::vector<Scheduler*> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& s : schedulers_) all.push_back(s.get());
  }
  std::vector<std::thread> drains;
  for (Scheduler* s : all) drains.emplace_back([s, grace] { s->drain(grace); });
  for (auto& t : drains) t.join();
}

void GenerationService::stop() {
  std::lock_guard lock(mutex_);
  ready_ = false;
  schedulers_.clear();
}

}  // namespace foley::server
