// DatasetService over the DatasetRepository: hashing and input checks live here, the bytes in
// the store.
#pragma once

#include "krige/service/dataset_service.hpp"
#include "krige/storage/repositories.hpp"

namespace krige::service {

class StoredDatasetService : public DatasetService {
 public:
  explicit StoredDatasetService(storage::DatasetRepository& datasets);

  Upload Put(const std::string& name, const std::string& bytes) override;
  std::string Bytes(const std::string& sha256) override;
  std::optional<Dataset> Find(const std::string& sha256) override;
  std::vector<Dataset> List(const std::optional<std::string>& name, int limit) override;

 private:
  storage::DatasetRepository& datasets_;
};

// A spec's "name:<name>" dataset becomes "sha256:<hex>" of the latest upload with that name;
// a "sha256:<hex>" must name a stored dataset. Throws ValidationError (field
// training.dataset) otherwise. Paths and command specs are left alone.
void ResolveDataset(ExperimentSpec& spec, storage::DatasetRepository& datasets);

}  // namespace krige::service
