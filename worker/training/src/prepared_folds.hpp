// The data side of a cross-validation (typed columns, the split, each fold's encoded training
// and test matrices) made once per distinct dataset version, split and encoding, and shared by
// every trial on it: the trials of one experiment differ only in hyperparameters, so
// re-encoding the same folds for each of them was work thrown away.
#pragma once

#include <Eigen/Dense>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "folds.hpp"
#include "krige/spec.hpp"

namespace krige::training {

struct PreparedFold {
  Eigen::MatrixXd x_train, x_test;  // encoded (imputed, scaled, one-hot) on the training rows
  Eigen::VectorXd y_train, y_test;
};

// The folds of one dataset version, split and encoding. Encoded once (`folds`) when all of
// them fit in the cache's bound; a larger dataset keeps only its typed data and split and
// encodes each fold when asked, one at a time, as a plain cross-validation would (every fold
// holds all the rows, so keeping k of them costs k times the data).
struct PreparedData {
  int n_classes = 0;  // as Dataset::n_classes
  int n_folds = 0;
  std::vector<PreparedFold> folds;  // n_folds entries, or empty (then encoded on demand)
  std::size_t bytes = 0;            // of what is kept
  // Fold f: the kept one, or encoded into *scratch.
  const PreparedFold& Fold(int f, PreparedFold* scratch) const;

  // Kept when `folds` is empty.
  std::shared_ptr<const Dataset> data;
  std::vector<training::Fold> splits;
  std::vector<std::string> preprocessing;
  std::string impute;
};

// Types and splits the data of `training` (dataset options, folds, repeats, shuffle_seed,
// stratified, fold_column) on `table`, and encodes the folds (preprocessing, impute) when they
// take at most `max_bytes`. Throws what MakeDataset, MakeFolds, FoldsFromIds and
// FeatureEncoder throw (kInvalidArgument naming the field).
PreparedData PrepareFolds(const Table& table, const TrainingSpec& training,
                          std::size_t max_bytes = std::size_t{256} << 20);

// A thread-safe cache of PrepareFolds results keyed by the table object and every field of
// `training` they depend on. A table is held weakly: an entry whose table was dropped (e.g.
// CachedTable replaced it after the file changed) is never served and is removed on the next
// Get. Least recently used entries are dropped to keep the matrices at most `max_bytes`; data
// whose folds do not fit in that is returned unencoded (see PreparedData) and not kept.
// Returned data is immutable and stays valid while held.
class PreparedFoldCache {
 public:
  explicit PreparedFoldCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  PreparedFoldCache(const PreparedFoldCache&) = delete;
  PreparedFoldCache& operator=(const PreparedFoldCache&) = delete;

  // Throws as PrepareFolds (nothing is kept then).
  std::shared_ptr<const PreparedData> Get(const std::shared_ptr<const Table>& table,
                                          const TrainingSpec& training);

  std::size_t bytes() const;
  std::size_t entries() const;
  std::size_t hits() const;
  std::size_t misses() const;

 private:
  struct Entry {
    std::weak_ptr<const Table> table;
    std::shared_ptr<const PreparedData> data;
    std::list<std::string>::iterator lru;
  };
  void DropLocked(std::map<std::string, Entry>::iterator it);

  const std::size_t max_bytes_;
  mutable std::mutex mu_;  // guards below
  std::map<std::string, Entry> map_;
  std::list<std::string> lru_;  // most recent first
  std::size_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

// The process-wide cache CrossValidate uses (at most 256 MB of matrices).
PreparedFoldCache& CvFoldCache();

}  // namespace krige::training
