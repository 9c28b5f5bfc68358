// The pruners: hand-computed cases, and Optuna's own decisions on the committed fixtures
// (fixtures/make_pruner_fixtures.py) replayed event by event.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "krige/codec.hpp"
#include "krige/tuners/pruner.hpp"

namespace krige::tuners {
namespace {

using State = TrialCurve::State;

TrialCurve Curve(int number, State state, std::vector<double> values,
                 std::optional<double> final_value = std::nullopt) {
  TrialCurve t;
  t.number = number;
  t.state = state;
  for (std::size_t i = 0; i < values.size(); ++i) t.values[static_cast<int>(i)] = values[i];
  if (state == State::kCompleted && !final_value) {
    double sum = 0;
    for (double v : values) sum += v;
    final_value = sum / static_cast<double>(values.size());
  }
  t.final_value = final_value;
  return t;
}

std::unique_ptr<Pruner> Make(const std::string& name, std::map<std::string, double> options,
                             Goal goal = Goal::kMaximize, int steps = 0,
                             std::optional<double> bound = std::nullopt) {
  PrunerContext context;
  context.goal = goal;
  context.options = std::move(options);
  context.steps = steps;
  context.metric_bound = bound;
  context.experiment = "exp";
  return DefaultPruners().Create(name, context);
}

TEST(MedianPruner, ComparesTheBestSoFarWithTheMedianAtTheSameStep) {
  auto pruner = Make("median", {{"n_startup_trials", 3}});
  const std::vector<TrialCurve> done = {Curve(0, State::kCompleted, {0.5, 0.6, 0.7}),
                                        Curve(1, State::kCompleted, {0.6, 0.7, 0.8}),
                                        Curve(2, State::kCompleted, {0.7, 0.8, 0.9})};
  // Median at step 1 is 0.7: a best of 0.69 is pruned, 0.7 is not (strictly worse only).
  EXPECT_TRUE(pruner->Check(done, Curve(3, State::kRunning, {0.2, 0.69})).prune);
  EXPECT_FALSE(pruner->Check(done, Curve(3, State::kRunning, {0.2, 0.7})).prune);
  // The best so far counts: 0.75 at step 0 beats the step-1 median even after a dip.
  EXPECT_FALSE(pruner->Check(done, Curve(3, State::kRunning, {0.75, 0.1})).prune);
  // Fewer completed trials than n_startup_trials: never.
  const std::vector<TrialCurve> two(done.begin(), done.begin() + 2);
  EXPECT_FALSE(pruner->Check(two, Curve(3, State::kRunning, {0.0, 0.0})).prune);
  // Running and pruned trials are not the reference.
  std::vector<TrialCurve> mixed = two;
  mixed.push_back(Curve(4, State::kPruned, {0.99, 0.99}));
  mixed.push_back(Curve(5, State::kRunning, {0.99, 0.99}));
  EXPECT_FALSE(pruner->Check(mixed, Curve(3, State::kRunning, {0.0, 0.0})).prune);
}

TEST(MedianPruner, MinimizeWarmupAndInterval) {
  auto pruner =
      Make("median", {{"n_startup_trials", 1}, {"n_warmup_steps", 2}, {"interval_steps", 2}},
           Goal::kMinimize);
  const std::vector<TrialCurve> done = {Curve(0, State::kCompleted, {1, 1, 1, 1, 1, 1})};
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {5, 5})).prune);        // warm-up
  EXPECT_TRUE(pruner->Check(done, Curve(1, State::kRunning, {5, 5, 5})).prune);      // step 2
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {5, 5, 5, 5})).prune);  // step 3
  EXPECT_TRUE(pruner->Check(done, Curve(1, State::kRunning, {5, 5, 5, 5, 5})).prune);
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {5, 5, 0.5})).prune);  // better
}

TEST(PercentilePruner, InterpolatesLikeNumpy) {
  // Maximize, percentile 25: the reference is numpy.percentile(values, 75) over 4 trials at
  // step 0: values 0.1 0.2 0.3 0.4 -> index 2.25 -> 0.325.
  auto pruner = Make("percentile", {{"percentile", 25}, {"n_startup_trials", 0}});
  const std::vector<TrialCurve> done = {
      Curve(0, State::kCompleted, {0.1}), Curve(1, State::kCompleted, {0.2}),
      Curve(2, State::kCompleted, {0.3}), Curve(3, State::kCompleted, {0.4})};
  EXPECT_TRUE(pruner->Check(done, Curve(4, State::kRunning, {0.3249})).prune);
  EXPECT_FALSE(pruner->Check(done, Curve(4, State::kRunning, {0.3251})).prune);
}

TEST(AshaPruner, PromotesTheTopOneOverEtaOfEachRung) {
  // min_resource 1, eta 2: rungs at steps 1, 2, 4, ...
  auto pruner = Make("asha", {{"min_resource", 1}, {"reduction_factor", 2}});
  const std::vector<TrialCurve> others = {Curve(0, State::kCompleted, {0.1, 0.9, 0.9, 0.9, 0.9}),
                                          Curve(1, State::kPruned, {0.1, 0.3}),
                                          Curve(2, State::kRunning, {0.1, 0.5, 0.6})};
  // Step 0 is below the first rung.
  EXPECT_FALSE(pruner->Check(others, Curve(3, State::kRunning, {0.0})).prune);
  // Rung 0 (step 1) holds 0.9, 0.3, 0.5 and the new value: 4 values, eta 2 -> top 2 promoted.
  EXPECT_FALSE(pruner->Check(others, Curve(3, State::kRunning, {0.0, 0.6})).prune);
  EXPECT_TRUE(pruner->Check(others, Curve(3, State::kRunning, {0.0, 0.4})).prune);
  // Rung 1 (step 2): trials 0 and 2 reached it (0.9, 0.6); with 0.7: 3 values -> top 1: pruned.
  EXPECT_TRUE(pruner->Check(others, Curve(3, State::kRunning, {0.0, 0.95, 0.7})).prune);
  EXPECT_FALSE(pruner->Check(others, Curve(3, State::kRunning, {0.0, 0.95, 0.91})).prune);
}

TEST(HyperbandPruner, BracketsAreFixedByExperimentAndNumber) {
  PrunerContext a, b;
  a.experiment = b.experiment = "same";
  a.options = b.options = {{"min_resource", 1}, {"max_resource", 9}, {"reduction_factor", 3}};
  auto p = DefaultPruners().Create("hyperband", a);
  auto q = DefaultPruners().Create("hyperband", b);
  const std::vector<TrialCurve> others = {Curve(0, State::kCompleted, {0.5, 0.5, 0.5, 0.5}),
                                          Curve(1, State::kCompleted, {0.9, 0.9, 0.9, 0.9}),
                                          Curve(2, State::kCompleted, {0.7, 0.7, 0.7, 0.7})};
  for (int n = 3; n < 40; ++n) {
    const auto t = Curve(n, State::kRunning, {0.6, 0.6, 0.6, 0.6});
    EXPECT_EQ(p->Check(others, t).prune, q->Check(others, t).prune) << n;
  }
}

TEST(FoldsPruner, PrunesWhenEvenPerfectRemainingFoldsCannotWin) {
  // 5 folds, accuracy (bound 1), best completed trial 0.9.
  auto pruner = Make("folds", {}, Goal::kMaximize, 5, 1.0);
  const std::vector<TrialCurve> done = {Curve(0, State::kCompleted, {0.9, 0.9, 0.9, 0.9, 0.9})};
  // After 1 fold at 0.4: (0.4 + 4) / 5 = 0.88 < 0.9 -> pruned.
  EXPECT_TRUE(pruner->Check(done, Curve(1, State::kRunning, {0.4})).prune);
  // At 0.6: (0.6 + 4) / 5 = 0.92 -> could still win.
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {0.6})).prune);
  // After 3 folds at 0.8: (2.4 + 2) / 5 = 0.88 -> pruned.
  EXPECT_TRUE(pruner->Check(done, Curve(1, State::kRunning, {0.8, 0.8, 0.8})).prune);
  // Exactly the best (0.5 + 4) / 5 = 0.9: a tie is kept.
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {0.5})).prune);
  // Every fold done: nothing left to save.
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {0, 0, 0, 0, 0})).prune);
  // No completed trial: no reference.
  EXPECT_FALSE(pruner->Check({}, Curve(1, State::kRunning, {0.0})).prune);
}

TEST(FoldsPruner, BestSeenUsesEachFoldsBestScore) {
  auto pruner = Make("folds", {{"best_seen", 1}}, Goal::kMaximize, 4, 1.0);
  const std::vector<TrialCurve> done = {Curve(0, State::kCompleted, {0.9, 0.8, 0.9, 0.8}),
                                        Curve(1, State::kRunning, {0.95, 0.85})};
  // Best 0.85. After fold 0 at 0.8: 0.8 + best of fold 1 (0.85) + fold 2 (0.9) + fold 3
  // (0.8) = 3.35 / 4 = 0.8375 < 0.85 -> pruned; with the bound alone it would not be.
  EXPECT_TRUE(pruner->Check(done, Curve(2, State::kRunning, {0.8})).prune);
  auto safe = Make("folds", {}, Goal::kMaximize, 4, 1.0);
  EXPECT_FALSE(safe->Check(done, Curve(2, State::kRunning, {0.8})).prune);
}

TEST(FoldsPruner, MinimizeWithTheMetricsLowerBound) {
  // rmse, 4 folds, best 1.0; bound 0. After 2 folds summing 4.5: (4.5 + 0) / 4 > 1 -> pruned.
  auto pruner = Make("folds", {}, Goal::kMinimize, 4, 0.0);
  const std::vector<TrialCurve> done = {Curve(0, State::kCompleted, {1, 1, 1, 1})};
  EXPECT_TRUE(pruner->Check(done, Curve(1, State::kRunning, {2, 2.5})).prune);
  EXPECT_FALSE(pruner->Check(done, Curve(1, State::kRunning, {2, 1.9})).prune);
}

TEST(Pruners, MetricBounds) {
  EXPECT_EQ(MetricBound("accuracy", Goal::kMaximize), 1.0);
  EXPECT_EQ(MetricBound("rmse", Goal::kMinimize), 0.0);
  EXPECT_EQ(MetricBound("accuracy", Goal::kMinimize), std::nullopt);
  EXPECT_THROW(DefaultPruners().Create("nope", {}), Error);
}

TEST(PrunerSpec, OptionsAreValidatedWithFieldPaths) {
  const auto spec = [](nlohmann::json pruner) {
    return nlohmann::json{{"name", "e"},
                          {"objective", {{"metric", "accuracy"}}},
                          {"pruner", pruner},
                          {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 1}}}}},
                          {"training", {{"dataset", "d.csv"}, {"model", "svc"}, {"folds", 5}}}};
  };
  const auto good =
      SpecFromJson(spec({{"name", "asha"}, {"min_resource", 1}, {"reduction_factor", 3}}));
  EXPECT_EQ(good.pruner.name, "asha");
  EXPECT_EQ(good.pruner.options.at("reduction_factor"), 3);
  EXPECT_EQ(SpecFromJson(ToJson(good)).pruner.options, good.pruner.options);  // round trip
  const auto nested =
      SpecFromJson(spec({{"name", "median"}, {"options", {{"n_warmup_steps", 2}}}}));
  EXPECT_EQ(nested.pruner.options.at("n_warmup_steps"), 2);
  try {
    SpecFromJson(spec({{"name", "asha"},
                       {"reduction_factor", 1},
                       {"min_resource", 1.5},
                       {"typo", 1},
                       {"min_early_stopping_rate", "x"}}));
    FAIL();
  } catch (const ValidationError& e) {
    std::set<std::string> fields;
    for (const auto& p : e.problems()) fields.insert(p.field);
    EXPECT_TRUE(fields.count("pruner.reduction_factor"));
    EXPECT_TRUE(fields.count("pruner.min_resource"));
    EXPECT_TRUE(fields.count("pruner.typo"));
    EXPECT_TRUE(fields.count("pruner.min_early_stopping_rate"));
  }
  EXPECT_THROW(SpecFromJson(spec({{"name", "nope"}})), ValidationError);
  EXPECT_THROW(SpecFromJson(spec({{"name", "percentile"}})), ValidationError);  // no percentile
  EXPECT_THROW(SpecFromJson(spec({{"name", "hyperband"}, {"min_resource", 9}})),
               ValidationError);  // above the 5 folds
}

// Optuna's decisions, replayed: the same reports in the same order give the same decisions.
TEST(Pruners, AgreeWithOptunaOnTheFixtures) {
  std::ifstream in(KRIGE_PRUNER_FIXTURES);
  ASSERT_TRUE(in) << KRIGE_PRUNER_FIXTURES;
  const auto fixtures = nlohmann::json::parse(in);
  int checked = 0, pruned = 0;
  for (const auto& c : fixtures.at("cases")) {
    PrunerContext context;
    context.goal = c.at("direction") == "maximize" ? Goal::kMaximize : Goal::kMinimize;
    context.experiment = c.at("name").get<std::string>();
    for (const auto& [key, value] : c.at("options").items())
      if (key != "pruner") context.options[key] = value.get<double>();
    auto pruner = DefaultPruners().Create(c.at("options").at("pruner"), context);
    std::map<int, TrialCurve> trials;
    for (const auto& e : c.at("events")) {
      const int number = e.at("trial");
      TrialCurve& t = trials[number];
      t.number = number;
      if (e.contains("end")) {
        t.state = e.at("end") == "pruned" ? State::kPruned : State::kCompleted;
        if (e.contains("value")) t.final_value = e.at("value").get<double>();
        continue;
      }
      t.values[e.at("step").get<int>()] = e.at("value").get<double>();
      std::vector<TrialCurve> others;
      for (const auto& [n, other] : trials)
        if (n != number) others.push_back(other);
      const bool expected = e.at("prune");
      ASSERT_EQ(pruner->Check(others, t).prune, expected)
          << c.at("name") << " trial " << number << " step " << e.at("step");
      ++checked;
      pruned += expected;
    }
  }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(pruned, 200);
}

}  // namespace
}  // namespace krige::tuners
