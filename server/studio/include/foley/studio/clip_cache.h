// Clips the studio generated recently, kept in memory so the page can fetch each as WAV or
// FLAC and share one to the Plaza without generating it again (and without trusting audio
// uploaded by the browser). Bounded in count and age; private to the user who made them.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "foley/engine.h"

namespace foley::studio {

struct CachedClip {
  std::string id;
  int64_t user_id = 0;
  Clip clip;
  ClipRequest request;  // the parameters that made it (seed is this variant's own)
  std::string model;
};

class ClipCache {
 public:
  using Clock = std::chrono::steady_clock;
  // 64 clips of 10 s stereo 16-bit 48 kHz are about 120 MB at most.
  explicit ClipCache(std::size_t capacity = 64, std::chrono::seconds max_age = std::chrono::hours(1))
      : capacity_(capacity), max_age_(max_age) {}

  // Stores the clip under a new random id and returns it.
  std::string put(CachedClip clip);
  // The clip when it exists, is not too old and belongs to user_id.
  std::shared_ptr<const CachedClip> get(const std::string& id, int64_t user_id);

 private:
  struct Entry {
    std::shared_ptr<const CachedClip> clip;
    Clock::time_point stored;
  };
  void evict_locked(Clock::time_point now);

  std::size_t capacity_;
  std::chrono::seconds max_age_;
  std::mutex mutex_;
  std::list<std::string> order_;  // oldest first
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace foley::studio
