// GP numerics: analytic gradients against finite differences, interpolation, ill-conditioning.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gp/gp_model.hpp"
#include "krige/tuners/tuner.hpp"

namespace krige::tuners::gp {
namespace {

Matrix RandomPoints(int n, int d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Matrix X(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) X(i, j) = u(rng);
  return X;
}

Vector Target(const Matrix& X) {
  Vector y(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    y[i] = std::sin(6 * X(i, 0)) + (X.cols() > 1 ? X(i, 1) * X(i, 1) : 0.0);
  return (y.array() - y.mean()).matrix();
}

Vector Theta(int d) {
  Vector t(d + 2);
  for (int i = 0; i < d; ++i) t[i] = std::log(0.3 + 0.1 * i);
  t[d] = std::log(1.3);
  t[d + 1] = std::log(1e-3);
  return t;
}

TEST(GpNumericsTest, KernelIsSymmetricWithSignalVarianceOnTheDiagonal) {
  const Matrix X = RandomPoints(20, 3, 1);
  const Matrix K = Matern52(X, X, Theta(3));
  EXPECT_LT((K - K.transpose()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((K.diagonal().array() - 1.3).abs().maxCoeff(), 1e-9);
  EXPECT_GT(Eigen::SelfAdjointEigenSolver<Matrix>(K).eigenvalues().minCoeff(), -1e-9);
}

TEST(GpNumericsTest, LikelihoodGradientMatchesFiniteDifferences) {
  const int d = 3;
  const Matrix X = RandomPoints(25, d, 2);
  const Vector y = Target(X);
  const auto prior = HyperPrior::Default(d);
  const Vector theta = Theta(d);
  Vector grad;
  NegLogPosterior(X, y, theta, prior, &grad);
  for (int i = 0; i < d + 2; ++i) {
    const double h = 1e-5;
    Vector a = theta, b = theta;
    a[i] += h;
    b[i] -= h;
    const double fd =
        (NegLogPosterior(X, y, a, prior, nullptr) - NegLogPosterior(X, y, b, prior, nullptr)) /
        (2 * h);
    EXPECT_NEAR(grad[i], fd, 1e-4 * std::max(1.0, std::fabs(fd))) << "theta[" << i << "]";
  }
}

TEST(GpNumericsTest, PosteriorGradientsMatchFiniteDifferences) {
  const int d = 2;
  const Matrix X = RandomPoints(15, d, 3);
  auto post = Posterior::Make(X, Target(X), Theta(d), nullptr);
  ASSERT_TRUE(post);
  const Vector z = (Vector(2) << 0.37, 0.61).finished();
  double mean, var;
  Vector dmean, dvar;
  post->PredictWithGradient(z, mean, var, dmean, dvar);
  for (int j = 0; j < d; ++j) {
    const double h = 1e-6;
    Vector a = z, b = z;
    a[j] += h;
    b[j] -= h;
    double ma, va, mb, vb;
    Vector g1, g2;
    post->PredictWithGradient(a, ma, va, g1, g2);
    post->PredictWithGradient(b, mb, vb, g1, g2);
    EXPECT_NEAR(dmean[j], (ma - mb) / (2 * h), 1e-5);
    EXPECT_NEAR(dvar[j], (va - vb) / (2 * h), 1e-5);
  }
  // The batch and the single-point paths agree.
  Vector m2, v2;
  post->Predict(z.transpose(), m2, v2);
  EXPECT_NEAR(m2[0], mean, 1e-10);
  EXPECT_NEAR(v2[0], var, 1e-10);
}

TEST(GpNumericsTest, LogEiIsStableAndItsGradientMatches) {
  // Far in the tail plain EI underflows to 0 (log = -inf); log EI stays finite and monotone.
  double prev = LogExpectedImprovement(0.0, 1.0, 0.0);
  for (double mean : {1.0, 5.0, 10.0, 30.0, 100.0, 1e4}) {
    const double v = LogExpectedImprovement(mean, 1.0, 0.0);
    EXPECT_TRUE(std::isfinite(v)) << mean;
    EXPECT_LT(v, prev);
    prev = v;
  }
  for (double mean : {-2.0, 0.0, 0.5, 3.0, 12.0, 40.0}) {
    for (double var : {0.01, 1.0, 4.0}) {
      double gm, gv;
      LogExpectedImprovement(mean, var, 0.2, &gm, &gv);
      const double h = 1e-6 * std::max(1.0, std::fabs(mean));
      const double fm = (LogExpectedImprovement(mean + h, var, 0.2) -
                         LogExpectedImprovement(mean - h, var, 0.2)) /
                        (2 * h);
      const double hv = 1e-6 * var;
      const double fv = (LogExpectedImprovement(mean, var + hv, 0.2) -
                         LogExpectedImprovement(mean, var - hv, 0.2)) /
                        (2 * hv);
      EXPECT_NEAR(gm, fm, 1e-4 * std::max(1.0, std::fabs(fm))) << mean << " " << var;
      EXPECT_NEAR(gv, fv, 1e-4 * std::max(1.0, std::fabs(fv))) << mean << " " << var;
    }
  }
  // Matches the closed form where that is accurate.
  const double z = 0.3, ei = z * 0.5 * std::erfc(-z / std::sqrt(2.0)) +
                             std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  EXPECT_NEAR(LogExpectedImprovement(-0.3, 1.0, 0.0), std::log(ei), 1e-12);
}

TEST(GpNumericsTest, PosteriorInterpolatesNoiseFreeData) {
  const int d = 2;
  const Matrix X = RandomPoints(30, d, 4);
  const Vector y = Target(X);
  Vector theta = Theta(d);
  theta[d + 1] = std::log(1e-8);
  auto post = Posterior::Make(X, y, theta, nullptr);
  ASSERT_TRUE(post);
  Vector mean, var;
  post->Predict(X, mean, var);
  EXPECT_LT((mean - y).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT(var.maxCoeff(), 1e-4);
  // And a fitted model does too (MAP noise goes to its lower range on noise-free data).
  const Vector fitted = FitHyperparameters(X, y, HyperPrior::Default(d), {});
  EXPECT_LT(std::exp(fitted[d + 1]), 1e-3);
  post = Posterior::Make(X, y, fitted, nullptr);
  ASSERT_TRUE(post);
  post->Predict(X, mean, var);
  EXPECT_LT((mean - y).cwiseAbs().maxCoeff(), 0.05);
}

TEST(GpNumericsTest, FitImprovesThePosterior) {
  const int d = 2;
  const Matrix X = RandomPoints(30, d, 5);
  const Vector y = Target(X);
  const auto prior = HyperPrior::Default(d);
  const Vector fitted = FitHyperparameters(X, y, prior, {});
  EXPECT_LT(NegLogPosterior(X, y, fitted, prior, nullptr),
            NegLogPosterior(X, y, prior.mean, prior, nullptr));
}

TEST(GpNumericsTest, DuplicatedPointsSurvive) {
  const int d = 2;
  Matrix X = RandomPoints(10, d, 6);
  Matrix Xd(30, d);
  Xd << X, X, X;  // every point three times, noise at its floor
  Vector y(30);
  y << Target(X), Target(X), Target(X);
  Vector theta = Theta(d);
  theta[d + 1] = std::log(1e-12);
  std::string why;
  auto post = Posterior::Make(Xd, y, theta, &why);
  ASSERT_TRUE(post) << why;
  EXPECT_LE(post->jitter(), 1e-2 * 1.3);
  Vector mean, var;
  post->Predict(X, mean, var);
  EXPECT_TRUE(mean.allFinite() && var.allFinite());
  const Vector fitted = FitHyperparameters(Xd, y, HyperPrior::Default(d), {});
  EXPECT_TRUE(fitted.allFinite());
  // A covariance that cannot be factored is reported, not thrown.
  theta[0] = std::nan("");
  EXPECT_FALSE(Posterior::Make(Xd, y, theta, &why));
  EXPECT_FALSE(why.empty());
}

TEST(GpNumericsTest, FantasiesCollapseVarianceAtPendingPoints) {
  const int d = 2;
  const Matrix X = RandomPoints(12, d, 7);
  auto post = Posterior::Make(X, Target(X), Theta(d), nullptr);
  ASSERT_TRUE(post);
  const Vector z = (Vector(2) << 0.5, 0.5).finished();
  Vector m0, v0, m1, v1;
  post->Predict(z.transpose(), m0, v0);
  post->AddFantasy(z);
  post->Predict(z.transpose(), m1, v1);
  EXPECT_NEAR(m1[0], m0[0], 1e-6) << "kriging believer keeps the mean";
  EXPECT_LT(v1[0], 0.01 * v0[0]);
}

TEST(GpNumericsTest, HalfRankKeepsTheBetterHalfAndBoundsTheWorse) {
  Vector y(9);
  y << 3, 1, 1e6, 2, 4, 50, 50, 5, 1e9;  // median 5; a plateau (50, 50) and two blow-ups
  const Vector w = HalfRank(y);
  for (Eigen::Index i = 0; i < y.size(); ++i) EXPECT_TRUE(y[i] > 5 || w[i] == y[i]) << i;
  EXPECT_EQ(w[5], w[6]) << "ties share their rank";
  for (Eigen::Index i = 0; i < y.size(); ++i)
    for (Eigen::Index j = 0; j < y.size(); ++j)
      EXPECT_TRUE(!(y[i] < y[j]) || w[i] < w[j]) << i << " " << j;
  // sigma = rms deviation of {1, ..., 5} from 5 = sqrt(6); the worst is 1.6 sigma away.
  EXPECT_LT(w.maxCoeff(), 5 + 2 * std::sqrt(6.0));
  EXPECT_GT(w.minCoeff(), 0.0);
  // Too few points, or a flat better half: unchanged.
  EXPECT_EQ(HalfRank(y.head(3)), y.head(3));
  Vector flat(5);
  flat << 1, 1, 1, 7, 9;
  EXPECT_EQ(HalfRank(flat), flat);
}

// The tuner survives degenerate histories and says why when it falls back.
TEST(GpTunerTest, ConstantAndDuplicatedObjectivesDoNotThrow) {
  TunerContext c;
  ParamSpec x;
  x.name = "x";
  x.low = 0;
  x.high = 1;
  c.space = SearchSpace({x});
  const auto tuner = DefaultRegistry().Create("gp", c);
  History h;
  for (int i = 0; i < 12; ++i) h.completed.push_back({{{"x", 0.5}}, 1.0});
  h.completed.push_back({{{"x", 0.25}}, std::nan("")});
  h.completed.push_back({{{"x", 0.75}}, 1e308});
  std::vector<Suggestion> s;
  ASSERT_NO_THROW(s = tuner->Suggest(h, 3));
  EXPECT_EQ(s.size(), 3u);
}

TEST(GpTunerTest, FindsTheMinimumOfAQuadraticQuickly) {
  TunerContext c;
  ParamSpec a, b;
  a.name = "a";
  b.name = "b";
  a.low = b.low = -1;
  a.high = b.high = 1;
  c.space = SearchSpace({a, b});
  c.goal = Goal::kMinimize;
  c.seed = 3;
  const auto tuner = DefaultRegistry().Create("gp", c);
  History h;
  double best = 1e9;
  for (int i = 0; i < 25; ++i) {
    const auto s = tuner->Suggest(h, 1);
    ASSERT_EQ(s.size(), 1u);
    const double va = AsDouble(s[0].params.at("a")), vb = AsDouble(s[0].params.at("b"));
    const double f = (va - 0.3) * (va - 0.3) + (vb + 0.2) * (vb + 0.2);
    best = std::min(best, f);
    h.completed.push_back({s[0].params, f});
  }
  EXPECT_LT(best, 1e-3);
}

TEST(GpTunerTest, TenThousandTrialsGiveAModelSuggestionNearTheBest) {
  // Beyond max_posterior_points (2000) the posterior holds a subset; the suggestion must still
  // come from the model (no fallback note), be new and lie in the box, near the optimum.
  const int d = 10;
  TunerContext c;
  std::vector<ParamSpec> ps(d);
  for (int j = 0; j < d; ++j) {
    ps[j].name = "x" + std::to_string(j);
    ps[j].low = 0;
    ps[j].high = 1;
  }
  c.space = SearchSpace(ps);
  c.goal = Goal::kMinimize;
  c.seed = 5;
  auto distance = [&](const Params& p) {
    double s = 0;
    for (int j = 0; j < d; ++j) s += std::pow(AsDouble(p.at("x" + std::to_string(j))) - 0.7, 2);
    return std::sqrt(s);
  };
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  History h;
  double best = 1e9;
  for (int i = 0; i < 10000; ++i) {
    Params p;
    for (int j = 0; j < d; ++j) p["x" + std::to_string(j)] = u(rng);
    h.completed.push_back({p, distance(p)});
    best = std::min(best, distance(p));
  }
  const auto s = DefaultRegistry().Create("gp", c)->Suggest(h, 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].note, "");
  EXPECT_TRUE(c.space.Contains(s[0].params));
  for (const auto& o : h.completed) ASSERT_NE(o.params, s[0].params);
  EXPECT_LT(distance(s[0].params), 2 * best) << "best of the history " << best;
}

// Best value found by `tuner` on `f` over the box [low, high]^d in `budget` sequential trials.
double BestAfter(const std::string& tuner, int d, double low, double high, std::uint64_t seed,
                 int budget, double (*f)(const std::vector<double>&),
                 std::map<std::string, double> options = {}) {
  std::vector<ParamSpec> ps(d);
  for (int j = 0; j < d; ++j) {
    ps[j].name = "x" + std::to_string(j);
    ps[j].low = low;
    ps[j].high = high;
  }
  TunerContext c{SearchSpace(ps), Goal::kMinimize, seed, std::move(options)};
  const auto t = DefaultRegistry().Create(tuner, c);
  History h;
  double best = 1e300;
  std::vector<double> x(d);
  for (int i = 0; i < budget; ++i) {
    const auto s = t->Suggest(h, 1);
    if (s.size() != 1u) return 1e300;
    for (int j = 0; j < d; ++j) x[j] = AsDouble(s[0].params.at("x" + std::to_string(j)));
    const double v = f(x);
    h.completed.push_back({s[0].params, v});
    best = std::min(best, v);
  }
  return best;
}

// Styblinski-Tang: separable, multimodal, minimum near -2.9 in every coordinate of [-5, 5].
double StyblinskiTang(const std::vector<double>& x) {
  double f = 0;
  for (double v : x) f += 0.5 * (v * v * v * v - 16 * v * v + 5 * v);
  return f;
}

double Median3(double a, double b, double c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

// In 10 dimensions EI over the whole cube keeps proposing corners (the posterior variance is
// largest there); the trust region keeps the search where the data are. Without it gp is no
// better than random search here.
TEST(GpTunerTest, TrustRegionBeatsTheWholeCubeAndRandomInTenDimensions) {
  std::vector<double> with, without, random;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    with.push_back(BestAfter("gp", 10, -5, 5, seed, 80, StyblinskiTang));
    without.push_back(BestAfter("gp", 10, -5, 5, seed, 80, StyblinskiTang, {{"trust_region", 0}}));
    random.push_back(BestAfter("random", 10, -5, 5, seed, 80, StyblinskiTang));
  }
  const double m = Median3(with[0], with[1], with[2]);
  EXPECT_LT(m, Median3(without[0], without[1], without[2]));
  EXPECT_LT(m, Median3(random[0], random[1], random[2]));
}

// Below 8 numeric dimensions the default is the whole cube: the low-dimensional results stay.
TEST(GpTunerTest, TrustRegionIsOffByDefaultInFewDimensions) {
  auto sphere = [](const std::vector<double>& x) {
    double f = 0;
    for (double v : x) f += (v - 0.3) * (v - 0.3);
    return f;
  };
  for (std::uint64_t seed = 1; seed <= 2; ++seed)
    EXPECT_EQ(BestAfter("gp", 4, -1, 1, seed, 20, sphere),
              BestAfter("gp", 4, -1, 1, seed, 20, sphere, {{"trust_region", 0}}));
}

// The batch strategies differ only in how pending trials are fantasized: without pending trials
// every one of them suggests exactly what the default does.
TEST(GpTunerTest, BatchStrategyLeavesSequentialSuggestionsUnchanged) {
  for (double batch : {1.0, 2.0, 3.0, 4.0}) {
    EXPECT_EQ(BestAfter("gp", 3, -5, 5, 1, 15, StyblinskiTang),
              BestAfter("gp", 3, -5, 5, 1, 15, StyblinskiTang, {{"batch", batch}}))
        << "batch " << batch;
    EXPECT_EQ(BestAfter("gp", 10, -5, 5, 1, 15, StyblinskiTang),
              BestAfter("gp", 10, -5, 5, 1, 15, StyblinskiTang, {{"batch", batch}}))
        << "batch " << batch;
  }
}

// Eight pending trials clustered where EI wants to go: fantasized at the worst observed value
// (batch 1, pessimistic constant liar) they push the next suggestion away; without fantasies
// (batch 4) it lands among them. The default, kriging believer, lands among them too (the
// distance is printed): its fantasies only shrink the variance (docs/tuners.md, batches).
TEST(GpTunerTest, PendingTrialsAtTheIncumbentPushTheNextSuggestionAway) {
  const int d = 2;
  std::vector<ParamSpec> ps(d);
  for (int j = 0; j < d; ++j) {
    ps[j].name = "x" + std::to_string(j);
    ps[j].low = -5;
    ps[j].high = 5;
  }
  auto sphere = [](double a, double b) { return (a - 1) * (a - 1) + (b + 2) * (b + 2); };
  History h;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-5, 5);
  for (int i = 0; i < 20; ++i) {
    const double a = u(rng), b = u(rng);
    h.completed.push_back({{{"x0", a}, {"x1", b}}, sphere(a, b)});
  }
  const auto best =
      std::min_element(h.completed.begin(), h.completed.end(),
                       [](const auto& l, const auto& r) { return l.value < r.value; });
  const double a0 = AsDouble(best->params.at("x0")), b0 = AsDouble(best->params.at("x1"));
  // The incumbent moved towards the optimum: where EI without fantasies wants to go.
  const double ta = a0 + 0.5 * (1 - a0), tb = b0 + 0.5 * (-2 - b0);
  for (int k = 0; k < 8; ++k) {
    const double angle = 0.785398 * k;
    h.pending.push_back({{"x0", ta + 0.05 * std::cos(angle)}, {"x1", tb + 0.05 * std::sin(angle)}});
  }
  auto nearest = [&](std::map<std::string, double> options) {
    TunerContext c{SearchSpace(ps), Goal::kMinimize, 3, std::move(options)};
    const auto s = DefaultRegistry().Create("gp", c)->Suggest(h, 1);
    EXPECT_EQ(s.size(), 1u);
    double m = 1e300;
    for (const auto& p : h.pending)
      m = std::min(m, std::hypot(AsDouble(s[0].params.at("x0")) - AsDouble(p.at("x0")),
                                 AsDouble(s[0].params.at("x1")) - AsDouble(p.at("x1"))));
    return m;
  };
  const double with = nearest({{"batch", 1}}), without = nearest({{"batch", 4}});
  std::cout << "nearest pending: liar " << with << ", none " << without << ", believer "
            << nearest({}) << "\n";
  EXPECT_GT(with, 0.1) << "without fantasies: " << without;
  EXPECT_GT(with, 2 * without);
}

}  // namespace
}  // namespace krige::tuners::gp
