#include "dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "krige/error.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ErrorOf(const std::string& csv, const std::string& target = "target") {
  try {
    ParseCsv(csv, target, "data.csv");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << csv;
  return "";
}

TEST(DatasetTest, ParsesFeaturesAndTarget) {
  const Table t = ParseCsv("a,target,b\r\n1,x,2\n 3 ,y, 4e1\n\n", "target", "mem");
  EXPECT_EQ(t.feature_names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.features.rows(), 2);
  EXPECT_EQ(t.features(1, 0), 3);
  EXPECT_EQ(t.features(1, 1), 40);
  EXPECT_EQ(t.target, (std::vector<std::string>{"x", "y"}));
}

TEST(DatasetTest, RaggedRowNamesLine) {
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n1,2\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("row 2"), HasSubstr("2 cells")));
}

TEST(DatasetTest, NonNumericCellNamesRowAndColumn) {
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n1,oops,1\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("row 2"), HasSubstr("column 2 \"b\""),
                    HasSubstr("oops")));
  EXPECT_THAT(ErrorOf("a,b,target\n1,,0\n"), AllOf(HasSubstr("line 2"), HasSubstr("\"b\"")));
  EXPECT_THAT(ErrorOf("a,b,target\n1,nan,0\n"), HasSubstr("\"b\""));
}

TEST(DatasetTest, MissingTargetColumn) {
  EXPECT_THAT(ErrorOf("a,b,label\n1,2,0\n"), HasSubstr("no target column \"target\""));
}

TEST(DatasetTest, EmptyInputs) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("a,target\n"), HasSubstr("no data rows"));
}

TEST(DatasetTest, MissingFile) {
  try {
    CachedTable("/nonexistent/krige/data.csv", "target");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/krige/data.csv"));
  }
}

TEST(DatasetTest, ClassesSortedNumerically) {
  const Table t = ParseCsv("a,target\n1,10\n2,9\n3,10.0\n4,-1\n", "target", "mem");
  const Dataset d = MakeDataset(t, Task::kClassification);
  EXPECT_EQ(d.n_classes, 3);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"-1", "9", "10"}));
  EXPECT_EQ(d.y(0), 2);
  EXPECT_EQ(d.y(1), 1);
  EXPECT_EQ(d.y(2), 2);
  EXPECT_EQ(d.y(3), 0);
}

TEST(DatasetTest, StringClassesAndRegressionTargets) {
  const Table t = ParseCsv("a,target\n1,cat\n2,ant\n", "target", "mem");
  const Dataset d = MakeDataset(t, Task::kClassification);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(d.y(0), 1);
  EXPECT_THROW(MakeDataset(t, Task::kRegression), Error);
  EXPECT_THROW(MakeDataset(ParseCsv("a,target\n1,3\n2,3\n", "target", "m"), Task::kClassification),
               Error);
}

TEST(DatasetTest, RealDatasetsLoadAndCacheReturnsTheSameTable) {
  const std::string path = krige::testing::SourceDir() + "/examples/data/breast_cancer.csv";
  const auto a = CachedTable(path, "target");
  const auto b = CachedTable(path, "target");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->features.rows(), 569);
  EXPECT_EQ(a->features.cols(), 30);
  const Dataset d = MakeDataset(*a, Task::kClassification);
  EXPECT_EQ(d.n_classes, 2);
  for (const char* name : {"wine", "iris", "diabetes", "digits"}) {
    const auto t =
        CachedTable(krige::testing::SourceDir() + "/examples/data/" + name + ".csv", "target");
    EXPECT_GT(t->features.rows(), 100) << name;
  }
}

TEST(DatasetTest, CacheSeesRewrittenFile) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/d.csv";
  std::ofstream(path) << "a,target\n1,0\n2,1\n";
  EXPECT_EQ(CachedTable(path, "target")->features.rows(), 2);
  std::ofstream(path) << "a,target\n1,0\n2,1\n3,1\n";
  EXPECT_EQ(CachedTable(path, "target")->features.rows(), 3);
}

}  // namespace
}  // namespace krige::training
