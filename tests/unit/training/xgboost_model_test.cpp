// xgboost and random_forest (XGBoost C API) on real data: quality, seeds, error translation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataset.hpp"
#include "krige/error.hpp"
#include "krige/training/cross_validation.hpp"
#include "models/model.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::HasSubstr;

TrainingSpec Spec(const std::string& data, const std::string& model, Task task) {
  TrainingSpec t;
  t.dataset = krige::testing::SourceDir() + "/examples/data/" + data + ".csv";
  t.model = model;
  t.task = task;
  return t;
}

TEST(XgboostModelTest, ClassifiesAndRegressesRealData) {
  auto bc = Spec("breast_cancer", "xgboost", Task::kClassification);
  bc.metrics = {"roc_auc", "log_loss"};
  const auto boosted = CrossValidate(bc, {{"n_estimators", std::int64_t{50}}}, "accuracy", nullptr);
  EXPECT_GT(boosted.metrics.at("accuracy"), 0.93);
  EXPECT_GT(boosted.metrics.at("roc_auc"), 0.98);

  auto wine = Spec("wine", "random_forest", Task::kClassification);
  wine.metrics = {"roc_auc"};
  const auto forest =
      CrossValidate(wine, {{"n_estimators", std::int64_t{50}}}, "accuracy", nullptr);
  EXPECT_GT(forest.metrics.at("accuracy"), 0.9);

  const auto diabetes = Spec("diabetes", "xgboost", Task::kRegression);
  const auto reg = CrossValidate(
      diabetes,
      {{"n_estimators", std::int64_t{60}}, {"learning_rate", 0.05}, {"max_depth", std::int64_t{2}}},
      "r2", nullptr);
  EXPECT_GT(reg.metrics.at("r2"), 0.3);
  const auto rf = CrossValidate(Spec("diabetes", "random_forest", Task::kRegression),
                                {{"n_estimators", std::int64_t{50}}}, "r2", nullptr);
  EXPECT_GT(rf.metrics.at("r2"), 0.3);
}

TEST(XgboostModelTest, SameSeedSameModelOtherSeedOtherModel) {
  const Dataset d =
      MakeDataset(*CachedTable(krige::testing::SourceDir() + "/examples/data/wine.csv"),
                  DataOptions::For(Task::kClassification));
  const Params p = {
      {"n_estimators", std::int64_t{20}}, {"subsample", 0.5}, {"colsample_bynode", 0.5}};
  for (const std::string name : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(name);
    auto a = MakeModel(name, Task::kClassification, p, 7);
    auto b = MakeModel(name, Task::kClassification, p, 7);
    auto c = MakeModel(name, Task::kClassification, p, 8);
    for (auto* m : {a.get(), b.get(), c.get()}) m->Fit(d.x, d.y, d.n_classes);
    EXPECT_EQ(a->PredictProbabilities(d.x), b->PredictProbabilities(d.x));
    EXPECT_NE(a->PredictProbabilities(d.x), c->PredictProbabilities(d.x));
  }
}

TEST(XgboostModelTest, UnlimitedDepthGrowsLossguideTrees) {
  const Dataset d =
      MakeDataset(*CachedTable(krige::testing::SourceDir() + "/examples/data/iris.csv"),
                  DataOptions::For(Task::kClassification));
  auto m = MakeModel("random_forest", Task::kClassification,
                     {{"max_depth", std::int64_t{0}}, {"n_estimators", std::int64_t{10}}}, 1);
  m->Fit(d.x, d.y, d.n_classes);
  EXPECT_EQ(m->Predict(d.x).size(), d.x.rows());
}

TEST(XgboostModelTest, LibraryErrorsBecomeKrigeErrors) {
  // Label 2 in a binary problem: XGBoost's binary:logistic refuses it.
  Eigen::MatrixXd x(4, 1);
  x << 0, 1, 2, 3;
  Eigen::VectorXd y(4);
  y << 0, 1, 2, 1;
  auto m = MakeModel("xgboost", Task::kClassification, {});
  try {
    m->Fit(x, y, 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    EXPECT_THAT(e.what(), HasSubstr("xgboost: XGBoosterUpdateOneIter"));
    EXPECT_THAT(e.what(), HasSubstr("label"));
  }
}

TEST(XgboostModelTest, RejectsOutOfRangeHyperparameters) {
  auto message = [](const std::string& model, const Params& p) -> std::string {
    try {
      MakeModel(model, Task::kClassification, p);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message("xgboost", {{"learning_rate", 0.0}}),
              HasSubstr("\"learning_rate\" must be in (0, 1]"));
  EXPECT_THAT(message("xgboost", {{"max_depth", std::int64_t{-1}}}), HasSubstr("\"max_depth\""));
  EXPECT_THAT(message("random_forest", {{"subsample", 1.5}}), HasSubstr("\"subsample\""));
  EXPECT_THAT(message("random_forest",
                      {{"max_depth", std::int64_t{0}}, {"tree_method", std::string("exact")}}),
              HasSubstr("needs tree_method hist"));
}

}  // namespace
}  // namespace krige::training

namespace krige::training {
namespace {

// training.resource n_estimators: the folds boost in lockstep, a step every report_every
// rounds (mean over folds), the last step equal to plain cross-validation; a callback that
// throws stops the boosting between rounds.
TEST(XgboostModelTest, BoostingRoundsAreStepsWithNEstimatorsAsTheResource) {
  auto bc = Spec("breast_cancer", "xgboost", Task::kClassification);
  const Params params = {{"n_estimators", std::int64_t{25}}, {"learning_rate", 0.1}};
  const auto plain = CrossValidate(bc, params, "accuracy", nullptr);
  bc.resource = "n_estimators";
  bc.report_every = 10;
  std::vector<int> steps;
  const auto staged =
      CrossValidate(bc, params, "accuracy", [&](const StepScores& s) { steps.push_back(s.step); });
  EXPECT_EQ(steps, (std::vector<int>{10, 20, 25}));
  ASSERT_EQ(staged.folds.size(), 3u);
  EXPECT_DOUBLE_EQ(staged.metrics.at("accuracy"), plain.metrics.at("accuracy"));
  EXPECT_NE(staged.folds[0].values.at("accuracy"), 0.0);
  int calls = 0;
  EXPECT_THROW(CrossValidate(bc, params, "accuracy",
                             [&](const StepScores&) {
                               if (++calls == 1)
                                 throw Error(ErrorCode::kFailedPrecondition, "stop");
                             }),
               Error);
  EXPECT_EQ(calls, 1);
  auto forest = Spec("wine", "random_forest", Task::kClassification);
  forest.resource = "n_estimators";
  EXPECT_THROW(CrossValidate(forest, {}, "accuracy", nullptr), Error);
}

}  // namespace
}  // namespace krige::training
