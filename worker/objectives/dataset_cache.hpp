// Datasets a worker fetched from its coordinator, kept on disk by hash, so each machine
// downloads a dataset once and a worker needs no shared disk.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace krige::objectives {

class DatasetCache {
 public:
  // Downloads the bytes of `sha256` from the REST API at `api_url`, presenting `capability`
  // (what the coordinator sent with the ASSIGN; may be empty); throws krige::Error.
  using Fetch = std::function<std::string(const std::string& api_url, const std::string& sha256,
                                          const std::string& capability)>;

  // `dir` is created on first use. `fetch` defaults to HTTP through krige::Client, without a
  // REST token: the capability is the worker's permission.
  explicit DatasetCache(std::string dir, Fetch fetch = {});

  // The local path of the dataset `sha256` (64 hex digits): the cached file, or a fresh
  // download, checked against the hash, written to a temporary file and renamed into place
  // (so concurrent workers sharing the directory never see half a file). Thread-safe: slots
  // of one worker asking for the same dataset wait for one download. Throws krige::Error:
  // kInvalidArgument for a malformed hash, kFailedPrecondition without an api_url or when the
  // directory cannot be written, kInternal when the downloaded bytes do not match the hash,
  // or what `fetch` throws. A file found in the cache is trusted (it was checked when
  // written).
  std::string Path(const std::string& api_url, const std::string& sha256,
                   const std::string& capability = "");

  const std::string& dir() const { return dir_; }
  // Downloads made by this cache (not the files found on disk).
  int downloads() const;

  // ${XDG_CACHE_HOME:-$HOME/.cache}/krige/datasets (null or empty variables count as unset);
  // "./krige-datasets" when neither is set.
  static std::string DefaultDir(const char* xdg_cache_home, const char* home);

 private:
  std::string dir_;
  Fetch fetch_;
  mutable std::mutex mutex_;  // guards downloads_ and locks_
  int downloads_ = 0;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;  // one per hash being fetched
};

}  // namespace krige::objectives
