#include "foley/studio/clip_cache.h"

#include "foley/studio/secrets.h"

namespace foley::studio {

void ClipCache::evict_locked(Clock::time_point now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    const bool too_many = entries_.size() > capacity_;
    const bool too_old = it == entries_.end() || now - it->second.stored > max_age_;
    if (!too_many && !too_old) break;
    if (it != entries_.end()) entries_.erase(it);
    order_.pop_front();
  }
}

std::string ClipCache::put(CachedClip clip) {
  clip.id = random_hex(12);
  const std::string id = clip.id;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  entries_[id] = Entry{std::make_shared<const CachedClip>(std::move(clip)), now};
  order_.push_back(id);
  evict_locked(now);
  return id;
}

std::shared_ptr<const CachedClip> ClipCache::get(const std::string& id, int64_t user_id) {
  std::lock_guard lock(mutex_);
  evict_locked(Clock::now());
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.clip->user_id != user_id) return nullptr;
  return it->second.clip;
}

}  // namespace foley::studio
