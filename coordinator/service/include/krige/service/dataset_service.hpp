// Datasets uploaded through the API and stored by the SHA-256 of their bytes (issue 4, item 5).
// The web layer depends on this interface only; the coordinator's composition root supplies
// the implementation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krige::service {

struct Dataset {
  std::string sha256;      // lower-case hex of the bytes: the dataset's identity
  std::string name;        // the name of its latest upload
  std::int64_t size = 0;   // bytes
  std::string created_at;  // of the latest upload, ISO 8601 UTC
};

struct Upload {
  Dataset dataset;
  bool created = false;  // false: these bytes were stored before (the upload changed nothing
                         // but the name and time of the latest upload)
};

// Thread-safe: called concurrently from the HTTP handler threads. Errors are krige::Error:
// kInvalidArgument (field "name" or "sha256") for a bad name, an empty body or a malformed
// hash, kNotFound for an unknown hash, kUnavailable when the database is unreachable.
class DatasetService {
 public:
  virtual ~DatasetService() = default;
  // Hashes and stores `bytes` under `name` (1..200 characters). Idempotent: the same bytes
  // give the same sha256, whatever the name.
  virtual Upload Put(const std::string& name, const std::string& bytes) = 0;
  // The bytes of a dataset.
  virtual std::string Bytes(const std::string& sha256) = 0;
  // A dataset's description, or nullopt when no dataset has that hash.
  virtual std::optional<Dataset> Find(const std::string& sha256) = 0;
  // Newest upload first, at most `limit` (1..1000), optionally only those called `name`.
  virtual std::vector<Dataset> List(const std::optional<std::string>& name, int limit) = 0;
};

}  // namespace krige::service
