#include "prepared_folds.hpp"

#include <cstdint>

#include "folds.hpp"
#include "krige/error.hpp"
#include "preprocessing.hpp"

namespace krige::training {
namespace {

// Each field length-prefixed, so no two different specs share a key.
void Put(std::string* key, const std::string& s) {
  *key += std::to_string(s.size());
  *key += ':';
  *key += s;
}

void Put(std::string* key, const std::vector<std::string>& list) {
  Put(key, std::to_string(list.size()));
  for (const auto& s : list) Put(key, s);
}

std::string KeyOf(const Table* table, const TrainingSpec& t) {
  std::string key;
  Put(&key, std::to_string(reinterpret_cast<std::uintptr_t>(table)));
  Put(&key, std::to_string(static_cast<int>(t.task)));
  Put(&key, t.target);
  Put(&key, t.fold_column);
  Put(&key, t.features);
  Put(&key, t.categorical);
  Put(&key, t.impute);
  Put(&key, t.preprocessing);
  Put(&key, std::to_string(t.folds));
  Put(&key, std::to_string(t.repeats));
  Put(&key, std::to_string(t.shuffle_seed));
  Put(&key, t.stratified ? "1" : "0");
  return key;
}

std::size_t Bytes(const Eigen::MatrixXd& m) {
  return static_cast<std::size_t>(m.size()) * sizeof(double);
}
std::size_t Bytes(const Eigen::VectorXd& v) {
  return static_cast<std::size_t>(v.size()) * sizeof(double);
}

}  // namespace

PreparedData PrepareFolds(const Table& table, const TrainingSpec& training, std::size_t max_bytes) {
  auto data = std::make_shared<const Dataset>(MakeDataset(table, DataOptions::From(training)));
  const int n = static_cast<int>(data->x.rows());
  std::vector<training::Fold> folds;
  if (!training.fold_column.empty()) {
    if (training.repeats != 1)
      throw Error(ErrorCode::kInvalidArgument,
                  "repeats must be 1 with a fold_column (the folds are fixed)", "training.repeats");
    folds = FoldsFromIds(data->fold_of, data->n_folds);
  } else {
    std::vector<int> labels;
    const bool stratified = training.task == Task::kClassification && training.stratified;
    if (stratified) {
      labels.resize(data->y.size());
      for (Eigen::Index i = 0; i < data->y.size(); ++i) labels[i] = static_cast<int>(data->y(i));
    }
    folds = MakeFolds(n, training.folds, training.repeats, training.shuffle_seed,
                      stratified ? &labels : nullptr);
  }
  PreparedData out;
  out.n_classes = data->n_classes;
  out.n_folds = static_cast<int>(folds.size());
  // Every fold holds every row once (train or test); one-hot columns are at most the levels.
  std::size_t width = static_cast<std::size_t>(data->x.cols()) + 1;
  for (const auto& c : data->categorical) width += c.levels.size();
  const std::size_t bound = folds.size() * static_cast<std::size_t>(n) * width * sizeof(double);
  if (bound > max_bytes) {
    out.data = std::move(data);
    out.splits = std::move(folds);
    out.preprocessing = training.preprocessing;
    out.impute = training.impute;
    out.bytes = Bytes(out.data->x) + Bytes(out.data->y);
    return out;
  }
  for (const training::Fold& fold : folds) {
    const FeatureEncoder encoder =
        FeatureEncoder::Fit(*data, fold.train, training.preprocessing, training.impute);
    PreparedFold p;
    p.x_train = encoder.Transform(*data, fold.train);
    p.x_test = encoder.Transform(*data, fold.test);
    p.y_train = data->y(fold.train);
    p.y_test = data->y(fold.test);
    out.bytes += Bytes(p.x_train) + Bytes(p.x_test) + Bytes(p.y_train) + Bytes(p.y_test);
    out.folds.push_back(std::move(p));
  }
  return out;
}

const PreparedFold& PreparedData::Fold(int f, PreparedFold* scratch) const {
  if (!folds.empty()) return folds.at(static_cast<std::size_t>(f));
  const training::Fold& fold = splits.at(static_cast<std::size_t>(f));
  const FeatureEncoder encoder = FeatureEncoder::Fit(*data, fold.train, preprocessing, impute);
  scratch->x_train = encoder.Transform(*data, fold.train);
  scratch->x_test = encoder.Transform(*data, fold.test);
  scratch->y_train = data->y(fold.train);
  scratch->y_test = data->y(fold.test);
  return *scratch;
}

std::shared_ptr<const PreparedData> PreparedFoldCache::Get(
    const std::shared_ptr<const Table>& table, const TrainingSpec& training) {
  const std::string key = KeyOf(table.get(), training);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Entries of dropped tables can never be served again (their address may be reused).
    for (auto it = map_.begin(); it != map_.end();) {
      auto next = std::next(it);
      if (it->second.table.expired()) DropLocked(it);
      it = next;
    }
    const auto it = map_.find(key);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      ++hits_;
      return it->second.data;
    }
    ++misses_;
  }
  // Made outside the lock: two slots may prepare the same folds once each, but one large
  // dataset never blocks the others.
  auto data = std::make_shared<const PreparedData>(PrepareFolds(*table, training, max_bytes_));
  if (data->folds.empty() || data->bytes > max_bytes_) return data;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = map_.find(key);
  if (it != map_.end()) return it->second.data;
  lru_.push_front(key);
  map_.emplace(key, Entry{table, data, lru_.begin()});
  bytes_ += data->bytes;
  while (bytes_ > max_bytes_) DropLocked(map_.find(lru_.back()));
  return data;
}

void PreparedFoldCache::DropLocked(std::map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.data->bytes;
  lru_.erase(it->second.lru);
  map_.erase(it);
}

std::size_t PreparedFoldCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}
std::size_t PreparedFoldCache::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}
std::size_t PreparedFoldCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}
std::size_t PreparedFoldCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

PreparedFoldCache& CvFoldCache() {
  static PreparedFoldCache cache(std::size_t{256} << 20);
  return cache;
}

}  // namespace krige::training
