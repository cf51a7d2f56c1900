#include "foley/studio/login_throttle.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace foley::studio {

namespace {
// Names are unique without regard to case, so their failures are counted that way too.
std::string fold(const std::string& name) {
  std::string out = name;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

int LoginThrottle::wait_for(std::deque<Clock::time_point>& failures, int limit, Clock::time_point now) {
  while (!failures.empty() && now - failures.front() >= limits_.window) failures.pop_front();
  if (static_cast<int>(failures.size()) < limit) return 0;
  const auto free_at = failures[failures.size() - static_cast<std::size_t>(limit)] + limits_.window;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(free_at - now).count() + 1;
  return static_cast<int>(std::max<int64_t>(1, seconds));
}

void LoginThrottle::prune_locked(
    std::unordered_map<std::string, std::deque<Clock::time_point>>& table, Clock::time_point now) {
  for (auto it = table.begin(); it != table.end();) {
    auto& failures = it->second;
    while (!failures.empty() && now - failures.front() >= limits_.window) failures.pop_front();
    it = failures.empty() ? table.erase(it) : std::next(it);
  }
}

int LoginThrottle::retry_after(const std::string& name, const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return std::max(wait_for(by_name_[fold(name)], limits_.per_name, now),
                  wait_for(by_address_[address], limits_.per_address, now));
}

void LoginThrottle::record_failure(const std::string& name, const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  by_name_[fold(name)].push_back(now);
  by_address_[address].push_back(now);
  // Bound memory under a spray of random names: drop entries with nothing in the window.
  if (by_name_.size() > 100000) prune_locked(by_name_, now);
  if (by_address_.size() > 100000) prune_locked(by_address_, now);
}

void LoginThrottle::record_success(const std::string& name) {
  std::lock_guard lock(mutex_);
  by_name_.erase(fold(name));
}

}  // namespace foley::studio
