// The auto tuner: which tuner it hands each space and history to, and the hand-over to CMA-ES.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "krige/codec.hpp"
#include "krige/tuners/tuner.hpp"

namespace krige::tuners {
namespace {

SearchSpace Space(const std::string& yaml_space) {
  return SpecFromJson(YamlToJson("name: t\nobjective: {metric: accuracy}\nspace:\n" + yaml_space +
                                 "training: {dataset: d.csv, model: logistic_regression}\n"))
      .space;
}

SearchSpace Cube(int d) {
  std::string yaml;
  for (int i = 0; i < d; ++i)
    yaml += "  x" + std::to_string(i) + ": {type: float, low: -5, high: 10}\n";
  return Space(yaml);
}

// A shifted sphere: optimum at 7 in every coordinate.
double Sphere(const Params& p) {
  double f = 0;
  for (const auto& [name, value] : p) f += std::pow(AsDouble(value) - 7, 2);
  return f;
}

std::unique_ptr<Tuner> Make(const std::string& name, const SearchSpace& space,
                            std::map<std::string, double> options = {}, std::uint64_t seed = 3) {
  return DefaultRegistry().Create(name, TunerContext{space, Goal::kMinimize, seed, options});
}

// Runs `tuner` for `total` sequential trials on `f` and returns the history.
History RunTrials(const Tuner& tuner, int total, double (*f)(const Params&), History h = {}) {
  while (static_cast<int>(h.completed.size()) < total) {
    const auto s = tuner.Suggest(h, 1);
    EXPECT_EQ(s.size(), 1u);
    if (s.empty()) break;
    h.completed.push_back({s[0].params, f(s[0].params)});
  }
  return h;
}

TEST(AutoTuner, MixedAndConditionalSpacesGoToTpe) {
  const auto space = Space(R"(  C: {type: float, low: 1e-3, high: 1e3, log: true}
  kernel: {type: categorical, values: [rbf, linear]}
  gamma: {type: float, low: 1e-5, high: 1, log: true, when: {kernel: rbf}}
)");
  const auto f = [](const Params& p) {
    return std::fabs(std::log10(AsDouble(p.at("C")))) + (p.count("gamma") ? 0.0 : 0.5);
  };
  const History a = RunTrials(*Make("auto", space), 25, f);
  const History b = RunTrials(*Make("tpe", space), 25, f);
  ASSERT_EQ(a.completed.size(), b.completed.size());
  for (std::size_t i = 0; i < a.completed.size(); ++i)
    EXPECT_EQ(a.completed[i].params, b.completed[i].params) << "trial " << i;
}

TEST(AutoTuner, NumericSpacesGoToGpBelowTheSwitch) {
  const auto space = Cube(3);
  const History a = RunTrials(*Make("auto", space), 14, Sphere);
  const History b = RunTrials(*Make("gp", space), 14, Sphere);
  for (std::size_t i = 0; i < a.completed.size(); ++i)
    EXPECT_EQ(a.completed[i].params, b.completed[i].params) << "trial " << i;
}

TEST(AutoTuner, NumericSpacesWithManyDimensionsGoToCmaes) {
  const auto space = Cube(16);
  const History a = RunTrials(*Make("auto", space), 30, Sphere);
  const History b = RunTrials(*Make("cmaes", space), 30, Sphere);
  for (std::size_t i = 0; i < a.completed.size(); ++i)
    EXPECT_EQ(a.completed[i].params, b.completed[i].params) << "trial " << i;
  // cmaes_dims moves the threshold: with 17, the 16-D cube is gp's.
  const History c = RunTrials(*Make("auto", space, {{"cmaes_dims", 17}}), 12, Sphere);
  const History g = RunTrials(*Make("gp", space), 12, Sphere);
  for (std::size_t i = 0; i < c.completed.size(); ++i)
    EXPECT_EQ(c.completed[i].params, g.completed[i].params) << "trial " << i;
}

// 8 to 15 numeric dimensions are gp's since its trust region (docs/tuners.md, auto).
TEST(AutoTuner, TenNumericDimensionsGoToGp) {
  const auto space = Cube(10);
  const History a = RunTrials(*Make("auto", space), 14, Sphere);
  const History b = RunTrials(*Make("gp", space), 14, Sphere);
  for (std::size_t i = 0; i < a.completed.size(); ++i)
    EXPECT_EQ(a.completed[i].params, b.completed[i].params) << "trial " << i;
}

TEST(AutoTuner, HandsOverToCmaesAtGpsBestAndKeepsImproving) {
  const auto space = Cube(4);
  const std::map<std::string, double> options = {{"gp_trials", 20}};
  const History gp = RunTrials(*Make("auto", space, options), 20, Sphere);
  double best = 1e300;
  for (const auto& o : gp.completed) best = std::min(best, o.value);
  const auto a = Make("auto", space, options), b = Make("auto", space, options);
  // The first suggestion after the switch is no longer gp's, and it is deterministic.
  const auto next = a->Suggest(gp, 3);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_NE(next[0].params, Make("gp", space)->Suggest(gp, 1).at(0).params);
  const auto again = b->Suggest(gp, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(next[i].params, again[i].params);
  // CMA-ES starts at the best point with a small step: 60 more trials improve on gp's best
  // (a CMA-ES started at the centre, 2.5, with sigma0 = 2.5 in x, would first have to walk
  // there), and every suggestion is new and in the box.
  const History h = RunTrials(*a, 80, Sphere, gp);
  std::set<Params> seen;
  double after = 1e300;
  for (std::size_t i = 0; i < h.completed.size(); ++i) {
    EXPECT_TRUE(space.Contains(h.completed[i].params));
    EXPECT_TRUE(seen.insert(h.completed[i].params).second) << "duplicate at " << i;
    if (i >= 20) after = std::min(after, h.completed[i].value);
  }
  EXPECT_LT(after, best);
  // Started at gp's best, the first generation is far better than a cold CMA-ES's (from the
  // centre of the box), which is what the hand-over is for.
  const History cold = RunTrials(*Make("cmaes", space), 10, Sphere);
  double warm_mean = 0, cold_mean = 0;
  for (int i = 0; i < 10; ++i) {
    warm_mean += h.completed[20 + i].value / 10;
    cold_mean += cold.completed[i].value / 10;
  }
  EXPECT_LT(warm_mean, cold_mean / 4) << "gp's best " << best;
}

TEST(AutoTuner, OneParameterSpacesGoToTpeAfterTheSwitch) {
  const auto space = Space("  x: {type: float, low: 0, high: 1}\n");
  const std::map<std::string, double> options = {{"gp_trials", 12}};
  const History h = RunTrials(*Make("auto", space, options), 12,
                              [](const Params& p) { return std::fabs(AsDouble(p.at("x")) - 0.3); });
  EXPECT_EQ(Make("auto", space, options)->Suggest(h, 2)[1].params,
            Make("tpe", space)->Suggest(h, 2)[1].params);
}

TEST(AutoTuner, TenThousandTrialsGiveAValidSuggestion) {
  // d = 6, 10 000 completed trials, 4 pending: auto is CMA-ES there, whose suggestion does
  // not refit anything of size n^3. Only validity is asserted (no wall-clock bound in a
  // test); the tuners bench reports the time.
  const auto space = Cube(6);
  History h;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-5, 10);
  for (int i = 0; i < 10000; ++i) {
    Params p;
    for (int k = 0; k < 6; ++k) p["x" + std::to_string(k)] = u(rng);
    if (i >= 9996)
      h.pending.push_back(p);
    else
      h.completed.push_back({p, Sphere(p)});
  }
  std::set<Params> taken(h.pending.begin(), h.pending.end());
  for (const auto& o : h.completed) taken.insert(o.params);
  const auto s = Make("auto", space)->Suggest(h, 2);
  ASSERT_EQ(s.size(), 2u);
  for (const auto& x : s) {
    EXPECT_TRUE(space.Contains(x.params));
    EXPECT_TRUE(taken.insert(x.params).second);
  }
}

TEST(AutoTuner, DeclaresItsOption) {
  TunerSpec spec;
  spec.name = "auto";
  spec.options = {{"gp_trials", 100}, {"cmaes_dims", 10}, {"n_initial", 5}};
  const auto problems = DefaultRegistry().CheckOptions(spec);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "tuner.options.n_initial");
}

}  // namespace
}  // namespace krige::tuners
