// RateLimiter: sliding 60 s window per key (limit and window configurable). Each key keeps
// the times of its accepted requests in the window; a request is allowed while fewer than
// `limit` fall inside it. Retry-After is the time until the oldest one leaves the window.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace foley::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}

  struct Decision {
    bool allowed = false;
    int remaining = 0;        // requests left in the window after this one
    int reset_seconds = 0;    // whole seconds until the window frees a slot (RateLimit t=)
    int retry_after = 0;      // whole seconds until a request is allowed again (when denied)
  };
  Decision check(const std::string& key, Clock::time_point now = Clock::now());

  int limit() const { return limit_; }
  int window_seconds() const { return static_cast<int>(window_.count()); }

 private:
  int limit_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> hits_;
};

}  // namespace foley::server
