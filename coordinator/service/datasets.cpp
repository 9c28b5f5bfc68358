#include "datasets.hpp"

#include <spdlog/spdlog.h>

#include "krige/limits.hpp"
#include "krige/sha256.hpp"

namespace krige::service {
namespace {

constexpr std::size_t kMaxNameLength = 200;

void CheckHash(const std::string& sha256) {
  if (!IsSha256Hex(sha256))
    throw Error(ErrorCode::kInvalidArgument,
                "a dataset is named by 64 lower-case hex digits (its SHA-256)", "sha256");
}

}  // namespace

StoredDatasetService::StoredDatasetService(storage::DatasetRepository& datasets)
    : datasets_(datasets) {}

Upload StoredDatasetService::Put(const std::string& name, const std::string& bytes) {
  if (name.empty() || name.size() > kMaxNameLength)
    throw Error(ErrorCode::kInvalidArgument, "a dataset needs a name of 1 to 200 characters",
                "name");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorCode::kInvalidArgument, "a dataset name has no control characters", "name");
  if (!IsValidUtf8(name))
    throw Error(ErrorCode::kInvalidArgument, "a dataset name must be valid UTF-8", "name");
  if (bytes.empty()) throw Error(ErrorCode::kInvalidArgument, "the dataset is empty", "body");
  const std::string sha256 = Sha256Hex(bytes);
  Upload upload = datasets_.Put(sha256, name, bytes);
  spdlog::info("dataset {} \"{}\" ({} bytes) {}", sha256, name, bytes.size(),
               upload.created ? "stored" : "uploaded again");
  return upload;
}

std::string StoredDatasetService::Bytes(const std::string& sha256) {
  CheckHash(sha256);
  auto bytes = datasets_.Bytes(sha256);
  if (!bytes) throw Error(ErrorCode::kNotFound, "no dataset " + sha256, "sha256");
  // Workers fetch a dataset once per machine; this line lets an operator (and the e2e test)
  // see how often that happens.
  spdlog::info("dataset {} downloaded ({} bytes)", sha256, bytes->size());
  return std::move(*bytes);
}

std::optional<Dataset> StoredDatasetService::Find(const std::string& sha256) {
  CheckHash(sha256);
  return datasets_.Find(sha256);
}

std::vector<Dataset> StoredDatasetService::List(const std::optional<std::string>& name, int limit) {
  return datasets_.List(name, limit);
}

void ResolveDataset(ExperimentSpec& spec, storage::DatasetRepository& datasets) {
  std::string& dataset = spec.training.dataset;
  if (spec.training.kind != "cv") return;
  if (dataset.rfind("name:", 0) == 0) {
    const std::string name = dataset.substr(5);
    const auto found = datasets.FindByName(name);
    if (!found)
      throw ValidationError(
          {{"training.dataset", "no dataset named \"" + name + "\" has been uploaded"}});
    dataset = "sha256:" + found->sha256;
  } else if (dataset.rfind("sha256:", 0) == 0) {
    const std::string sha256 = dataset.substr(7);
    if (IsSha256Hex(sha256) && !datasets.Find(sha256))
      throw ValidationError({{"training.dataset", "no dataset " + sha256 + " has been uploaded"}});
  }
}

}  // namespace krige::service
