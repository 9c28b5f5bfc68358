// kmeans (Eigen) and the clustering task: silhouette / inertia per fold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "krige/error.hpp"
#include "krige/training/cross_validation.hpp"
#include "metrics.hpp"
#include "models/model.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

using ::testing::HasSubstr;

// Three tight blobs far apart.
Eigen::MatrixXd Blobs(int per_blob, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.3);
  Eigen::MatrixXd x(3 * per_blob, 2);
  for (int i = 0; i < x.rows(); ++i) {
    const int b = i % 3;
    x(i, 0) = 10.0 * b + noise(rng);
    x(i, 1) = (b == 1 ? 10.0 : 0.0) + noise(rng);
  }
  return x;
}

TEST(KmeansTest, FindsSeparatedBlobs) {
  const Eigen::MatrixXd x = Blobs(30, 1);
  auto m = MakeModel("kmeans", Task::kClustering, {{"n_clusters", std::int64_t{3}}}, 5);
  m->Fit(x, Eigen::VectorXd::Zero(x.rows()), 0);
  const Eigen::VectorXd labels = m->Predict(x);
  // Rows of the same blob share a cluster; different blobs do not.
  for (int i = 3; i < x.rows(); ++i) EXPECT_EQ(labels(i), labels(i % 3));
  EXPECT_NE(labels(0), labels(1));
  EXPECT_NE(labels(1), labels(2));
  EXPECT_NE(labels(0), labels(2));
  ASSERT_TRUE(m->HasCenters());
  EXPECT_EQ(m->ClusterCenters().rows(), 3);
  std::vector<int> l;
  for (double v : labels) l.push_back(static_cast<int>(v));
  EXPECT_GT(Silhouette(x, l), 0.9);
  EXPECT_LT(Inertia(x, l, m->ClusterCenters()), 90 * 2 * 0.3 * 0.3 * 1.5);
}

TEST(KmeansTest, SeedDeterminesTheResult) {
  const Eigen::MatrixXd x = Blobs(40, 2);
  const Params p = {{"n_clusters", std::int64_t{7}}, {"n_init", std::int64_t{1}}};
  auto a = MakeModel("kmeans", Task::kClustering, p, 1);
  auto b = MakeModel("kmeans", Task::kClustering, p, 1);
  auto c = MakeModel("kmeans", Task::kClustering, p, 2);
  const Eigen::VectorXd none = Eigen::VectorXd::Zero(x.rows());
  for (auto* m : {a.get(), b.get(), c.get()}) m->Fit(x, none, 0);
  EXPECT_EQ(a->ClusterCenters(), b->ClusterCenters());
  EXPECT_NE(a->ClusterCenters(), c->ClusterCenters());
}

TEST(KmeansTest, TooManyClustersIsNamed) {
  auto m = MakeModel("kmeans", Task::kClustering, {{"n_clusters", std::int64_t{50}}});
  try {
    m->Fit(Blobs(3, 1), Eigen::VectorXd::Zero(9), 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "params.n_clusters");
  }
}

TEST(KmeansTest, CrossValidatesIrisBySilhouetteAndInertia) {
  TrainingSpec t;
  t.dataset = krige::testing::SourceDir() + "/examples/data/iris.csv";
  t.task = Task::kClustering;
  t.model = "kmeans";
  t.stratified = false;
  t.metrics = {"inertia"};
  const auto two = CrossValidate(t, {{"n_clusters", std::int64_t{2}}}, "silhouette", nullptr);
  const auto six = CrossValidate(t, {{"n_clusters", std::int64_t{6}}}, "silhouette", nullptr);
  ASSERT_EQ(two.folds.size(), 5u);
  EXPECT_GT(two.metrics.at("silhouette"), 0.5);  // standardized iris: 2 clusters score ~0.58
  EXPECT_GT(two.metrics.at("silhouette"), six.metrics.at("silhouette"));
  EXPECT_GT(two.metrics.at("inertia"), six.metrics.at("inertia"));

  auto wrong = t;
  wrong.metrics = {"accuracy"};
  try {
    CrossValidate(wrong, {}, "silhouette", nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a clustering metric"));
  }
}

TEST(KmeansTest, SilhouetteNeedsTwoClusters) {
  Eigen::MatrixXd x(3, 1);
  x << 0, 1, 2;
  EXPECT_THROW(Silhouette(x, {0, 0, 0}), Error);
  EXPECT_THROW(Silhouette(x, {0, 1, 2}), Error);
  EXPECT_NO_THROW(Silhouette(x, {0, 0, 1}));
}

}  // namespace
}  // namespace krige::training
