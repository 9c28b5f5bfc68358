#include "dataset.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "krige/error.hpp"

namespace krige::training {
namespace {

[[noreturn]] void Bad(const std::string& message, const std::string& field = "training.dataset") {
  throw Error(ErrorCode::kInvalidArgument, message, field);
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

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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

// Distinct values sorted numerically when all are numbers ("1" and "1.0" are one value, named
// by its first spelling in sorted order), else as text; `index_of` maps every cell to its value.
std::vector<std::string> SortedDistinct(const std::vector<std::string>& cells,
                                        std::vector<int>* index_of) {
  std::vector<std::string> values = cells;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  bool numeric = true;
  std::map<std::string, double> as_number;
  for (const auto& v : values) {
    double x = 0;
    numeric = numeric && ParseNumber(v, &x);
    as_number[v] = x;
  }
  std::map<std::string, int> index;
  if (numeric) {
    std::stable_sort(values.begin(), values.end(), [&](const std::string& a, const std::string& b) {
      return as_number[a] < as_number[b];
    });
    std::vector<std::string> merged;
    for (const auto& v : values) {
      if (merged.empty() || as_number[merged.back()] != as_number[v]) merged.push_back(v);
      index[v] = static_cast<int>(merged.size()) - 1;
    }
    values = merged;
  } else {
    for (std::size_t i = 0; i < values.size(); ++i) index[values[i]] = static_cast<int>(i);
  }
  if (index_of) {
    index_of->clear();
    for (const auto& c : cells) index_of->push_back(index.at(c));
  }
  return values;
}

}  // namespace

bool IsMissing(const std::string& cell) {
  return cell.empty() || cell == "NA" || cell == "N/A" || cell == "NaN" || cell == "nan" ||
         cell == "null";
}

const Column* Table::Find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::string Table::Where(const Column& c, int row) const {
  return source + ": line " + std::to_string(lines[row]) + " (row " + std::to_string(row + 1) +
         "), column " + std::to_string(c.index) + " \"" + c.name + "\"";
}

Table ParseCsv(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_no;
    if (!Trim(line).empty()) header = SplitLine(line);
  }
  if (header.empty()) Bad(source + ": empty file (expected a header row)");
  Table table;
  table.source = source;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].empty())
      Bad(source + ": line " + std::to_string(line_no) + ", column " + std::to_string(c + 1) +
          ": empty column name");
    Column col;
    col.name = header[c];
    col.index = static_cast<int>(c + 1);
    table.columns.push_back(std::move(col));
  }
  int rows = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    auto cells = SplitLine(line);
    if (cells.size() != header.size())
      Bad(source + ": line " + std::to_string(line_no) + " (row " + std::to_string(rows + 1) +
          ") has " + std::to_string(cells.size()) + " cells, the header has " +
          std::to_string(header.size()));
    for (std::size_t c = 0; c < cells.size(); ++c) {
      Column& col = table.columns[c];
      double v = std::numeric_limits<double>::quiet_NaN();
      if (IsMissing(cells[c])) {
        if (col.first_missing < 0) col.first_missing = rows;
      } else {
        ++col.present;
        if (!ParseNumber(cells[c], &v)) {
          v = std::numeric_limits<double>::quiet_NaN();
          ++col.text;
          if (col.first_text < 0) col.first_text = rows;
        }
      }
      col.numbers.push_back(v);
      col.cells.push_back(std::move(cells[c]));
    }
    table.lines.push_back(line_no);
    ++rows;
  }
  if (rows == 0) Bad(source + ": no data rows");
  return table;
}

Table LoadCsv(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Bad("cannot read dataset \"" + path + "\"");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) Bad("cannot read dataset \"" + path + "\"");
  return ParseCsv(text.str(), path);
}

DataOptions DataOptions::From(const TrainingSpec& t) {
  DataOptions o;
  o.task = t.task;
  o.target = t.target;
  o.fold_column = t.fold_column;
  o.features = t.features;
  o.categorical = t.categorical;
  o.impute = t.impute;
  return o;
}

Dataset MakeDataset(const Table& table, const DataOptions& options) {
  const auto n = static_cast<Eigen::Index>(table.lines.size());
  const Column* target = table.Find(options.target);
  if (!target && options.task != Task::kClustering)
    Bad(table.source + ": no target column \"" + options.target + "\" in the header",
        "training.target");
  const Column* fold = nullptr;
  if (!options.fold_column.empty()) {
    fold = table.Find(options.fold_column);
    if (!fold)
      Bad(table.source + ": no fold column \"" + options.fold_column + "\" in the header",
          "training.fold_column");
  }
  for (std::size_t i = 0; i < options.categorical.size(); ++i)
    if (!table.Find(options.categorical[i]))
      Bad(table.source + ": no column \"" + options.categorical[i] + "\" (training.categorical)",
          "training.categorical[" + std::to_string(i) + "]");

  // The feature columns, in header order unless `features` gives an order.
  std::vector<const Column*> selected;
  if (!options.features.empty()) {
    for (std::size_t i = 0; i < options.features.size(); ++i) {
      const std::string& name = options.features[i];
      const std::string field = "training.features[" + std::to_string(i) + "]";
      const Column* c = table.Find(name);
      if (!c) Bad(table.source + ": no feature column \"" + name + "\" in the header", field);
      if (c == target || c == fold)
        Bad("\"" + name + "\" is the " + (c == target ? "target" : "fold") +
                " column and cannot be a feature",
            field);
      selected.push_back(c);
    }
  } else {
    for (const auto& c : table.columns)
      if (&c != target && &c != fold) selected.push_back(&c);
  }
  if (selected.empty()) Bad(table.source + ": no feature columns", "training.features");

  Dataset d;
  std::vector<const Column*> numeric;
  for (const Column* c : selected) {
    const bool categorical =
        Contains(options.categorical, c->name) || (c->present > 0 && c->text == c->present);
    if (c->first_missing >= 0 && options.impute.empty())
      Bad(table.Where(*c, c->first_missing) + ": missing value \"" + c->cells[c->first_missing] +
          "\" (set training.impute to mean, median or most_frequent to fill it)");
    if (categorical) {
      CategoricalColumn cat;
      cat.name = c->name;
      std::vector<std::string> present;
      for (Eigen::Index r = 0; r < n; ++r)
        if (!IsMissing(c->cells[r])) present.push_back(c->cells[r]);
      std::vector<int> index;
      cat.levels = SortedDistinct(present, &index);
      for (Eigen::Index r = 0, p = 0; r < n; ++r)
        cat.code.push_back(IsMissing(c->cells[r]) ? -1 : index[p++]);
      d.categorical.push_back(std::move(cat));
      continue;
    }
    if (c->first_text >= 0)
      Bad(table.Where(*c, c->first_text) + ": \"" + c->cells[c->first_text] +
          "\" is not a number (list the column in training.categorical to one-hot encode it)");
    numeric.push_back(c);
  }
  d.x.resize(n, static_cast<Eigen::Index>(numeric.size()));
  for (std::size_t j = 0; j < numeric.size(); ++j) {
    d.numeric_names.push_back(numeric[j]->name);
    for (Eigen::Index r = 0; r < n; ++r)
      d.x(r, static_cast<Eigen::Index>(j)) = numeric[j]->numbers[r];
  }

  if (fold) {
    if (fold->first_missing >= 0)
      Bad(table.Where(*fold, fold->first_missing) + ": missing fold", "training.fold_column");
    const auto names = SortedDistinct(fold->cells, &d.fold_of);
    if (names.size() < 2)
      Bad("fold column \"" + fold->name + "\" must hold at least two distinct values",
          "training.fold_column");
    d.n_folds = static_cast<int>(names.size());
  }

  d.y = Eigen::VectorXd::Zero(n);
  if (options.task == Task::kClustering) return d;
  if (target->first_missing >= 0)
    Bad(table.Where(*target, target->first_missing) + ": missing target");
  if (options.task == Task::kRegression) {
    if (target->first_text >= 0)
      Bad(table.Where(*target, target->first_text) + ": \"" + target->cells[target->first_text] +
          "\" is not a number (regression needs numeric targets)");
    for (Eigen::Index i = 0; i < n; ++i) d.y(i) = target->numbers[i];
    return d;
  }
  std::vector<int> index;
  d.classes = SortedDistinct(target->cells, &index);
  if (d.classes.size() < 2)
    Bad("target column \"" + target->name + "\" has fewer than two classes", "training.target");
  for (Eigen::Index i = 0; i < n; ++i) d.y(i) = index[i];
  d.n_classes = static_cast<int>(d.classes.size());
  return d;
}

std::shared_ptr<const Table> CachedTable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) Bad("cannot read dataset \"" + path + "\": " + ec.message());
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  using Key = std::tuple<std::string, std::uintmax_t, long long>;
  const Key key{fs::absolute(path, ec).lexically_normal().string(), size,
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
  auto table = std::make_shared<const Table>(LoadCsv(path));
  std::lock_guard<std::mutex> lock(mu);
  // Drop older versions of the same file.
  for (auto it = cache.begin(); it != cache.end();) {
    if (std::get<0>(it->first) == std::get<0>(key) && it->first != key)
      it = cache.erase(it);
    else
      ++it;
  }
  return cache.emplace(key, table).first->second;
}

}  // namespace krige::training
