// Rendered answers kept until what they show changes. Each is kept under a key (the route and
// its decoded query) with the version of the data it was rendered from
// (ExperimentService::TrialsVersion); it is served only while that version is still the
// current one, so a kept answer is never older than a fresh one would be. Bounded in bytes:
// the least recently served answers go first. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace krige::web {

class PageCache {
 public:
  explicit PageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The body kept under `key` if it was rendered at `version`, else null (and a body kept
  // at another version is dropped: versions do not come back).
  std::shared_ptr<const std::string> Find(const std::string& key, const std::string& version);
  // Keeps `body` under `key` at `version`, in place of what was kept there. A body larger
  // than an eighth of the bound is not kept.
  void Put(const std::string& key, const std::string& version, std::string body);

  std::size_t bytes() const;
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string version;
    std::shared_ptr<const std::string> body;
    std::size_t bytes() const { return key.size() + version.size() + body->size(); }
  };
  void Erase(std::list<Entry>::iterator it);  // mutex held

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently served first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
  std::size_t bytes_ = 0;
};

}  // namespace krige::web
