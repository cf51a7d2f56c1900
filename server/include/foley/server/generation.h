// GenerationService: the loaded models, each with its Scheduler. This is the C++ API other
// modules (the web studio) use to generate audio in-process:
//
//   auto& gen = app.generation();
//   Scheduler* s = gen.find("");                       // "" = default model; nullptr: unknown
//   std::vector<Clip> clips = s->generate(requests, [&] { return ctx.client_disconnected(); });
//
// It shares the queue, batching, capacity and cancellation with the HTTP API.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "foley/server/scheduler.h"

namespace foley::server {

class GenerationService {
 public:
  // Takes ownership; the first model added is the default. Thread-safe.
  void add_model(std::unique_ptr<Engine> engine, const SchedulerOptions& options,
                 BatchObserver observer = {});
  // "" = the default model. nullptr when no such model (or none loaded yet).
  Scheduler* find(const std::string& model_id);
  bool ready() const { return ready_.load(); }
  std::vector<ModelInfo> models() const;

  // Totals over all models (for /metrics).
  SchedulerStats stats() const;

  // SIGTERM: every scheduler drains (see Scheduler::drain), in parallel.
  void drain(std::chrono::milliseconds grace);
  void stop();  // destroys the schedulers (after the HTTP server has stopped)

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Scheduler>> schedulers_;
  std::atomic<bool> ready_{false};
};

// Loads a model directory into an Engine (a thin wrapper over foley::Engine::load that
// resolves the T5 directory: <model>/t5 when present, else the model directory itself).
std::unique_ptr<Engine> load_engine(const std::string& model_dir, const std::string& t5_dir,
                                    const EngineOptions& options);

}  // namespace foley::server
