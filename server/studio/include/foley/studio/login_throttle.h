// Login throttling: failed sign-ins are counted per username and per client address in a
// sliding window; past the limit, sign-in is refused (429 with Retry-After) until the oldest
// failure leaves the window, even with the right password. A success clears the username's
// failures. Kept in memory: a restart forgets them, which only helps the real user.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace foley::studio {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    int per_name = 5;      // failures per username in the window
    int per_address = 20;  // failures per client address in the window
    std::chrono::seconds window{15 * 60};
  };

  LoginThrottle() = default;
  explicit LoginThrottle(Limits limits) : limits_(limits) {}

  // 0 when an attempt may proceed; otherwise whole seconds to wait.
  int retry_after(const std::string& name, const std::string& address, Clock::time_point now = Clock::now());
  void record_failure(const std::string& name, const std::string& address, Clock::time_point now = Clock::now());
  void record_success(const std::string& name);

 private:
  int wait_for(std::deque<Clock::time_point>& failures, int limit, Clock::time_point now);
  void prune_locked(std::unordered_map<std::string, std::deque<Clock::time_point>>& table,
                    Clock::time_point now);
  Limits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> by_name_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> by_address_;
};

}  // namespace foley::studio
