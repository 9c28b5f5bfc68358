#include "folds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "krige/error.hpp"

namespace krige::training {
namespace {

void ExpectPartition(const std::vector<Fold>& folds, int n, int k, int repeats) {
  ASSERT_EQ(folds.size(), static_cast<std::size_t>(k * repeats));
  for (int r = 0; r < repeats; ++r) {
    std::vector<int> seen(n, 0);
    for (int f = 0; f < k; ++f) {
      const Fold& fold = folds[r * k + f];
      EXPECT_EQ(fold.train.size() + fold.test.size(), static_cast<std::size_t>(n));
      EXPECT_TRUE(std::is_sorted(fold.test.begin(), fold.test.end()));
      std::vector<int> all = fold.train;
      all.insert(all.end(), fold.test.begin(), fold.test.end());
      std::sort(all.begin(), all.end());
      for (int i = 0; i < n; ++i) ASSERT_EQ(all[i], i);  // train and test are disjoint, cover
      for (int i : fold.test) ++seen[i];
      EXPECT_LE(fold.test.size(), static_cast<std::size_t>(n / k + 1));
      EXPECT_GE(fold.test.size(), static_cast<std::size_t>(n / k));
    }
    for (int i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << "row " << i;  // each row tested once
  }
}

TEST(FoldsTest, KFoldPartitionsRows) {
  ExpectPartition(MakeFolds(103, 5, 2, 7, nullptr), 103, 5, 2);
  ExpectPartition(MakeFolds(10, 10, 1, 0, nullptr), 10, 10, 1);
}

TEST(FoldsTest, StratifiedPartitionsAndKeepsClassRatios) {
  std::vector<int> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 70 ? 0 : (i < 90 ? 1 : 2));
  const auto folds = MakeFolds(100, 5, 3, 11, &labels);
  ExpectPartition(folds, 100, 5, 3);
  for (const auto& fold : folds) {
    std::map<int, int> counts;
    for (int i : fold.test) ++counts[labels[i]];
    EXPECT_EQ(counts[0], 14);
    EXPECT_EQ(counts[1], 4);
    EXPECT_EQ(counts[2], 2);
  }
}

TEST(FoldsTest, StratifiedUnevenClassesWithinOne) {
  std::vector<int> labels;
  for (int i = 0; i < 37; ++i) labels.push_back(i % 3 == 0 ? 1 : 0);  // 13 ones, 24 zeros
  const auto folds = MakeFolds(37, 4, 1, 3, &labels);
  ExpectPartition(folds, 37, 4, 1);
  for (const auto& fold : folds) {
    int ones = 0;
    for (int i : fold.test) ones += labels[i];
    EXPECT_GE(ones, 3);
    EXPECT_LE(ones, 4);
  }
}

TEST(FoldsTest, DeterministicForASeedAndDifferentAcrossSeedsAndRepeats) {
  const auto a = MakeFolds(50, 5, 2, 42, nullptr);
  const auto b = MakeFolds(50, 5, 2, 42, nullptr);
  const auto c = MakeFolds(50, 5, 2, 43, nullptr);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].test, b[i].test);
  EXPECT_NE(a[0].test, c[0].test);
  EXPECT_NE(a[0].test, a[5].test);  // repeat 1 reshuffles
}

TEST(FoldsTest, RejectsBadArguments) {
  EXPECT_THROW(MakeFolds(10, 1, 1, 0, nullptr), Error);
  EXPECT_THROW(MakeFolds(10, 11, 1, 0, nullptr), Error);
  EXPECT_THROW(MakeFolds(10, 2, 0, 0, nullptr), Error);
}

}  // namespace
}  // namespace krige::training
