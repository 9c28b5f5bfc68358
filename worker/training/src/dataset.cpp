#include "dataset.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "krige/error.hpp"

namespace krige::training {
namespace {

[[noreturn]] void Bad(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message, "training.dataset");
}

std::string Trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// Splits one line on commas; double-quoted cells may contain commas ("" is a literal quote).
std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(Trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(Trim(cell));
  return cells;
}

bool ParseNumber(const std::string& text, double* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || std::isnan(v)) return false;
  *out = v;
  return true;
}

}  // namespace

Table ParseCsv(const std::string& text, const std::string& target, const std::string& source) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_no;
    if (!Trim(line).empty()) header = SplitLine(line);
  }
  if (header.empty()) Bad(source + ": empty file (expected a header row)");
  int target_col = -1;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].empty())
      Bad(source + ": line " + std::to_string(line_no) + ", column " + std::to_string(c + 1) +
          ": empty column name");
    if (header[c] == target) target_col = static_cast<int>(c);
  }
  if (target_col < 0) Bad(source + ": no target column \"" + target + "\" in the header");

  Table table;
  table.target_name = target;
  for (std::size_t c = 0; c < header.size(); ++c)
    if (static_cast<int>(c) != target_col) table.feature_names.push_back(header[c]);
  const std::size_t n_features = table.feature_names.size();

  std::vector<double> values;  // row-major
  int rows = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    const auto cells = SplitLine(line);
    if (cells.size() != header.size())
      Bad(source + ": line " + std::to_string(line_no) + " (row " + std::to_string(rows + 1) +
          ") has " + std::to_string(cells.size()) + " cells, the header has " +
          std::to_string(header.size()));
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (static_cast<int>(c) == target_col) {
        if (cells[c].empty())
          Bad(source + ": line " + std::to_string(line_no) + " (row " + std::to_string(rows + 1) +
              "), column " + std::to_string(c + 1) + " \"" + header[c] + "\": empty target");
        table.target.push_back(cells[c]);
        continue;
      }
      double v = 0;
      if (!ParseNumber(cells[c], &v))
        Bad(source + ": line " + std::to_string(line_no) + " (row " + std::to_string(rows + 1) +
            "), column " + std::to_string(c + 1) + " \"" + header[c] + "\": \"" + cells[c] +
            "\" is not a number");
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) Bad(source + ": no data rows");
  table.features.resize(rows, static_cast<Eigen::Index>(n_features));
  for (int r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < n_features; ++c)
      table.features(r, static_cast<Eigen::Index>(c)) = values[r * n_features + c];
  return table;
}

Table LoadCsv(const std::string& path, const std::string& target) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Bad("cannot read dataset \"" + path + "\"");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) Bad("cannot read dataset \"" + path + "\"");
  return ParseCsv(text.str(), target, path);
}

Dataset MakeDataset(const Table& table, Task task, const std::string& fold_column) {
  Dataset d;
  d.x = table.features;
  const auto n = static_cast<Eigen::Index>(table.target.size());
  if (!fold_column.empty()) {
    const auto it = std::find(table.feature_names.begin(), table.feature_names.end(), fold_column);
    if (it == table.feature_names.end())
      throw Error(ErrorCode::kInvalidArgument,
                  "no fold column \"" + fold_column + "\" in the header", "training.fold_column");
    const auto col = static_cast<Eigen::Index>(it - table.feature_names.begin());
    std::vector<double> values(table.features.col(col).data(), table.features.col(col).data() + n);
    std::vector<double> distinct = values;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() < 2)
      throw Error(ErrorCode::kInvalidArgument,
                  "fold column \"" + fold_column + "\" must hold at least two distinct values",
                  "training.fold_column");
    for (double v : values)
      d.fold_of.push_back(static_cast<int>(std::lower_bound(distinct.begin(), distinct.end(), v) -
                                           distinct.begin()));
    d.n_folds = static_cast<int>(distinct.size());
    std::vector<Eigen::Index> keep;
    for (Eigen::Index c = 0; c < d.x.cols(); ++c)
      if (c != col) keep.push_back(c);
    d.x = Eigen::MatrixXd(table.features(Eigen::all, keep));
  }
  d.y.resize(n);
  if (task == Task::kClustering) {  // nothing to learn: the target is only kept out of x
    d.y.setZero();
    return d;
  }
  if (task == Task::kRegression) {
    for (Eigen::Index i = 0; i < n; ++i) {
      double v = 0;
      if (!ParseNumber(table.target[i], &v))
        Bad("row " + std::to_string(i + 1) + ", target column \"" + table.target_name + "\": \"" +
            table.target[i] + "\" is not a number (regression needs numeric targets)");
      d.y(i) = v;
    }
    return d;
  }
  std::vector<std::string> classes = table.target;
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  bool numeric = true;
  std::map<std::string, double> as_number;
  for (const auto& c : classes) {
    double v = 0;
    numeric = numeric && ParseNumber(c, &v);
    as_number[c] = v;
  }
  if (numeric) {
    std::stable_sort(
        classes.begin(), classes.end(),
        [&](const std::string& a, const std::string& b) { return as_number[a] < as_number[b]; });
    // "1" and "1.0" are the same class.
    std::vector<std::string> merged;
    for (const auto& c : classes)
      if (merged.empty() || as_number[merged.back()] != as_number[c]) merged.push_back(c);
    classes = merged;
  }
  if (classes.size() < 2)
    Bad("target column \"" + table.target_name + "\" has fewer than two classes");
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<int>(i);
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::string& cell = table.target[i];
    auto it = index.find(cell);
    if (it == index.end()) {  // numerically equal to a merged class name
      for (std::size_t c = 0; c < classes.size(); ++c)
        if (as_number[classes[c]] == as_number[cell]) it = index.find(classes[c]);
    }
    d.y(i) = it->second;
  }
  d.n_classes = static_cast<int>(classes.size());
  d.classes = std::move(classes);
  return d;
}

std::shared_ptr<const Table> CachedTable(const std::string& path, const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) Bad("cannot read dataset \"" + path + "\": " + ec.message());
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  using Key = std::tuple<std::string, std::string, std::uintmax_t, long long>;
  const Key key{fs::absolute(path, ec).lexically_normal().string(), target, size,
                static_cast<long long>(mtime)};

  static std::mutex mu;
  static std::map<Key, std::shared_ptr<const Table>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  // Parse outside the lock: two threads may parse the same file once each, but a slow file
  // never blocks other datasets.
  auto table = std::make_shared<const Table>(LoadCsv(path, target));
  std::lock_guard<std::mutex> lock(mu);
  // Drop older versions of the same file.
  for (auto it = cache.begin(); it != cache.end();) {
    if (std::get<0>(it->first) == std::get<0>(key) && std::get<1>(it->first) == target &&
        it->first != key)
      it = cache.erase(it);
    else
      ++it;
  }
  return cache.emplace(key, table).first->second;
}

}  // namespace krige::training
