// Datasets: numeric CSV files with a header, parsed once and cached by path.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "krige/spec.hpp"

namespace krige::training {

// A parsed CSV: every column but the target as numbers, the target as text (it may hold class
// names); one row per data line.
struct Table {
  std::vector<std::string> feature_names;
  Eigen::MatrixXd features;  // rows x features
  std::string target_name;
  std::vector<std::string> target;  // raw cells of the target column
};

// Parses CSV text. `source` names the input in error messages. Throws Error(kInvalidArgument)
// for a missing target column, ragged rows, empty or non-numeric cells (naming line and column).
Table ParseCsv(const std::string& text, const std::string& target, const std::string& source);

// Reads and parses a file; throws Error(kInvalidArgument) if it cannot be read.
Table LoadCsv(const std::string& path, const std::string& target);

// Features and labels ready for training.
struct Dataset {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;  // classification: class index 0..n_classes-1; regression: the value
  int n_classes = 0;  // 0 for regression
  std::vector<std::string> classes;  // class names in index order (sorted)
  // With a fold column: each row's fold index 0..n_folds-1 (distinct values sorted); else empty.
  std::vector<int> fold_of;
  int n_folds = 0;
};

// Classification: distinct target values sorted (numerically when all are numbers) become
// class indices. Regression: every target cell must be a number. A non-empty `fold_column`
// names the column holding user-given folds; it is taken out of the features.
Dataset MakeDataset(const Table& table, Task task, const std::string& fold_column = "");

// Thread-safe process-wide cache of parsed files, keyed by path, target column and the file's
// modification time and size. The returned table is immutable and shared.
std::shared_ptr<const Table> CachedTable(const std::string& path, const std::string& target);

}  // namespace krige::training
