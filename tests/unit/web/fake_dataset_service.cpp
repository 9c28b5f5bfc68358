#include "fake_dataset_service.hpp"

#include <algorithm>

#include "krige/error.hpp"
#include "krige/sha256.hpp"

namespace krige::testing {

service::Upload FakeDatasetService::Put(const std::string& name, const std::string& bytes) {
  if (name.empty() || name.size() > 200)
    throw Error(ErrorCode::kInvalidArgument, "a dataset needs a name of 1 to 200 characters",
                "name");
  if (bytes.empty()) throw Error(ErrorCode::kInvalidArgument, "the dataset is empty", "body");
  const std::string sha256 = Sha256Hex(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  const int order = ++uploads_;
  const std::string at = "2026-11-29T10:00:" + std::to_string(10 + order % 50) + ".000Z";
  for (auto& s : stored_) {
    if (s.dataset.sha256 != sha256) continue;
    s.dataset.name = name;
    s.dataset.created_at = at;
    s.order = order;
    return {s.dataset, false};
  }
  service::Dataset d{sha256, name, static_cast<std::int64_t>(bytes.size()), at};
  stored_.push_back({d, bytes, order});
  return {d, true};
}

std::string FakeDatasetService::Bytes(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) throw Error(ErrorCode::kInvalidArgument, "malformed hash", "sha256");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& s : stored_)
    if (s.dataset.sha256 == sha256) {
      ++downloads_;
      return s.bytes;
    }
  throw Error(ErrorCode::kNotFound, "no dataset " + sha256, "sha256");
}

std::optional<service::Dataset> FakeDatasetService::Find(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) throw Error(ErrorCode::kInvalidArgument, "malformed hash", "sha256");
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& s : stored_)
    if (s.dataset.sha256 == sha256) return s.dataset;
  return std::nullopt;
}

std::vector<service::Dataset> FakeDatasetService::List(const std::optional<std::string>& name,
                                                       int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Stored> sorted = stored_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Stored& a, const Stored& b) { return a.order > b.order; });
  std::vector<service::Dataset> out;
  for (const auto& s : sorted) {
    if (name && s.dataset.name != *name) continue;
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(s.dataset);
  }
  return out;
}

int FakeDatasetService::downloads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return downloads_;
}

}  // namespace krige::testing
