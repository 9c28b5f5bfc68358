// libFuzzer target: the CSV dataset loader of the built-in training, ParseCsv (what LoadCsv
// and the worker's dataset cache run on a file's bytes) and MakeDataset under a few option
// sets: each task, with and without imputation, a fold column and a forced categorical.
//
// Holds for every input: krige::Error is the only exception (a worker reports it as the
// trial's failure); a parsed table has one cell and one number per row in every column; a
// dataset has one row of features, one label and one code per categorical column for every
// table row, and every class, level and fold index is in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "fuzz_check.hpp"
#include "krige/error.hpp"

namespace {

using krige::training::DataOptions;
using krige::training::Dataset;
using krige::training::Table;

void CheckTable(const Table& t) {
  KRIGE_FUZZ_CHECK(!t.columns.empty() && !t.lines.empty());
  for (const auto& c : t.columns) {
    KRIGE_FUZZ_CHECK(!c.name.empty());
    KRIGE_FUZZ_CHECK(c.cells.size() == t.lines.size() && c.numbers.size() == t.lines.size());
    KRIGE_FUZZ_CHECK(c.text <= c.present && c.present <= static_cast<int>(t.lines.size()));
  }
}

void CheckDataset(const Table& t, const DataOptions& o, const Dataset& d) {
  const auto n = static_cast<Eigen::Index>(t.lines.size());
  KRIGE_FUZZ_CHECK(d.x.rows() == n && d.y.size() == n);
  KRIGE_FUZZ_CHECK(d.x.cols() == static_cast<Eigen::Index>(d.numeric_names.size()));
  for (const auto& c : d.categorical) {
    KRIGE_FUZZ_CHECK(static_cast<Eigen::Index>(c.code.size()) == n);
    for (int code : c.code)
      KRIGE_FUZZ_CHECK(code >= -1 && code < static_cast<int>(c.levels.size()));
  }
  if (o.task == krige::Task::kClassification) {
    KRIGE_FUZZ_CHECK(d.n_classes >= 2 && d.n_classes == static_cast<int>(d.classes.size()));
    for (Eigen::Index i = 0; i < n; ++i) KRIGE_FUZZ_CHECK(d.y(i) >= 0 && d.y(i) < d.n_classes);
  }
  if (!o.fold_column.empty()) {
    KRIGE_FUZZ_CHECK(d.n_folds >= 2 && static_cast<Eigen::Index>(d.fold_of.size()) == n);
    for (int f : d.fold_of) KRIGE_FUZZ_CHECK(f >= 0 && f < d.n_folds);
  }
}

std::vector<DataOptions> OptionSets(const Table& t) {
  const std::string& first = t.columns.front().name;
  const std::string& last = t.columns.back().name;
  std::vector<DataOptions> sets;
  DataOptions o = DataOptions::For(krige::Task::kClassification);  // target "target"
  sets.push_back(o);
  o.target = last;
  sets.push_back(o);
  o = DataOptions::For(krige::Task::kRegression);
  o.target = last;
  o.impute = "mean";
  sets.push_back(o);
  o = DataOptions::For(krige::Task::kClustering);
  o.impute = "median";
  sets.push_back(o);
  if (t.columns.size() >= 3) {
    o = DataOptions::For(krige::Task::kClassification, t.columns[1].name);
    o.target = last;
    o.categorical = {first};
    o.impute = "most_frequent";
    sets.push_back(o);
  }
  return sets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Table table;
  try {
    table = krige::training::ParseCsv(text, "fuzz.csv");
  } catch (const krige::Error&) {
    return 0;
  }
  CheckTable(table);
  for (const DataOptions& options : OptionSets(table)) {
    try {
      CheckDataset(table, options, krige::training::MakeDataset(table, options));
    } catch (const krige::Error&) {
    }
  }
  return 0;
}
