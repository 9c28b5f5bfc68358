#include "dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "krige/error.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the error parsing `csv` and making a dataset of it with `options`.
std::string ErrorOf(const std::string& csv, DataOptions options = {}) {
  try {
    MakeDataset(ParseCsv(csv, "data.csv"), options);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << csv;
  return "";
}

Dataset Make(const std::string& csv, DataOptions options = {}) {
  return MakeDataset(ParseCsv(csv, "mem"), options);
}

std::vector<int> All(const Dataset& d) {
  std::vector<int> rows(d.y.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
  return rows;
}

TEST(DatasetTest, ParsesFeaturesAndTarget) {
  const Dataset d = Make("a,target,b\r\n1,x,2\n 3 ,y, 4e1\n\n");
  EXPECT_EQ(d.numeric_names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(d.x.rows(), 2);
  EXPECT_EQ(d.x(1, 0), 3);
  EXPECT_EQ(d.x(1, 1), 40);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"x", "y"}));
}

TEST(DatasetTest, RaggedRowNamesLine) {
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n1,2\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("row 2"), HasSubstr("2 cells")));
}

TEST(DatasetTest, NonNumericCellNamesRowAndColumn) {
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n1,oops,1\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("row 2"), HasSubstr("column 2 \"b\""),
                    HasSubstr("oops"), HasSubstr("not a number")));
}

TEST(DatasetTest, MissingValuesNeedImpute) {
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n3,,0\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("row 2"), HasSubstr("column 2 \"b\""),
                    HasSubstr("missing value"), HasSubstr("impute")));
  EXPECT_THAT(ErrorOf("a,b,target\n1,nan,0\n"), HasSubstr("\"b\""));
  EXPECT_THAT(ErrorOf("a,b,target\n1,2,0\n1,NA,1\n4,5,1\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("\"b\"")));
  EXPECT_THAT(ErrorOf("a,target\n1,0\n2,NA\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("\"target\""), HasSubstr("missing target")));
  // With impute the cell is kept as NaN for the fold-wise imputer.
  DataOptions o;
  o.impute = "mean";
  const Dataset d = Make("a,b,target\n1,2,0\n3,NA,1\n", o);
  EXPECT_TRUE(std::isnan(d.x(1, 1)));
}

TEST(DatasetTest, MissingTargetColumn) {
  EXPECT_THAT(ErrorOf("a,b,label\n1,2,0\n"), HasSubstr("no target column \"target\""));
  // Clustering needs no target.
  DataOptions o;
  o.task = Task::kClustering;
  EXPECT_EQ(Make("a,b\n1,2\n3,4\n", o).x.cols(), 2);
  EXPECT_EQ(Make("a,b,target\n1,2,0\n3,4,1\n", o).x.cols(), 2);
}

TEST(DatasetTest, EmptyInputs) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("a,target\n"), HasSubstr("no data rows"));
}

TEST(DatasetTest, MissingFile) {
  try {
    CachedTable("/nonexistent/krige/data.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/krige/data.csv"));
  }
}

TEST(DatasetTest, ClassesSortedNumerically) {
  const Dataset d = Make("a,target\n1,10\n2,9\n3,10.0\n4,-1\n");
  EXPECT_EQ(d.n_classes, 3);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"-1", "9", "10"}));
  EXPECT_EQ(d.y(0), 2);
  EXPECT_EQ(d.y(1), 1);
  EXPECT_EQ(d.y(2), 2);
  EXPECT_EQ(d.y(3), 0);
}

TEST(DatasetTest, StringClassesAndRegressionTargets) {
  const Table t = ParseCsv("a,target\n1,cat\n2,ant\n", "mem");
  const Dataset d = MakeDataset(t, {});
  EXPECT_EQ(d.classes, (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(d.y(0), 1);
  EXPECT_THROW(MakeDataset(t, DataOptions::For(Task::kRegression)), Error);
  EXPECT_THROW(Make("a,target\n1,3\n2,3\n"), Error);
}

TEST(DatasetTest, TextColumnsAreCategoricalAndCanBeForced) {
  const Dataset d = Make("a,colour,zip,target\n1,red,10,0\n2,blue,20,1\n3,red,10,1\n");
  EXPECT_EQ(d.numeric_names, (std::vector<std::string>{"a", "zip"}));
  ASSERT_EQ(d.categorical.size(), 1u);
  EXPECT_EQ(d.categorical[0].levels, (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(d.categorical[0].code, (std::vector<int>{1, 0, 1}));
  DataOptions o;
  o.categorical = {"zip"};
  const Dataset forced = Make("a,colour,zip,target\n1,red,10,0\n2,blue,20,1\n3,red,10,1\n", o);
  EXPECT_EQ(forced.numeric_names, (std::vector<std::string>{"a"}));
  ASSERT_EQ(forced.categorical.size(), 2u);
  o.categorical = {"nope"};
  EXPECT_THAT(ErrorOf("a,target\n1,0\n", o), HasSubstr("no column \"nope\""));
}

TEST(DatasetTest, FeatureSelection) {
  DataOptions o;
  o.features = {"c", "a"};
  const Dataset d = Make("a,b,c,target\n1,x,3,0\n4,oops,6,1\n", o);  // b unused: never parsed
  EXPECT_EQ(d.numeric_names, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(d.x(1, 0), 6);
  o.features = {"a", "zz"};
  EXPECT_THAT(ErrorOf("a,target\n1,0\n", o), HasSubstr("no feature column \"zz\""));
  o.features = {"target"};
  EXPECT_THAT(ErrorOf("a,target\n1,0\n", o), HasSubstr("target column"));
}

TEST(DatasetTest, FoldColumnMayHoldNames) {
  DataOptions o;
  o.fold_column = "split";
  const Dataset d = Make("a,split,target\n1,b,0\n2,a,1\n3,b,1\n4,a,0\n", o);
  EXPECT_EQ(d.numeric_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(d.n_folds, 2);
  EXPECT_EQ(d.fold_of, (std::vector<int>{1, 0, 1, 0}));
  EXPECT_THAT(ErrorOf("a,split,target\n1,b,0\n2,,1\n", o),
              AllOf(HasSubstr("line 3"), HasSubstr("missing fold")));
  EXPECT_THAT(ErrorOf("a,split,target\n1,b,0\n2,b,1\n", o), HasSubstr("two distinct"));
}

// Imputation and one-hot levels come from the training rows only.
TEST(FeatureEncoderTest, FitsOnTrainingRowsOnly) {
  DataOptions o;
  o.impute = "median";
  const Dataset d = Make(
      "a,colour,target\n"
      "1,red,0\n"
      "NA,blue,1\n"
      "5,,0\n"
      "100,green,1\n"   // test row: its value must not shift the median
      "NA,purple,0\n",  // test row: a level unseen in training
      o);
  const std::vector<int> train = {0, 1, 2}, test = {3, 4};
  const FeatureEncoder e = FeatureEncoder::Fit(d, train, {"none"}, "median");
  const Eigen::MatrixXd tr = e.Transform(d, train);
  // a: median of {1, 5} = 3 fills row 1; colour: levels seen in training = blue, red.
  ASSERT_EQ(tr.cols(), 3);
  EXPECT_EQ(tr(1, 0), 3);
  EXPECT_EQ(tr.row(0).tail(2), Eigen::RowVector2d(0, 1));
  EXPECT_EQ(tr.row(1).tail(2), Eigen::RowVector2d(1, 0));
  // A missing category takes the most frequent training level (tie: first, blue).
  EXPECT_EQ(tr.row(2).tail(2), Eigen::RowVector2d(1, 0));
  const Eigen::MatrixXd te = e.Transform(d, test);
  EXPECT_EQ(te(0, 0), 100);
  EXPECT_EQ(te(1, 0), 3);
  EXPECT_EQ(te.row(0).tail(2), Eigen::RowVector2d(0, 0));  // green: unseen -> zeros
  EXPECT_EQ(te.row(1).tail(2), Eigen::RowVector2d(0, 0));

  EXPECT_EQ(FeatureEncoder::Fit(d, train, {"none"}, "mean").Transform(d, {1})(0, 0), 3);
  const Dataset m = Make("a,target\n2,0\n2,1\n7,0\nNA,1\n", o);
  EXPECT_EQ(FeatureEncoder::Fit(m, {0, 1, 2}, {"none"}, "most_frequent").Transform(m, {3})(0, 0),
            2);
  EXPECT_THROW(FeatureEncoder::Fit(m, {0, 1, 2}, {"none"}, "zero"), Error);
}

TEST(FeatureEncoderTest, ScalesNumericColumnsOnly) {
  const Dataset d = Make("a,colour,target\n1,red,0\n3,blue,1\n");
  const Eigen::MatrixXd x =
      FeatureEncoder::Fit(d, All(d), {"standardize"}, "").Transform(d, All(d));
  EXPECT_EQ(x.col(0), Eigen::Vector2d(-1, 1));
  EXPECT_EQ(x.rightCols(2).sum(), 2);
}

TEST(DatasetTest, RealDatasetsLoadAndCacheReturnsTheSameTable) {
  const std::string path = krige::testing::SourceDir() + "/examples/data/breast_cancer.csv";
  const auto a = CachedTable(path);
  const auto b = CachedTable(path);
  EXPECT_EQ(a.get(), b.get());
  const Dataset d = MakeDataset(*a, {});
  EXPECT_EQ(d.x.rows(), 569);
  EXPECT_EQ(d.x.cols(), 30);
  EXPECT_EQ(d.n_classes, 2);
  for (const char* name : {"wine", "iris", "diabetes", "digits"}) {
    const auto t = CachedTable(krige::testing::SourceDir() + "/examples/data/" + name + ".csv");
    EXPECT_GT(t->lines.size(), 100u) << name;
  }
}

TEST(DatasetTest, CacheSeesRewrittenFile) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/d.csv";
  std::ofstream(path) << "a,target\n1,0\n2,1\n";
  EXPECT_EQ(CachedTable(path)->lines.size(), 2u);
  std::ofstream(path) << "a,target\n1,0\n2,1\n3,1\n";
  EXPECT_EQ(CachedTable(path)->lines.size(), 3u);
}

}  // namespace
}  // namespace krige::training
