// Metric values against scikit-learn's, from fixtures/metrics.json (regenerate with
// fixtures/make_metrics_fixture.py).
#include "metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "krige/error.hpp"
#include "krige/spec.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

nlohmann::json LoadFixture() {
  std::ifstream in(krige::testing::SourceDir() + "/tests/unit/training/fixtures/metrics.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

Eigen::MatrixXd ToMatrix(const nlohmann::json& rows) {
  Eigen::MatrixXd m(rows.size(), rows.at(0).size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j].get<double>();
  return m;
}

Eigen::VectorXd ToVector(const nlohmann::json& values) {
  Eigen::VectorXd v(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) v(i) = values[i].get<double>();
  return v;
}

TEST(MetricsTest, MatchScikitLearnFixture) {
  const auto fixture = LoadFixture();
  ASSERT_GE(fixture.at("cases").size(), 10u);
  int checked = 0;
  for (const auto& c : fixture.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const auto& want = c.at("expected");
    std::map<std::string, double> got;
    if (c.at("kind") == "classification") {
      const auto truth = c.at("y_true").get<std::vector<int>>();
      const auto pred = c.at("y_pred").get<std::vector<int>>();
      const int k = c.at("n_classes").get<int>();
      const Eigen::MatrixXd scores = ToMatrix(c.at("scores"));
      got["accuracy"] = Accuracy(truth, pred);
      got["balanced_accuracy"] = BalancedAccuracy(truth, pred);
      got["precision"] = Precision(truth, pred, k);
      got["recall"] = Recall(truth, pred, k);
      got["f1"] = F1(truth, pred, k);
      for (const char* name : {"precision", "recall", "f1"})
        for (const char* average : {"_macro", "_micro", "_weighted"}) {
          double value = -1;
          EXPECT_TRUE(LabelMetric(std::string(name) + average, truth, pred, k, &value));
          got[std::string(name) + average] = value;
        }
      if (want.contains("roc_auc")) got["roc_auc"] = RocAuc(truth, scores);
      got["log_loss"] = LogLoss(truth, scores);
    } else {
      const Eigen::VectorXd truth = ToVector(c.at("y_true"));
      const Eigen::VectorXd pred = ToVector(c.at("y_pred"));
      got["rmse"] = Rmse(truth, pred);
      got["mae"] = Mae(truth, pred);
      got["r2"] = R2(truth, pred);
    }
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [name, value] : got) {
      EXPECT_NEAR(value, want.at(name).get<double>(), 1e-9) << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 120);
}

TEST(MetricsTest, ClusteringMatchesScikitLearnFixture) {
  const auto fixture = LoadFixture();
  ASSERT_GE(fixture.at("clustering_cases").size(), 3u);
  for (const auto& c : fixture.at("clustering_cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const Eigen::MatrixXd x = ToMatrix(c.at("x"));
    const auto labels = c.at("labels").get<std::vector<int>>();
    EXPECT_NEAR(Silhouette(x, labels), c.at("expected").at("silhouette").get<double>(), 1e-9);
    EXPECT_NEAR(Inertia(x, labels, ToMatrix(c.at("centers"))),
                c.at("expected").at("inertia").get<double>(),
                1e-9 * c.at("expected").at("inertia").get<double>());
  }
}

TEST(MetricsTest, RocAucCountsTiesAsHalf) {
  // One positive and one negative with equal scores: AUC 0.5.
  Eigen::MatrixXd s(2, 2);
  s << 0.5, 0.5, 0.5, 0.5;
  EXPECT_DOUBLE_EQ(RocAuc({0, 1}, s), 0.5);
  s << 0.9, 0.1, 0.1, 0.9;
  EXPECT_DOUBLE_EQ(RocAuc({0, 1}, s), 1.0);
}

TEST(MetricsTest, RocAucNeedsBothClasses) {
  Eigen::MatrixXd s(2, 2);
  s << 0.5, 0.5, 0.3, 0.7;
  EXPECT_THROW(RocAuc({1, 1}, s), Error);
}

TEST(MetricsTest, NamesMatchTheSpecList) {
  for (const auto& m : KnownMetrics())
    EXPECT_TRUE(IsClassificationMetric(m) || IsRegressionMetric(m) || IsClusteringMetric(m)) << m;
}

}  // namespace
}  // namespace krige::training
