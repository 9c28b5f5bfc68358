// One suite run over every built-in model: what the cross-validation loop relies on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "krige/error.hpp"
#include "krige/spec.hpp"
#include "metrics.hpp"
#include "models/model.hpp"

namespace krige::training {
namespace {

using ::testing::HasSubstr;

struct Data {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  int n_classes;
};

// Well separated Gaussian blobs (classification) or a noisy linear function (regression).
Data Synthetic(Task task, int n_classes, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  Data d{Eigen::MatrixXd(n, 3), Eigen::VectorXd(n), task == Task::kClassification ? n_classes : 0};
  for (int i = 0; i < n; ++i) {
    const int c = i % std::max(n_classes, 1);
    for (int j = 0; j < 3; ++j)
      d.x(i, j) = noise(rng) * 0.5 + (task == Task::kClassification ? 3.0 * (c == j) : 0);
    if (task == Task::kClassification) {
      d.y(i) = c;
    } else {
      d.x.row(i) = Eigen::RowVector3d(noise(rng), noise(rng), noise(rng));
      d.y(i) = 2 * d.x(i, 0) - d.x(i, 1) + 0.5 * d.x(i, 2) + 3 + 0.1 * noise(rng);
    }
  }
  return d;
}

std::vector<int> Labels(const Eigen::VectorXd& v) {
  std::vector<int> out;
  for (double x : v) out.push_back(static_cast<int>(x));
  return out;
}

struct Case {
  std::string model;
  Task task;
  int n_classes;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << "/" << c.n_classes;
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (const auto& info : BuiltinModels())
    for (Task t : info.tasks) {
      if (t == Task::kClassification) {
        out.push_back({info.name, t, 2});
        out.push_back({info.name, t, 3});
      } else if (t == Task::kClustering) {
        out.push_back({info.name, t, -1});
      } else {
        out.push_back({info.name, t, 0});
      }
    }
  return out;
}

class ModelContractTest : public ::testing::TestWithParam<Case> {};

TEST_P(ModelContractTest, FitsAndPredictsWithDefaults) {
  const Case c = GetParam();
  const Data train = Synthetic(c.task, c.n_classes, 120, 1);
  const Data test = Synthetic(c.task, c.n_classes, 60, 2);
  auto model = MakeModel(c.model, c.task, {});
  model->Fit(train.x, train.y, train.n_classes);
  const Eigen::VectorXd pred = model->Predict(test.x);
  ASSERT_EQ(pred.size(), test.x.rows());
  if (c.task == Task::kClustering) {
    ASSERT_TRUE(model->HasCenters());
    for (double p : pred) EXPECT_TRUE(p >= 0 && p < model->ClusterCenters().rows());
    return;
  }
  if (c.task == Task::kRegression) {
    // Defaults regularize (lasso/elastic_net alpha = 1 keeps about 0.6 here).
    EXPECT_GT(R2(test.y, pred), 0.5);
    return;
  }
  for (double p : pred) {
    EXPECT_EQ(p, std::floor(p));
    EXPECT_GE(p, 0);
    EXPECT_LT(p, c.n_classes);
  }
  EXPECT_GT(Accuracy(Labels(test.y), Labels(pred)), 0.9);
  EXPECT_TRUE(model->HasProbabilities() || model->HasDecision());
  if (model->HasProbabilities()) {
    const Eigen::MatrixXd p = model->PredictProbabilities(test.x);
    ASSERT_EQ(p.rows(), test.x.rows());
    ASSERT_EQ(p.cols(), c.n_classes);
    EXPECT_GE(p.minCoeff(), 0);
    EXPECT_LE(p.maxCoeff(), 1);
    for (Eigen::Index i = 0; i < p.rows(); ++i) EXPECT_NEAR(p.row(i).sum(), 1, 1e-9);
    EXPECT_GT(RocAuc(Labels(test.y), p), 0.9);
  }
  if (model->HasDecision()) {
    const Eigen::MatrixXd d = model->Decision(test.x);
    ASSERT_EQ(d.rows(), test.x.rows());
    ASSERT_EQ(d.cols(), c.n_classes);
    EXPECT_GT(RocAuc(Labels(test.y), d), 0.9);
  }
}

TEST_P(ModelContractTest, IsDeterministic) {
  const Case c = GetParam();
  const Data train = Synthetic(c.task, c.n_classes, 80, 3);
  auto a = MakeModel(c.model, c.task, {});
  auto b = MakeModel(c.model, c.task, {});
  a->Fit(train.x, train.y, train.n_classes);
  b->Fit(train.x, train.y, train.n_classes);
  EXPECT_EQ(a->Predict(train.x), b->Predict(train.x));
}

TEST_P(ModelContractTest, RejectsUnknownHyperparameter) {
  const Case c = GetParam();
  try {
    MakeModel(c.model, c.task, {{"bogus_knob", 1.0}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("bogus_knob"));
    EXPECT_EQ(e.field(), "params.bogus_knob");
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelContractTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.model + "_" +
                                  (info.param.task == Task::kRegression ? std::string("regression")
                                   : info.param.task == Task::kClustering
                                       ? std::string("clustering")
                                       : std::to_string(info.param.n_classes) + "classes");
                         });

// A fold's training part may miss a class (plain k-fold); outputs keep one column per class.
TEST(ModelContractAllTest, ClassMissingFromTrainingKeepsAllColumns) {
  for (const Case& c : AllCases()) {
    if (c.task != Task::kClassification || c.n_classes < 3) continue;
    SCOPED_TRACE(c.model);
    Data train = Synthetic(c.task, c.n_classes, 90, 4);
    std::vector<int> keep;
    for (int i = 0; i < train.y.size(); ++i)
      if (train.y(i) != 1) keep.push_back(i);
    const Eigen::MatrixXd x = train.x(keep, Eigen::all);
    const Eigen::VectorXd y = train.y(keep);
    auto model = MakeModel(c.model, c.task, {});
    model->Fit(x, y, c.n_classes);
    if (model->HasProbabilities()) {
      EXPECT_EQ(model->PredictProbabilities(x).cols(), c.n_classes);
    }
    if (model->HasDecision()) {
      EXPECT_EQ(model->Decision(x).cols(), c.n_classes);
    }
    EXPECT_FALSE((model->Predict(x).array() == 1).any());
  }
}

TEST(ModelRegistryTest, MatchesSpecValidation) {
  std::vector<std::string> names;
  for (const auto& m : BuiltinModels()) names.push_back(m.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray(KnownModels()));
}

TEST(ModelRegistryTest, WrongTaskAndUnknownModel) {
  EXPECT_THROW(MakeModel("ridge", Task::kClassification, {}), Error);
  EXPECT_THROW(MakeModel("logistic_regression", Task::kRegression, {}), Error);
  EXPECT_THROW(MakeModel("deep_forest", Task::kRegression, {}), Error);
}

TEST(HyperparameterTest, TypesAndRanges) {
  const Task cls = Task::kClassification;
  EXPECT_NO_THROW(MakeModel("logistic_regression", cls, {{"C", std::int64_t{3}}}));
  EXPECT_NO_THROW(
      MakeModel("logistic_regression", cls,
                {{"penalty", std::string("l1")}, {"fit_intercept", std::string("False")}}));
  auto message = [](const std::string& model, Task task, const Params& p) -> std::string {
    try {
      MakeModel(model, task, p);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message("logistic_regression", cls, {{"C", 0.0}}), HasSubstr("\"C\" must be > 0"));
  EXPECT_THAT(message("logistic_regression", cls, {{"C", std::string("big")}}),
              HasSubstr("\"C\" must be a number"));
  EXPECT_THAT(message("logistic_regression", cls, {{"penalty", std::string("l3")}}),
              HasSubstr("\"penalty\" must be one of l1|l2"));
  EXPECT_THAT(message("ridge", Task::kRegression, {{"alpha", -1.0}}),
              HasSubstr("\"alpha\" must be >= 0"));
}

}  // namespace
}  // namespace krige::training
