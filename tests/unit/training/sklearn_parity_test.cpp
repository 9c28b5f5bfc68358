// Models against scikit-learn's StandardScaler + the same model on the same folds
// (fixtures/parity.json, from fixtures/make_parity_fixture.py).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "dataset.hpp"
#include "krige/training/cross_validation.hpp"
#include "metrics.hpp"
#include "models/model.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

Params ToParams(const nlohmann::json& j) {
  Params p;
  for (const auto& [name, v] : j.items()) {
    if (v.is_string())
      p[name] = v.get<std::string>();
    else if (v.is_number_integer())
      p[name] = v.get<std::int64_t>();
    else
      p[name] = v.get<double>();
  }
  return p;
}

// Replays one fixture block; returns how many fold scores differ by more than `tol`.
void Replay(const nlohmann::json& block, const std::string& model, Task task, double tol) {
  const std::string path = krige::testing::SourceDir() + "/examples/data/" +
                           block.at("dataset").get<std::string>() + ".csv";
  const Dataset d = MakeDataset(*CachedTable(path), DataOptions::For(task));
  const auto folds = block.at("folds").get<std::vector<std::vector<int>>>();
  for (const auto& config : block.at("configs")) {
    SCOPED_TRACE(config.at("params").dump());
    const Params params = ToParams(config.at("params"));
    for (std::size_t f = 0; f < folds.size(); ++f) {
      std::vector<int> train;
      for (int i = 0, t = 0; i < d.x.rows(); ++i) {
        if (t < static_cast<int>(folds[f].size()) && folds[f][t] == i) {
          ++t;
        } else {
          train.push_back(i);
        }
      }
      const Eigen::MatrixXd xtr = d.x(train, Eigen::all);
      const Eigen::MatrixXd xte = d.x(folds[f], Eigen::all);
      const Pipeline scaler = Pipeline::Fit({"standardize"}, xtr);
      auto m = MakeModel(model, task, params);
      m->Fit(scaler.Transform(xtr), d.y(train), d.n_classes);
      const Eigen::VectorXd pred = m->Predict(scaler.Transform(xte));
      const Eigen::VectorXd truth = d.y(folds[f]);
      double got;
      if (task == Task::kRegression) {
        got = R2(truth, pred);
      } else {
        std::vector<int> t(truth.data(), truth.data() + truth.size());
        std::vector<int> p;
        for (double v : pred) p.push_back(static_cast<int>(v));
        got = Accuracy(t, p);
      }
      EXPECT_NEAR(got, config.at("scores")[f].get<double>(), tol) << "fold " << f;
    }
  }
}

nlohmann::json Fixture() {
  std::ifstream in(krige::testing::SourceDir() + "/tests/unit/training/fixtures/parity.json");
  return nlohmann::json::parse(in);
}

TEST(SklearnParityTest, SvcAccuracyMatchesScikitLearnOnTheSameFolds) {
  const auto f = Fixture();
  Replay(f.at("svc"), "svc", Task::kClassification, 1e-9);
  Replay(f.at("svc_multiclass"), "svc", Task::kClassification, 1e-9);
}

TEST(SklearnParityTest, SvrR2MatchesScikitLearnOnTheSameFolds) {
  Replay(Fixture().at("svr"), "svr", Task::kRegression, 1e-4);
}

// liblinear's dual solvers permute with rand(), seeded differently in scikit-learn's fork:
// allow one test row per fold.
TEST(SklearnParityTest, LinearSvcMatchesScikitLearnWithinOneRow) {
  Replay(Fixture().at("linear_svc"), "linear_svc", Task::kClassification, 1.0 / 113 + 1e-9);
}

TEST(SklearnParityTest, LogisticRegressionMatchesScikitLearnLiblinear) {
  Replay(Fixture().at("logistic_regression"), "logistic_regression", Task::kClassification, 1e-9);
}

TEST(SklearnParityTest, LassoAndElasticNetMatchScikitLearn) {
  Replay(Fixture().at("lasso"), "lasso", Task::kRegression, 1e-6);
  Replay(Fixture().at("elastic_net"), "elastic_net", Task::kRegression, 1e-6);
}

TEST(SklearnParityTest, KnnMatchesScikitLearn) {
  Replay(Fixture().at("knn"), "knn", Task::kClassification, 1e-9);
  Replay(Fixture().at("knn_regression"), "knn", Task::kRegression, 1e-9);
}

TEST(SklearnParityTest, ProbabilitiesEnableLogLoss) {
  TrainingSpec t;
  t.dataset = krige::testing::SourceDir() + "/examples/data/breast_cancer.csv";
  t.model = "svc";
  t.metrics = {"roc_auc", "log_loss"};
  const auto out = CrossValidate(t, {{"probability", std::string("true")}}, "accuracy", nullptr);
  EXPECT_GT(out.metrics.at("accuracy"), 0.95);
  EXPECT_GT(out.metrics.at("roc_auc"), 0.98);
  EXPECT_LT(out.metrics.at("log_loss"), 0.2);
  // Without probabilities log_loss is refused before any training.
  try {
    CrossValidate(t, {}, "accuracy", nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log_loss"), std::string::npos);
  }
}

}  // namespace
}  // namespace krige::training
