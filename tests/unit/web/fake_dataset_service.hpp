// An in-memory DatasetService for the web tests, with the real service's input checks and
// hashing. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "krige/service/dataset_service.hpp"

namespace krige::testing {

class FakeDatasetService : public service::DatasetService {
 public:
  service::Upload Put(const std::string& name, const std::string& bytes) override;
  std::string Bytes(const std::string& sha256) override;
  std::optional<service::Dataset> Find(const std::string& sha256) override;
  std::vector<service::Dataset> List(const std::optional<std::string>& name, int limit) override;

  int downloads() const;

 private:
  struct Stored {
    service::Dataset dataset;
    std::string bytes;
    int order = 0;  // of the latest upload
  };
  mutable std::mutex mutex_;
  std::vector<Stored> stored_;
  int uploads_ = 0;
  int downloads_ = 0;
};

}  // namespace krige::testing
