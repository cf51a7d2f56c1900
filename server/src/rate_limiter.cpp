#include "foley/server/rate_limiter.h"

#include <algorithm>

namespace foley::server {
namespace {
int ceil_seconds(RateLimiter::Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::max<int64_t>(0, (ms + 999) / 1000));
}
}  // namespace

RateLimiter::Decision RateLimiter::check(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& hits = hits_[key];
  while (!hits.empty() && now - hits.front() >= window_) hits.pop_front();
  Decision decision;
  if (static_cast<int>(hits.size()) < limit_) {
    hits.push_back(now);
    decision.allowed = true;
  }
  decision.remaining = std::max(0, limit_ - static_cast<int>(hits.size()));
  decision.reset_seconds = hits.empty() ? 0 : ceil_seconds(hits.front() + window_ - now);
  if (!decision.allowed) decision.retry_after = std::max(1, decision.reset_seconds);
  // Forget idle keys now and then so the map does not grow with every key ever seen.
  if (hits_.size() > 4096) {
    std::erase_if(hits_, [&](const auto& entry) {
      return entry.second.empty() || now - entry.second.back() >= window_;
    });
  }
  return decision;
}

}  // namespace foley::server
