#include "objectives/dataset_cache.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <filesystem>
#include <fstream>
#include <random>

#include "krige/client.hpp"
#include "krige/error.hpp"
#include "krige/sha256.hpp"

namespace krige::objectives {
namespace fs = std::filesystem;
namespace {

std::string HttpFetch(const std::string& api_url, const std::string& sha256,
                      const std::string& capability) {
  // Generous timeout: datasets go up to 256 MiB. No token: a worker holds none.
  return Client::Connect(api_url, std::chrono::minutes(10), std::string())
      .DownloadDataset(sha256, capability);
}

}  // namespace

DatasetCache::DatasetCache(std::string dir, Fetch fetch)
    : dir_(std::move(dir)), fetch_(fetch ? std::move(fetch) : Fetch(HttpFetch)) {}

int DatasetCache::downloads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return downloads_;
}

std::string DatasetCache::DefaultDir(const char* xdg_cache_home, const char* home) {
  const auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  if (set(xdg_cache_home)) return (fs::path(xdg_cache_home) / "krige" / "datasets").string();
  if (set(home)) return (fs::path(home) / ".cache" / "krige" / "datasets").string();
  return "krige-datasets";
}

std::string DatasetCache::Path(const std::string& api_url, const std::string& sha256,
                               const std::string& capability) {
  if (!IsSha256Hex(sha256))
    throw Error(ErrorCode::kInvalidArgument, "malformed dataset hash \"" + sha256 + "\"",
                "training.dataset");
  const fs::path path = fs::path(dir_) / (sha256 + ".csv");

  std::shared_ptr<std::mutex> lock;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto& slot = locks_[sha256];
    if (!slot) slot = std::make_shared<std::mutex>();
    lock = slot;
  }
  std::lock_guard<std::mutex> one_download(*lock);
  std::error_code ec;
  if (fs::exists(path, ec)) return path.string();
  if (api_url.empty())
    throw Error(ErrorCode::kFailedPrecondition,
                "dataset sha256:" + sha256 +
                    " is not cached and the coordinator did not say where to fetch it "
                    "(start krige-server with --advertise-http)");

  const std::string bytes = fetch_(api_url, sha256, capability);
  const std::string actual = Sha256Hex(bytes);
  if (actual != sha256)
    throw Error(ErrorCode::kInternal, "dataset sha256:" + sha256 + " downloaded from " + api_url +
                                          " has sha256 " + actual + "; not used");
  fs::create_directories(dir_, ec);
  if (ec)
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot create the dataset cache " + dir_ + ": " + ec.message());
  std::random_device rd;
  const fs::path temp = fs::path(dir_) / ("." + sha256 + "." + std::to_string(::getpid()) + "." +
                                          std::to_string(rd()) + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      throw Error(ErrorCode::kFailedPrecondition, "cannot write " + temp.string());
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot move a dataset into " + path.string() + ": " + ec.message());
  }
  {
    std::lock_guard<std::mutex> guard(mutex_);
    ++downloads_;
  }
  spdlog::info("downloaded dataset sha256:{} ({} bytes) to {}", sha256, bytes.size(),
               path.string());
  return path.string();
}

}  // namespace krige::objectives
