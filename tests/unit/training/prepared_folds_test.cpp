// The prepared-folds cache behind CrossValidate: shared between calls on the same data, never
// stale after the file changes, bounded in bytes, and equal to encoding the folds anew.
#include "prepared_folds.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "folds.hpp"
#include "krige/error.hpp"
#include "krige/training/cross_validation.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

namespace fs = std::filesystem;

TrainingSpec Spec(const std::string& path) {
  TrainingSpec t;
  t.dataset = path;
  t.model = "logistic_regression";
  t.folds = 3;
  return t;
}

// 12 rows, one feature; class 1 exactly where a > threshold.
void WriteData(const std::string& path, double threshold) {
  std::ofstream out(path, std::ios::trunc);
  out << "a,target\n";
  for (int i = 0; i < 12; ++i) out << i << "," << (i > threshold ? 1 : 0) << "\n";
}

TEST(PreparedFoldCacheTest, SharedByCallsOnTheSameDataAndSplit) {
  PreparedFoldCache cache(std::size_t{64} << 20);
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/iris.csv");
  TrainingSpec t = Spec(table->source);
  const auto a = cache.Get(table, t);
  const auto b = cache.Get(table, t);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(a->folds.size(), 3u);
  EXPECT_EQ(a->n_classes, 3);
  // Every field the folds depend on makes its own entry.
  TrainingSpec other = t;
  other.preprocessing = {"minmax"};
  EXPECT_NE(cache.Get(table, other).get(), a.get());
  other = t;
  other.shuffle_seed = 1;
  EXPECT_NE(cache.Get(table, other).get(), a.get());
  other = t;
  other.folds = 4;
  EXPECT_EQ(cache.Get(table, other)->folds.size(), 4u);
  // Hyperparameters and the model are not part of the data: the same entry.
  other = t;
  other.model = "svc";
  EXPECT_EQ(cache.Get(table, other).get(), a.get());
  EXPECT_EQ(cache.entries(), 4u);
}

TEST(PreparedFoldCacheTest, EqualsEncodingTheFoldsAnew) {
  PreparedFoldCache cache(std::size_t{64} << 20);
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/breast_cancer.csv");
  TrainingSpec t = Spec(table->source);
  t.folds = 10;
  const auto prepared = cache.Get(table, t);
  const Dataset d = MakeDataset(*table, DataOptions::From(t));
  std::vector<int> labels(d.y.size());
  for (Eigen::Index i = 0; i < d.y.size(); ++i) labels[i] = static_cast<int>(d.y(i));
  const auto folds = MakeFolds(static_cast<int>(d.x.rows()), 10, 1, 0, &labels);
  ASSERT_EQ(prepared->folds.size(), folds.size());
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const FeatureEncoder e = FeatureEncoder::Fit(d, folds[f].train, {"standardize"}, "");
    EXPECT_EQ(prepared->folds[f].x_train, e.Transform(d, folds[f].train)) << f;
    EXPECT_EQ(prepared->folds[f].x_test, e.Transform(d, folds[f].test)) << f;
    EXPECT_EQ(prepared->folds[f].y_test, d.y(folds[f].test)) << f;
  }
}

// Would fail if the folds of the old file were served: the labels change while the path and
// the size stay the same. Each answer must equal a cross-validation of a copy of that version
// at a path never read before.
TEST(PreparedFoldCacheTest, ChangedFileIsReadAgain) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/d.csv";
  const Params params{{"n_neighbors", 5}};
  const auto accuracy = [&](const std::string& file) {
    TrainingSpec spec = Spec(file);
    spec.model = "knn";
    return CrossValidate(spec, params, "accuracy", nullptr).metrics.at("accuracy");
  };
  const TrainingSpec t = Spec(path);
  WriteData(path, 5.5);
  fs::copy_file(path, dir.path() + "/old.csv");
  const double before = accuracy(path);
  EXPECT_EQ(before, accuracy(dir.path() + "/old.csv"));
  const auto size = fs::file_size(path);
  const auto mtime = fs::last_write_time(path);
  WriteData(path, 2.5);  // as many bytes, other labels
  ASSERT_EQ(fs::file_size(path), size);
  fs::last_write_time(path, mtime + std::chrono::seconds(2));
  fs::copy_file(path, dir.path() + "/new.csv");
  const double after = accuracy(path);
  EXPECT_EQ(after, accuracy(dir.path() + "/new.csv"));
  EXPECT_NE(after, before);
  const auto data = CvFoldCache().Get(CachedTable(path), t);
  double ones = 0;
  for (const auto& f : data->folds) ones += f.y_test.sum();
  EXPECT_EQ(ones, 9);  // the new labels, not the old file's 6
}

TEST(PreparedFoldCacheTest, DroppedTablesAreNeverServed) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/d.csv";
  WriteData(path, 5.5);
  PreparedFoldCache cache(std::size_t{1} << 20);
  const TrainingSpec t = Spec(path);
  auto first = std::make_shared<const Table>(LoadCsv(path));
  const auto old_data = cache.Get(first, t);
  EXPECT_EQ(cache.entries(), 1u);
  first.reset();  // as CachedTable drops a replaced version
  WriteData(path, 0.5);
  const auto second = std::make_shared<const Table>(LoadCsv(path));
  const auto new_data = cache.Get(second, t);
  EXPECT_NE(new_data.get(), old_data.get());
  EXPECT_EQ(cache.entries(), 1u);  // the dropped table's entry is gone
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(PreparedFoldCacheTest, BoundedInBytes) {
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/iris.csv");
  const TrainingSpec t = Spec(table->source);
  const std::size_t one = PrepareFolds(*table, t).bytes;
  PreparedFoldCache cache(one + one / 2);  // room for one entry
  TrainingSpec other = t;
  other.shuffle_seed = 7;
  const auto a = cache.Get(table, t);
  cache.Get(table, other);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_LE(cache.bytes(), one + one / 2);
  EXPECT_NE(cache.Get(table, t).get(), a.get());  // evicted, made again
  EXPECT_EQ(cache.hits(), 0u);
  // Larger than the whole cache: returned unencoded, not kept.
  PreparedFoldCache tiny(one / 2);
  const auto lazy = tiny.Get(table, t);
  EXPECT_TRUE(lazy->folds.empty());
  EXPECT_EQ(lazy->n_folds, 3);
  EXPECT_EQ(tiny.entries(), 0u);
  EXPECT_EQ(tiny.bytes(), 0u);
}

// Data too large for the bound is encoded one fold at a time, to the same matrices.
TEST(PreparedFoldCacheTest, LargeDataIsEncodedPerFoldOnDemand) {
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/breast_cancer.csv");
  TrainingSpec t = Spec(table->source);
  t.folds = 5;
  const PreparedData kept = PrepareFolds(*table, t);
  const PreparedData lazy = PrepareFolds(*table, t, 1000);
  ASSERT_EQ(kept.folds.size(), 5u);
  EXPECT_TRUE(lazy.folds.empty());
  EXPECT_LT(lazy.bytes, kept.bytes / 4);
  PreparedFold scratch;
  for (int f = 0; f < 5; ++f) {
    const PreparedFold& a = kept.Fold(f, &scratch);
    EXPECT_EQ(&a, &kept.folds[f]);
    const PreparedFold& b = lazy.Fold(f, &scratch);
    EXPECT_EQ(&b, &scratch);
    EXPECT_EQ(a.x_train, b.x_train) << f;
    EXPECT_EQ(a.x_test, b.x_test) << f;
    EXPECT_EQ(a.y_train, b.y_train) << f;
    EXPECT_EQ(a.y_test, b.y_test) << f;
  }
}

TEST(PreparedFoldCacheTest, ErrorsAreNotCached) {
  PreparedFoldCache cache(std::size_t{1} << 20);
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/iris.csv");
  TrainingSpec t = Spec(table->source);
  t.target = "no_such_column";
  for (int i = 0; i < 2; ++i) {
    try {
      cache.Get(table, t);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "training.target");
    }
  }
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(PreparedFoldCacheTest, ConcurrentCallersGetEqualData) {
  PreparedFoldCache cache(std::size_t{64} << 20);
  const auto table = CachedTable(krige::testing::SourceDir() + "/examples/data/wine.csv");
  const TrainingSpec t = Spec(table->source);
  std::vector<std::shared_ptr<const PreparedData>> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { got[i] = cache.Get(table, t); });
  for (auto& th : threads) th.join();
  for (int i = 1; i < 4; ++i) EXPECT_EQ(got[i]->folds[0].x_train, got[0]->folds[0].x_train);
  EXPECT_EQ(cache.entries(), 1u);
}

}  // namespace
}  // namespace krige::training
