// The precomputed-kernel path of svc/svr (kernel matrices from cached pairwise tables) against
// libsvm's own kernels, and the cache behind it: bounded, shared, safe under concurrent use.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "dataset.hpp"
#include "krige/training/cross_validation.hpp"
#include "models/hyperparameters.hpp"
#include "models/libsvm_model.hpp"
#include "models/pairwise_cache.hpp"
#include "preprocessing.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

struct Split {
  Eigen::MatrixXd x_train, x_test;
  Eigen::VectorXd y_train;
  int n_classes = 0;
};

// Every third row held out; standardized on the rest.
Split Load(const std::string& name, Task task) {
  const Dataset d =
      MakeDataset(*CachedTable(krige::testing::SourceDir() + "/examples/data/" + name + ".csv"),
                  DataOptions::For(task));
  std::vector<int> train, test;
  for (int i = 0; i < d.x.rows(); ++i) (i % 3 == 0 ? test : train).push_back(i);
  const Scaler scaler = Scaler::Fit("standardize", d.x(train, Eigen::all));
  return {scaler.Transform(d.x(train, Eigen::all)), scaler.Transform(d.x(test, Eigen::all)),
          d.y(train), d.n_classes};
}

std::unique_ptr<Model> Make(bool svr, const Params& params, SvmKernelPath path) {
  HyperParameters hp(svr ? "svr" : "svc", params);
  auto model = svr ? MakeSvr(hp, path) : MakeSvc(hp, path);
  hp.RejectUnknown();
  return model;
}

// Exact equality: the precomputed kernels are libsvm's own, operation for operation.
void ExpectSamePaths(const Split& s, bool svr, const Params& params,
                     SvmKernelPath path = SvmKernelPath::kPrecomputed) {
  auto native = Make(svr, params, SvmKernelPath::kNative);
  auto pre = Make(svr, params, path);
  native->Fit(s.x_train, s.y_train, s.n_classes);
  pre->Fit(s.x_train, s.y_train, s.n_classes);
  const Eigen::VectorXd p_native = native->Predict(s.x_test);
  EXPECT_EQ(p_native, pre->Predict(s.x_test));
  if (native->HasDecision()) {
    const Eigen::MatrixXd d_native = native->Decision(s.x_test);
    EXPECT_EQ(d_native, pre->Decision(s.x_test));
  }
  if (native->HasProbabilities()) {
    const Eigen::MatrixXd pr_native = native->PredictProbabilities(s.x_test);
    EXPECT_EQ(pr_native, pre->PredictProbabilities(s.x_test));
  }
  // Predicting the training rows uses the other pairwise table shape (a == b).
  EXPECT_EQ(native->Predict(s.x_train), pre->Predict(s.x_train));
}

TEST(LibsvmPrecomputedTest, SvcEqualsNativeKernelsOnEveryKernel) {
  const Split s = Load("breast_cancer", Task::kClassification);
  for (const std::string kernel : {"rbf", "linear", "poly", "sigmoid"}) {
    for (double c : {0.01, 1.0, 100.0}) {
      SCOPED_TRACE(kernel + " C=" + std::to_string(c));
      ExpectSamePaths(s, false, {{"kernel", kernel}, {"C", c}, {"coef0", 0.5}});
      ExpectSamePaths(s, false, {{"kernel", kernel}, {"C", c}, {"gamma", 0.02}});
    }
  }
}

TEST(LibsvmPrecomputedTest, MulticlassProbabilitiesAndBalancedWeightsEqualNative) {
  const Split wine = Load("wine", Task::kClassification);
  const Split iris = Load("iris", Task::kClassification);
  const Params poly_probability = {{"kernel", std::string("poly")},
                                   {"probability", std::string("true")}};
  ExpectSamePaths(wine, false, poly_probability);
  ExpectSamePaths(iris, false, poly_probability);
  ExpectSamePaths(wine, false,
                  {{"kernel", std::string("sigmoid")}, {"class_weight", std::string("balanced")}});
  ExpectSamePaths(iris, false, {{"class_weight", std::string("balanced")}});
}

TEST(LibsvmPrecomputedTest, RbfProbabilitiesStayNativeUnderAuto) {
  const Split wine = Load("wine", Task::kClassification);
  const Params params = {{"probability", std::string("true")}, {"gamma", std::string("auto")}};
  ExpectSamePaths(wine, false, params, SvmKernelPath::kAuto);
  // Forced, the precomputed path differs only in the last bits of Platt's fit.
  auto native = Make(false, params, SvmKernelPath::kNative);
  auto pre = Make(false, params, SvmKernelPath::kPrecomputed);
  native->Fit(wine.x_train, wine.y_train, wine.n_classes);
  pre->Fit(wine.x_train, wine.y_train, wine.n_classes);
  EXPECT_LE((native->PredictProbabilities(wine.x_test) - pre->PredictProbabilities(wine.x_test))
                .cwiseAbs()
                .maxCoeff(),
            1e-9);
}

TEST(LibsvmPrecomputedTest, SvrEqualsNative) {
  const Split s = Load("diabetes", Task::kRegression);
  for (const std::string kernel : {"rbf", "linear", "poly", "sigmoid"}) {
    SCOPED_TRACE(kernel);
    ExpectSamePaths(s, true, {{"kernel", kernel}, {"C", 10.0}, {"epsilon", 0.5}});
  }
}

TEST(LibsvmPrecomputedTest, AutoPicksThePathThatPays) {
  EXPECT_TRUE(PrecomputedKernelPays(455, 30));  // a breast_cancer training fold
  EXPECT_TRUE(PrecomputedKernelPays(2000, 20));
  EXPECT_FALSE(PrecomputedKernelPays(1000, 4));
  EXPECT_FALSE(PrecomputedKernelPays(kMaxPrecomputedRows + 1, 1000));
}

TEST(PairwiseCacheTest, TablesMatchDirectSums) {
  Eigen::MatrixXd a(3, 2), b(2, 2);
  a << 1, 2, 0, -1, 3, 0.5;
  b << 2, 0, -1, 1;
  const Eigen::MatrixXd dot = PairwiseCache::Compute(PairKind::kDot, a, b);
  const Eigen::MatrixXd sq = PairwiseCache::Compute(PairKind::kSquaredDistance, a, b);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      EXPECT_DOUBLE_EQ(dot(i, j), a.row(i).dot(b.row(j)));
      EXPECT_DOUBLE_EQ(sq(i, j), (a.row(i) - b.row(j)).squaredNorm());
    }
  const Eigen::MatrixXd gram = PairwiseCache::Compute(PairKind::kDot, a, a);
  EXPECT_EQ(gram, gram.transpose());
}

TEST(PairwiseCacheTest, SharesByContentAndStaysWithinItsBound) {
  // Each entry: a 10 x 10 table plus two 10 x 3 keys = 160 doubles = 1280 bytes.
  PairwiseCache cache(3 * 1280);
  std::vector<Eigen::MatrixXd> xs;
  for (int k = 0; k < 5; ++k) xs.push_back(Eigen::MatrixXd::Constant(10, 3, k));
  const auto first = cache.Get(PairKind::kDot, xs[0], xs[0]);
  const Eigen::MatrixXd copy = xs[0];  // equal contents, another object
  EXPECT_EQ(cache.Get(PairKind::kDot, copy, copy), first);
  EXPECT_NE(cache.Get(PairKind::kSquaredDistance, xs[0], xs[0]), first);
  EXPECT_EQ(cache.hits(), 1u);
  for (const auto& x : xs) cache.Get(PairKind::kDot, x, x);
  EXPECT_LE(cache.bytes(), 3u * 1280);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ((*first)(0, 0), 0.0);  // still valid after its eviction
  // The least recently used went first: xs[4] is resident, xs[0] is not.
  const auto misses = cache.misses();
  cache.Get(PairKind::kDot, xs[4], xs[4]);
  EXPECT_EQ(cache.misses(), misses);
  cache.Get(PairKind::kDot, xs[0], xs[0]);
  EXPECT_EQ(cache.misses(), misses + 1);
  // Too large to keep: computed, returned, not stored.
  PairwiseCache tiny(100);
  EXPECT_EQ(tiny.Get(PairKind::kDot, xs[1], xs[1])->rows(), 10);
  EXPECT_EQ(tiny.entries(), 0u);
  EXPECT_EQ(tiny.bytes(), 0u);
}

TEST(PairwiseCacheTest, ConcurrentCrossValidationsAgreeWithSequentialOnes) {
  TrainingSpec t;
  t.dataset = krige::testing::SourceDir() + "/examples/data/breast_cancer.csv";
  t.model = "svc";
  t.folds = 4;
  t.preprocessing = {"standardize"};
  t.metrics = {"roc_auc"};
  std::vector<Params> configs;
  for (double c : {0.1, 10.0})
    for (double gamma : {0.001, 0.05}) configs.push_back({{"C", c}, {"gamma", gamma}});
  configs.push_back({{"kernel", std::string("poly")}, {"probability", std::string("true")}});

  std::vector<CvOutcome> sequential;
  for (const auto& p : configs) sequential.push_back(CrossValidate(t, p, "accuracy", nullptr));

  constexpr int kThreads = 4;
  std::vector<std::vector<CvOutcome>> results(kThreads);
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k)
    threads.emplace_back([&, k] {
      // Each thread walks the configurations in its own order.
      for (std::size_t i = 0; i < configs.size(); ++i) {
        const std::size_t c = (i + k) % configs.size();
        results[k].push_back(CrossValidate(t, configs[c], "accuracy", nullptr));
      }
    });
  for (auto& th : threads) th.join();
  for (int k = 0; k < kThreads; ++k)
    for (std::size_t i = 0; i < configs.size(); ++i) {
      const std::size_t c = (i + k) % configs.size();
      EXPECT_EQ(results[k][i].metrics, sequential[c].metrics) << "thread " << k << " config " << c;
    }
  EXPECT_LE(SvmPairwiseCache().bytes(), std::size_t{256} << 20);
}

}  // namespace
}  // namespace krige::training
