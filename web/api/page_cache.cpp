#include "page_cache.hpp"

namespace krige::web {

std::shared_ptr<const std::string> PageCache::Find(const std::string& key,
                                                   const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) return nullptr;
  const auto it = found->second;
  if (it->version != version) {
    Erase(it);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, it);
  return it->body;
}

void PageCache::Put(const std::string& key, const std::string& version, std::string body) {
  Entry entry{key, version, std::make_shared<const std::string>(std::move(body))};
  if (entry.bytes() > max_bytes_ / 8) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto found = by_key_.find(key); found != by_key_.end()) Erase(found->second);
  bytes_ += entry.bytes();
  entries_.push_front(std::move(entry));
  by_key_.emplace(key, entries_.begin());
  while (bytes_ > max_bytes_) Erase(std::prev(entries_.end()));
}

std::size_t PageCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

std::size_t PageCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void PageCache::Erase(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes();
  by_key_.erase(it->key);
  entries_.erase(it);
}

}  // namespace krige::web
