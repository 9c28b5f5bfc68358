// Datasets: CSV files with a header, parsed once into raw columns and cached by path; each
// cross-validation call then selects and types the columns it needs.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "krige/spec.hpp"

namespace krige::training {

// One CSV column as read: the trimmed cells, and each cell as a number where it is one.
struct Column {
  std::string name;
  int index = 0;                   // 1-based position in the header (for messages)
  std::vector<std::string> cells;  // trimmed text, one per row
  std::vector<double> numbers;     // NaN where the cell is missing or not a number
  int first_missing = -1;          // first row (0-based) with a missing cell, -1 if none
  int first_text = -1;             // first row holding a present, non-numeric cell
  int present = 0;                 // rows with a present cell
  int text = 0;                    // present cells that are not numbers
};

// A parsed CSV. Missing cells are empty or one of NA, N/A, NaN, nan, null.
struct Table {
  std::string source;           // the path, for messages
  std::vector<Column> columns;  // header order
  std::vector<int> lines;       // the file line of each data row
  const Column* Find(const std::string& name) const;
  // "<source>: line L (row R), column C "name"" for row r (0-based) of `c`.
  std::string Where(const Column& c, int row) const;
};

// True for the cells that mean "no value".
bool IsMissing(const std::string& cell);

// Parses CSV text. `source` names the input in messages. Throws Error(kInvalidArgument) for an
// empty input, an empty column name, ragged rows (naming line and row) or no data rows.
Table ParseCsv(const std::string& text, const std::string& source);

// Reads and parses a file; throws Error(kInvalidArgument) if it cannot be read.
Table LoadCsv(const std::string& path);

// What to make of a table (see TrainingSpec).
struct DataOptions {
  Task task = Task::kClassification;
  std::string target = "target";
  std::string fold_column;
  std::vector<std::string> features;     // empty: every column but target and fold column
  std::vector<std::string> categorical;  // forced categorical (text columns are anyway)
  std::string impute;                    // "", mean, median, most_frequent
  static DataOptions From(const TrainingSpec& t);
  static DataOptions For(Task task, std::string fold_column = "") {
    DataOptions o;
    o.task = task;
    o.fold_column = std::move(fold_column);
    return o;
  }
};

// A categorical feature: its levels (distinct present values, sorted) and each row's level.
struct CategoricalColumn {
  std::string name;
  std::vector<std::string> levels;
  std::vector<int> code;  // index into levels, -1 when missing
};

// Features and labels ready for fold-wise encoding and training.
struct Dataset {
  Eigen::MatrixXd x;  // numeric features; NaN = missing (only with impute)
  std::vector<std::string> numeric_names;
  std::vector<CategoricalColumn> categorical;  // one-hot encoded inside each fold
  Eigen::VectorXd y;  // classification: class index 0..n_classes-1; regression: the value;
                      // clustering: zeros
  int n_classes = 0;  // 0 unless classification
  std::vector<std::string> classes;  // class names in index order (sorted)
  // With a fold column: each row's fold index 0..n_folds-1 (distinct values sorted); else empty.
  std::vector<int> fold_of;
  int n_folds = 0;
};

// Selects and types the columns. Classification: distinct target values sorted (numerically
// when all are numbers) become class indices. Regression: every target cell must be a number.
// Clustering: the target column, if present, is left out of the features. A column is
// categorical when listed in `categorical` or when every present cell is text. Throws
// Error(kInvalidArgument) naming line, row and column for a non-numeric cell in a numeric
// column, a missing value without `impute`, a missing target or fold; and naming the column for
// an unknown feature, target or fold column.
Dataset MakeDataset(const Table& table, const DataOptions& options);

// Thread-safe process-wide cache of parsed files, keyed by path and the file's modification
// time and size. The returned table is immutable and shared.
std::shared_ptr<const Table> CachedTable(const std::string& path);

}  // namespace krige::training
