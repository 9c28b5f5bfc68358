#include "krige/training/cross_validation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "dataset.hpp"
#include "folds.hpp"
#include "krige/error.hpp"
#include "metrics.hpp"
#include "models/model.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string DataPath(const std::string& name) {
  return krige::testing::SourceDir() + "/examples/data/" + name + ".csv";
}

TrainingSpec Spec(const std::string& data, const std::string& model, Task task) {
  TrainingSpec t;
  t.dataset = DataPath(data);
  t.model = model;
  t.task = task;
  return t;
}

std::string ErrorOf(const TrainingSpec& t, const Params& p, const std::string& metric) {
  try {
    CrossValidate(t, p, metric, nullptr);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(CrossValidationTest, LogisticRegressionOnBreastCancer) {
  TrainingSpec t = Spec("breast_cancer", "logistic_regression", Task::kClassification);
  t.metrics = {"roc_auc", "log_loss", "f1", "balanced_accuracy", "precision", "recall"};
  std::vector<StepScores> reported;
  const CvOutcome out = CrossValidate(t, {{"C", 1.0}}, "accuracy",
                                      [&](const StepScores& s) { reported.push_back(s); });
  EXPECT_GT(out.metrics.at("accuracy"), 0.95);
  EXPECT_GT(out.metrics.at("roc_auc"), 0.98);
  EXPECT_LT(out.metrics.at("log_loss"), 0.2);
  EXPECT_EQ(out.metrics.size(), 7u);
  ASSERT_EQ(out.folds.size(), 5u);
  ASSERT_EQ(reported.size(), 5u);
  double sum = 0;
  for (int f = 0; f < 5; ++f) {
    EXPECT_EQ(out.folds[f].step, f);
    EXPECT_EQ(reported[f].values, out.folds[f].values);
    sum += out.folds[f].values.at("accuracy");
  }
  EXPECT_DOUBLE_EQ(out.metrics.at("accuracy"), sum / 5);
}

TEST(CrossValidationTest, MulticlassAndRepeats) {
  TrainingSpec t = Spec("wine", "logistic_regression", Task::kClassification);
  t.folds = 3;
  t.repeats = 2;
  t.metrics = {"roc_auc", "f1", "f1_weighted", "precision_macro", "recall_micro"};
  const CvOutcome out = CrossValidate(t, {}, "accuracy", nullptr);
  ASSERT_EQ(out.folds.size(), 6u);
  EXPECT_GT(out.metrics.at("f1_weighted"), 0.9);
  EXPECT_GT(out.metrics.at("precision_macro"), 0.9);
  EXPECT_DOUBLE_EQ(out.metrics.at("recall_micro"), out.metrics.at("accuracy"));
  EXPECT_EQ(out.folds[5].step, 5);
  EXPECT_GT(out.metrics.at("accuracy"), 0.9);
  EXPECT_GT(out.metrics.at("roc_auc"), 0.95);
}

TEST(CrossValidationTest, RidgeOnDiabetes) {
  TrainingSpec t = Spec("diabetes", "ridge", Task::kRegression);
  t.metrics = {"rmse", "mae"};
  const CvOutcome out = CrossValidate(t, {{"alpha", 1.0}}, "r2", nullptr);
  EXPECT_GT(out.metrics.at("r2"), 0.4);
  EXPECT_LT(out.metrics.at("rmse"), 60);
  EXPECT_GT(out.metrics.at("rmse"), out.metrics.at("mae"));
}

TEST(CrossValidationTest, DeterministicAndSeedDependent) {
  TrainingSpec t = Spec("breast_cancer", "logistic_regression", Task::kClassification);
  const auto a = CrossValidate(t, {}, "accuracy", nullptr);
  const auto b = CrossValidate(t, {}, "accuracy", nullptr);
  t.shuffle_seed = 99;
  const auto c = CrossValidate(t, {}, "accuracy", nullptr);
  for (std::size_t f = 0; f < a.folds.size(); ++f) EXPECT_EQ(a.folds[f].values, b.folds[f].values);
  bool differs = false;
  for (std::size_t f = 0; f < a.folds.size(); ++f)
    differs = differs || a.folds[f].values != c.folds[f].values;
  EXPECT_TRUE(differs);
}

// The preprocessing must be fitted on each fold's training rows only: CrossValidate's scores
// equal a by-hand train-only computation, and differ from one that fits on all rows.
TEST(CrossValidationTest, PreprocessingFittedOnTrainingRowsOnly) {
  TrainingSpec t = Spec("diabetes", "ridge", Task::kRegression);
  t.folds = 3;
  const Params p = {{"alpha", 50.0}};
  const CvOutcome out = CrossValidate(t, p, "rmse", nullptr);

  const Dataset d = MakeDataset(*CachedTable(t.dataset), DataOptions::For(Task::kRegression));
  const auto folds = MakeFolds(static_cast<int>(d.x.rows()), 3, 1, 0, nullptr);
  const Pipeline leaky = Pipeline::Fit({"standardize"}, d.x);
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const Eigen::MatrixXd xtr = d.x(folds[f].train, Eigen::all);
    const Eigen::MatrixXd xte = d.x(folds[f].test, Eigen::all);
    const Eigen::VectorXd ytr = d.y(folds[f].train);
    const Eigen::VectorXd yte = d.y(folds[f].test);
    const Pipeline honest = Pipeline::Fit({"standardize"}, xtr);
    auto m = MakeModel("ridge", Task::kRegression, p);
    m->Fit(honest.Transform(xtr), ytr, 0);
    EXPECT_NEAR(out.folds[f].values.at("rmse"), Rmse(yte, m->Predict(honest.Transform(xte))), 1e-9);
    auto l = MakeModel("ridge", Task::kRegression, p);
    l->Fit(leaky.Transform(xtr), ytr, 0);
    EXPECT_GT(
        std::abs(out.folds[f].values.at("rmse") - Rmse(yte, l->Predict(leaky.Transform(xte)))),
        1e-6);
  }
}

TEST(CrossValidationTest, FixedOverlaidByParams) {
  TrainingSpec t = Spec("diabetes", "ridge", Task::kRegression);
  t.fixed = {{"alpha", 1e6}};
  const double fixed_only = CrossValidate(t, {}, "r2", nullptr).metrics.at("r2");
  const double overlaid = CrossValidate(t, {{"alpha", 1.0}}, "r2", nullptr).metrics.at("r2");
  EXPECT_LT(fixed_only, 0.1);
  EXPECT_GT(overlaid, 0.4);
}

TEST(CrossValidationTest, UnknownHyperparameterIsNamed) {
  const auto t = Spec("iris", "logistic_regression", Task::kClassification);
  EXPECT_THAT(ErrorOf(t, {{"gamma", 1.0}}, "accuracy"), HasSubstr("\"gamma\""));
  EXPECT_THAT(ErrorOf(t, {{"C", -1.0}}, "accuracy"), HasSubstr("\"C\""));
}

TEST(CrossValidationTest, BadSpecs) {
  auto t = Spec("iris", "logistic_regression", Task::kClassification);
  EXPECT_THAT(ErrorOf(t, {}, "r2"), HasSubstr("not a classification metric"));
  EXPECT_THAT(ErrorOf(t, {}, ""), HasSubstr("no metric"));
  auto r = Spec("diabetes", "logistic_regression", Task::kRegression);
  EXPECT_THAT(ErrorOf(r, {}, "r2"), HasSubstr("cannot be used for regression"));
  auto f = t;
  f.folds = 1;
  EXPECT_THAT(ErrorOf(f, {}, "accuracy"), HasSubstr("folds"));
  auto p = t;
  p.preprocessing = {"pca"};
  EXPECT_THAT(ErrorOf(p, {}, "accuracy"), HasSubstr("pca"));
  auto m = t;
  m.model = "ridge_plus";
  EXPECT_THAT(ErrorOf(m, {}, "accuracy"), HasSubstr("unknown model \"ridge_plus\""));
  auto d = t;
  d.dataset = "/no/such/file.csv";
  EXPECT_THAT(ErrorOf(d, {}, "accuracy"), HasSubstr("/no/such/file.csv"));
  auto g = t;
  g.target = "label";
  EXPECT_THAT(ErrorOf(g, {}, "accuracy"), HasSubstr("no target column \"label\""));
}

TEST(CrossValidationTest, BadCsvNamesRowAndColumn) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/bad.csv";
  std::ofstream(path) << "a,b,target\n1,2,0\n3,4,1\n5,x,0\n7,8,1\n";
  TrainingSpec t;
  t.dataset = path;
  t.model = "logistic_regression";
  t.folds = 2;
  const std::string message = ErrorOf(t, {}, "accuracy");
  EXPECT_THAT(message, HasSubstr("line 4"));
  EXPECT_THAT(message, HasSubstr("row 3"));
  EXPECT_THAT(message, HasSubstr("\"b\""));
}

TEST(CrossValidationTest, CallbackExceptionStopsTheRun) {
  const auto t = Spec("iris", "logistic_regression", Task::kClassification);
  int calls = 0;
  EXPECT_THROW(CrossValidate(t, {}, "accuracy",
                             [&](const StepScores&) {
                               ++calls;
                               throw std::runtime_error("pruned");
                             }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
}

TEST(CrossValidationTest, ConcurrentCallsAgree) {
  auto t = Spec("breast_cancer", "logistic_regression", Task::kClassification);
  t.metrics = {"roc_auc"};
  const CvOutcome want = CrossValidate(t, {{"penalty", std::string("l1")}}, "accuracy", nullptr);
  std::vector<CvOutcome> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      got[i] = CrossValidate(t, {{"penalty", std::string("l1")}}, "accuracy", nullptr);
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g.metrics, want.metrics);
}

// A text column decides the class; a numeric column has gaps. One-hot encoding and imputation
// happen inside each fold; without impute the gap is an error naming its line and column.
TEST(CrossValidationTest, CategoricalColumnsAndImputation) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/mixed.csv";
  {
    std::ofstream out(path);
    out << "noise,colour,unused,target\n";
    const char* colours[] = {"red", "green", "blue"};
    for (int i = 0; i < 60; ++i)
      out << (i % 7 == 3 ? std::string("NA") : std::to_string(i * 37 % 11)) << "," << colours[i % 3]
          << ",text" << i << "," << (i % 3 == 0 ? "yes" : "no") << "\n";
  }
  TrainingSpec t;
  t.dataset = path;
  t.model = "logistic_regression";
  t.features = {"noise", "colour"};
  t.folds = 3;
  EXPECT_THAT(ErrorOf(t, {}, "accuracy"),
              AllOf(HasSubstr("line 5"), HasSubstr("\"noise\""), HasSubstr("missing value")));
  t.impute = "median";
  const CvOutcome out = CrossValidate(t, {{"C", 10.0}}, "accuracy", nullptr);
  EXPECT_EQ(out.metrics.at("accuracy"), 1.0);
  t.impute = "zero";
  EXPECT_THAT(ErrorOf(t, {}, "accuracy"), HasSubstr("unknown impute strategy"));
  t.impute = "mean";
  t.features = {};
  EXPECT_NO_THROW(CrossValidate(t, {}, "accuracy", nullptr));  // "unused": 60 one-hot levels
}

TEST(CrossValidationTest, FoldColumnGivesTheFolds) {
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/folds.csv";
  {
    // Fold ids 10/20/30 in a column that must not be used as a feature: its values would
    // separate the classes perfectly.
    std::ofstream out(path);
    out << "a,fold,target\n";
    for (int i = 0; i < 30; ++i)
      out << (i * 7 % 11) << "," << (i % 3 + 1) * 10 << "," << (i % 2) << "\n";
  }
  TrainingSpec t;
  t.dataset = path;
  t.model = "knn";
  t.fold_column = "fold";
  t.preprocessing = {"none"};
  std::vector<StepScores> reported;
  const CvOutcome out = CrossValidate(t, {{"n_neighbors", std::int64_t{1}}}, "accuracy",
                                      [&](const StepScores& s) { reported.push_back(s); });
  ASSERT_EQ(out.folds.size(), 3u);
  EXPECT_EQ(reported.size(), 3u);

  // Same as a by-hand 1-NN on column a with fold = row % 3.
  const Dataset d =
      MakeDataset(*CachedTable(path), DataOptions::For(Task::kClassification, "fold"));
  ASSERT_EQ(d.x.cols(), 1);
  EXPECT_EQ(d.n_folds, 3);
  const auto folds = FoldsFromIds(d.fold_of, 3);
  for (int f = 0; f < 3; ++f) {
    EXPECT_EQ(folds[f].test.size(), 10u);
    for (int r : folds[f].test) EXPECT_EQ(r % 3, f);
    auto m = MakeModel("knn", Task::kClassification, {{"n_neighbors", std::int64_t{1}}});
    m->Fit(d.x(folds[f].train, Eigen::all), d.y(folds[f].train), 2);
    const Eigen::VectorXd pred = m->Predict(d.x(folds[f].test, Eigen::all));
    std::vector<int> truth, p;
    for (int r : folds[f].test) truth.push_back(static_cast<int>(d.y(r)));
    for (double v : pred) p.push_back(static_cast<int>(v));
    EXPECT_DOUBLE_EQ(out.folds[f].values.at("accuracy"), Accuracy(truth, p));
  }

  auto missing = t;
  missing.fold_column = "split";
  EXPECT_THAT(ErrorOf(missing, {}, "accuracy"), HasSubstr("no fold column \"split\""));
  auto repeated = t;
  repeated.repeats = 2;
  EXPECT_THAT(ErrorOf(repeated, {}, "accuracy"), HasSubstr("repeats must be 1"));
}

}  // namespace
}  // namespace krige::training
