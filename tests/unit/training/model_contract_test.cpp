// One suite run over every built-in model on small real datasets: what the cross-validation
// loop relies on (shapes, determinism for a seed, clear hyperparameter errors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "dataset.hpp"
#include "krige/error.hpp"
#include "krige/spec.hpp"
#include "metrics.hpp"
#include "models/model.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::HasSubstr;

struct Data {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  int n_classes;
};

// Small real datasets from examples/data: iris (3 classes), its two overlapping classes
// (versicolor vs virginica), the first 240 rows of diabetes, iris features for clustering.
Data Load(Task task, int n_classes) {
  const std::string name = task == Task::kRegression ? "diabetes" : "iris";
  const Dataset d =
      MakeDataset(*CachedTable(krige::testing::SourceDir() + "/examples/data/" + name + ".csv"),
                  DataOptions::For(task));
  std::vector<int> rows;
  for (int i = 0; i < d.x.rows(); ++i) {
    if (task == Task::kRegression && i >= 240) break;
    if (n_classes == 2 && d.y(i) == 0) continue;
    rows.push_back(i);
  }
  Data out{d.x(rows, Eigen::all), d.y(rows), task == Task::kClassification ? n_classes : 0};
  if (n_classes == 2) out.y.array() -= 1;  // classes 1, 2 -> 0, 1
  return out;
}

// Every third row is held out; features standardized on the rest.
struct Split {
  Data train, test;
};
Split SplitOf(const Data& d) {
  std::vector<int> train, test;
  for (int i = 0; i < d.x.rows(); ++i) (i % 3 == 0 ? test : train).push_back(i);
  const Pipeline scaler = Pipeline::Fit({"standardize"}, d.x(train, Eigen::all));
  return {{scaler.Transform(d.x(train, Eigen::all)), d.y(train), d.n_classes},
          {scaler.Transform(d.x(test, Eigen::all)), d.y(test), d.n_classes}};
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
        out.push_back({info.name, t, 0});
      } else {
        out.push_back({info.name, t, 0});
      }
    }
  return out;
}

// One out-of-range value per model, and the words its message must contain. Every registered
// model needs an entry (see OutOfRangeTableCoversEveryModel).
struct OutOfRange {
  std::string param;
  ParamValue value;
  std::string message;
};
const std::map<std::string, OutOfRange>& OutOfRangeValues() {
  static const std::map<std::string, OutOfRange> kTable = {
      {"logistic_regression", {"C", 0.0, "\"C\" must be > 0"}},
      {"linear_svc", {"C", -1.0, "\"C\" must be > 0"}},
      {"ridge", {"alpha", -1.0, "\"alpha\" must be >= 0"}},
      {"svc",
       {"kernel", std::string("cubic"), "\"kernel\" must be one of rbf|linear|poly|sigmoid"}},
      {"svr", {"epsilon", -0.5, "\"epsilon\" must be >= 0"}},
      {"lasso", {"alpha", -2.0, "\"alpha\" must be >= 0"}},
      {"elastic_net", {"l1_ratio", 1.5, "\"l1_ratio\" must be in [0, 1]"}},
      {"knn", {"n_neighbors", std::int64_t{0}, "\"n_neighbors\" must be in [1, "}},
      {"xgboost", {"learning_rate", 0.0, "\"learning_rate\" must be in (0, 1]"}},
      {"random_forest", {"max_depth", std::int64_t{-1}, "\"max_depth\" must be in [0, 64]"}},
      {"kmeans", {"n_clusters", std::int64_t{0}, "\"n_clusters\" must be in [1, "}},
  };
  return kTable;
}

class ModelContractTest : public ::testing::TestWithParam<Case> {};

TEST_P(ModelContractTest, FitsAndPredictsTheRightShapes) {
  const Case c = GetParam();
  const Split s = SplitOf(Load(c.task, c.n_classes));
  const Params params =
      c.task == Task::kClustering ? Params{{"n_clusters", std::int64_t{3}}} : Params{};
  auto model = MakeModel(c.model, c.task, params, 1);
  model->Fit(s.train.x, s.train.y, s.train.n_classes);
  const Eigen::VectorXd pred = model->Predict(s.test.x);
  ASSERT_EQ(pred.size(), s.test.x.rows());
  if (c.task == Task::kClustering) {
    ASSERT_TRUE(model->HasCenters());
    EXPECT_EQ(model->ClusterCenters().rows(), 3);
    EXPECT_EQ(model->ClusterCenters().cols(), s.test.x.cols());
    for (double p : pred) EXPECT_TRUE(p == std::floor(p) && p >= 0 && p < 3) << p;
    EXPECT_GT(Silhouette(s.test.x, Labels(pred)), 0.3);
    return;
  }
  if (c.task == Task::kRegression) {
    // Defaults only: better than predicting the mean (svr's C = 1 barely is on this scale).
    EXPECT_GT(R2(s.test.y, pred), 0.0);
    return;
  }
  for (double p : pred) {
    EXPECT_EQ(p, std::floor(p));
    EXPECT_GE(p, 0);
    EXPECT_LT(p, c.n_classes);
  }
  EXPECT_GT(Accuracy(Labels(s.test.y), Labels(pred)), 0.8);
  EXPECT_TRUE(model->HasProbabilities() || model->HasDecision());
  if (model->HasProbabilities()) {
    const Eigen::MatrixXd p = model->PredictProbabilities(s.test.x);
    ASSERT_EQ(p.rows(), s.test.x.rows());
    ASSERT_EQ(p.cols(), c.n_classes);
    EXPECT_GE(p.minCoeff(), 0);
    EXPECT_LE(p.maxCoeff(), 1);
    for (Eigen::Index i = 0; i < p.rows(); ++i) EXPECT_NEAR(p.row(i).sum(), 1, 1e-9);
    EXPECT_GT(RocAuc(Labels(s.test.y), p), 0.9);
  }
  if (model->HasDecision()) {
    const Eigen::MatrixXd d = model->Decision(s.test.x);
    ASSERT_EQ(d.rows(), s.test.x.rows());
    ASSERT_EQ(d.cols(), c.n_classes);
    EXPECT_GT(RocAuc(Labels(s.test.y), d), 0.9);
  }
}

TEST_P(ModelContractTest, IsDeterministicForASeed) {
  const Case c = GetParam();
  const Split s = SplitOf(Load(c.task, c.n_classes));
  Params params;
  if (c.model == "xgboost" || c.model == "random_forest")
    params = {{"subsample", 0.7}, {"colsample_bynode", 0.7}};  // make the seed matter
  if (c.model == "kmeans") params = {{"n_clusters", std::int64_t{4}}, {"n_init", std::int64_t{2}}};
  auto a = MakeModel(c.model, c.task, params, 42);
  auto b = MakeModel(c.model, c.task, params, 42);
  a->Fit(s.train.x, s.train.y, s.train.n_classes);
  b->Fit(s.train.x, s.train.y, s.train.n_classes);
  EXPECT_EQ(a->Predict(s.test.x), b->Predict(s.test.x));
  if (a->HasProbabilities()) {
    EXPECT_EQ(a->PredictProbabilities(s.test.x), b->PredictProbabilities(s.test.x));
  }
  if (a->HasDecision()) {
    EXPECT_EQ(a->Decision(s.test.x), b->Decision(s.test.x));
  }
}

TEST_P(ModelContractTest, RejectsUnknownHyperparameter) {
  const Case c = GetParam();
  try {
    MakeModel(c.model, c.task, {{"bogus_knob", 1.0}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr(c.model + ": unknown hyperparameter \"bogus_knob\""));
    EXPECT_THAT(e.what(), HasSubstr("known: "));
    EXPECT_EQ(e.field(), "params.bogus_knob");
  }
}

TEST_P(ModelContractTest, RejectsOutOfRangeHyperparameter) {
  const Case c = GetParam();
  const auto it = OutOfRangeValues().find(c.model);
  ASSERT_NE(it, OutOfRangeValues().end()) << "add " << c.model << " to OutOfRangeValues()";
  const OutOfRange& bad = it->second;
  try {
    MakeModel(c.model, c.task, {{bad.param, bad.value}});
    FAIL() << bad.param << " = " << ToString(bad.value) << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr(c.model + ": hyperparameter " + bad.message));
    EXPECT_THAT(e.what(), HasSubstr("got " + ToString(bad.value)));
    EXPECT_EQ(e.field(), "params." + bad.param);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelContractTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Task t = info.param.task;
                           return info.param.model + "_" +
                                  (t == Task::kRegression ? std::string("regression")
                                   : t == Task::kClustering
                                       ? std::string("clustering")
                                       : std::to_string(info.param.n_classes) + "classes");
                         });

TEST(ModelContractAllTest, OutOfRangeTableCoversEveryModel) {
  for (const auto& info : BuiltinModels())
    EXPECT_TRUE(OutOfRangeValues().count(info.name)) << info.name;
}

// A fold's training part may miss a class (plain k-fold); outputs keep one column per class.
TEST(ModelContractAllTest, ClassMissingFromTrainingKeepsAllColumns) {
  for (const Case& c : AllCases()) {
    if (c.task != Task::kClassification || c.n_classes < 3) continue;
    SCOPED_TRACE(c.model);
    const Split s = SplitOf(Load(c.task, c.n_classes));
    std::vector<int> keep;
    for (int i = 0; i < s.train.y.size(); ++i)
      if (s.train.y(i) != 1) keep.push_back(i);
    const Eigen::MatrixXd x = s.train.x(keep, Eigen::all);
    const Eigen::VectorXd y = s.train.y(keep);
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

// ModelHyperparameters (what submission accepts) and the trainers agree both ways: a trainer
// cannot read an unlisted name (HyperParameters throws kInternal, which every test above
// would hit), and every listed name is read: a value no accessor takes is refused at it.
TEST(ModelRegistryTest, EveryListedHyperparameterIsReadByItsTrainer) {
  for (const auto& info : BuiltinModels()) {
    const auto* names = ModelHyperparameters(info.name);
    ASSERT_NE(names, nullptr) << info.name;
    EXPECT_FALSE(names->empty()) << info.name;
    for (const auto& name : *names) {
      SCOPED_TRACE(info.name + "." + name);
      try {
        MakeModel(info.name, info.tasks.front(), {{name, std::string("?!")}});
        ADD_FAILURE() << "accepted \"?!\"";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
        EXPECT_EQ(e.field(), "params." + name);
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("unknown hyperparameter")));
      }
    }
  }
  EXPECT_EQ(ModelHyperparameters("deep_forest"), nullptr);
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
