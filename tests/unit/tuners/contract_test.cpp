// The tuner contract, run over every tuner in DefaultRegistry().
#include <gtest/gtest.h>

#include <cmath>
#include <map>
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

// Every kind of parameter; floats carry grid_points so the grid tuner accepts the space.
const char* kMixed = R"(  C: {type: float, low: 1e-3, high: 1e3, log: true, grid_points: 3}
  kernel: {type: categorical, values: [rbf, poly, linear]}
  degree: {type: int, low: 2, high: 5, when: {kernel: poly}}
  gamma: {type: float, low: 0, high: 1, grid_points: 3, when: {kernel: [poly, rbf]}}
  trees: {type: int, low: 8, high: 512, log: true, values: [8, 64, 512]}
  frac: {type: float, low: 0, high: 1, step: 0.1, grid_points: 2}
)";

// A smooth objective over the mixed space, so the gp has something to model.
double Objective(const Params& p) {
  double v = -std::pow(std::log10(AsDouble(p.at("C"))) - 1, 2);
  const auto& k = std::get<std::string>(p.at("kernel"));
  if (k == "poly") v += 0.5 - 0.1 * AsDouble(p.at("degree"));
  if (p.count("gamma")) v -= std::pow(AsDouble(p.at("gamma")) - 0.3, 2);
  v -= 0.1 * std::log2(AsDouble(p.at("trees")) / 64) * std::log2(AsDouble(p.at("trees")) / 64);
  return v - AsDouble(p.at("frac"));
}

// Tuners whose options change the algorithm run the contract once more per variant.
struct Variant {
  std::string tuner;
  std::map<std::string, double> options;
};
const std::map<std::string, Variant>& Variants() {
  static const std::map<std::string, Variant> variants = {
      {"tpe_multivariate", {"tpe", {{"multivariate", 1}}}},
      {"tpe_multivariate_intersection", {"tpe", {{"multivariate", 1}, {"group", 0}}}},
      {"tpe_without_liar", {"tpe", {{"constant_liar", 0}}}}};
  return variants;
}

std::vector<std::string> ContractNames() {
  std::vector<std::string> names = DefaultRegistry().Names();
  for (const auto& [name, variant] : Variants()) names.push_back(name);
  return names;
}

class TunerContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Tuner> Make(const SearchSpace& space, std::uint64_t seed = 7) const {
    TunerContext c;
    c.space = space;
    c.seed = seed;
    c.goal = Goal::kMaximize;
    const auto variant = Variants().find(GetParam());
    if (variant == Variants().end()) return DefaultRegistry().Create(GetParam(), c);
    c.options = variant->second.options;
    return DefaultRegistry().Create(variant->second.tuner, c);
  }
  bool IsGrid() const { return GetParam() == "grid"; }

  // Ask in batches of `batch`, complete everything, until `total` or exhaustion.
  static std::vector<Params> Run(const Tuner& tuner, int total, int batch, History* out = nullptr,
                                 double (*f)(const Params&) = Objective) {
    History h;
    std::vector<Params> seq;
    while (static_cast<int>(seq.size()) < total) {
      const auto s = tuner.Suggest(h, std::min(batch, total - static_cast<int>(seq.size())));
      if (s.empty()) break;
      for (const auto& x : s) {
        seq.push_back(x.params);
        h.completed.push_back({x.params, f(x.params)});
      }
    }
    if (out) *out = h;
    return seq;
  }
};

TEST_P(TunerContract, SuggestionsLieInTheSpaceWithTheRightTypes) {
  const auto space = Space(kMixed);
  const auto seq = Run(*Make(space), IsGrid() ? 400 : 40, 3);  // the grid's order is fixed
  ASSERT_FALSE(seq.empty());
  bool saw_poly = false, saw_linear = false;
  for (const auto& p : seq) {
    ASSERT_TRUE(space.Contains(p)) << ToJson(p).dump();  // bounds, types, only active params
    EXPECT_TRUE(std::holds_alternative<double>(p.at("C")));
    EXPECT_TRUE(std::holds_alternative<std::int64_t>(p.at("trees")));
    const auto& k = std::get<std::string>(p.at("kernel"));
    EXPECT_EQ(p.count("degree"), k == "poly" ? 1u : 0u);  // conditionals: present iff active
    EXPECT_EQ(p.count("gamma"), k == "linear" ? 0u : 1u);
    saw_poly |= k == "poly";
    saw_linear |= k == "linear";
  }
  EXPECT_TRUE(saw_poly && saw_linear);
}

TEST_P(TunerContract, LogScaleParametersSpreadOverDecades) {
  const auto space = Space("  lr: {type: float, low: 1e-4, high: 1, log: true, grid_points: 5}\n");
  // Best near 1e-3: a tuner that models the objective should stay in the small decades too.
  const auto seq = Run(*Make(space), 20, 2, nullptr, [](const Params& p) {
    return -std::fabs(std::log10(AsDouble(p.at("lr"))) + 3);
  });
  int small = 0;
  for (const auto& p : seq) small += AsDouble(p.at("lr")) < 1e-2;
  // Uniform on a linear scale would put 1% below 1e-2; log-uniform puts half there.
  EXPECT_GE(small, static_cast<int>(0.3 * seq.size())) << "of " << seq.size();
}

TEST_P(TunerContract, EveryCategoryIsTried) {
  const auto space = Space(R"(  opt: {type: categorical, values: [sgd, adam, rmsprop, lbfgs]}
  x: {type: float, low: 0, high: 1, grid_points: 3}
)");
  std::set<std::string> seen;
  const auto f = [](const Params& p) {
    return AsDouble(p.at("x")) + (std::get<std::string>(p.at("opt")) == "adam" ? 0.5 : 0.0);
  };
  for (const auto& p : Run(*Make(space), 16, 1, nullptr, f))
    seen.insert(std::get<std::string>(p.at("opt")));
  EXPECT_EQ(seen.size(), 4u);
}

TEST_P(TunerContract, SameSeedSameSuggestions) {
  const auto space = Space(kMixed);
  EXPECT_EQ(Run(*Make(space, 11), 16, 2), Run(*Make(space, 11), 16, 2));
  // A fresh instance given the same history continues identically (a restarted coordinator).
  History h;
  Run(*Make(space, 11), 12, 4, &h);
  h.pending = {h.completed.back().params};
  h.completed.pop_back();
  const auto a = Make(space, 11)->Suggest(h, 3);
  const auto b = Make(space, 11)->Suggest(h, 3);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].params, b[i].params);
  if (!IsGrid()) {
    EXPECT_NE(Run(*Make(space, 11), 8, 2), Run(*Make(space, 12), 8, 2));
  }
}

TEST_P(TunerContract, NoDuplicateOfEvaluatedFailedOrPending) {
  const auto space = Space(kMixed);
  History h;
  Run(*Make(space), 12, 4, &h);
  // Move some completed to pending and failed.
  for (int i = 0; i < 3; ++i) {
    h.pending.push_back(h.completed.back().params);
    h.completed.pop_back();
  }
  h.failed.push_back(h.completed.back().params);
  h.completed.pop_back();
  std::set<Params> taken(h.pending.begin(), h.pending.end());
  taken.insert(h.failed.begin(), h.failed.end());
  for (const auto& o : h.completed) taken.insert(o.params);
  const auto s = Make(space)->Suggest(h, 8);
  EXPECT_EQ(s.size(), 8u);
  for (const auto& x : s) {
    EXPECT_TRUE(space.Contains(x.params));
    EXPECT_TRUE(taken.insert(x.params).second) << "duplicate " << ToJson(x.params).dump();
  }
}

TEST_P(TunerContract, SmallDiscreteSpaceIsNeverDuplicated) {
  const auto space = Space(R"(  k: {type: int, low: 1, high: 4}
  c: {type: categorical, values: [a, b]}
)");
  History h;
  h.completed = {{{{"k", std::int64_t{1}}, {"c", std::string("a")}}, 1.0},
                 {{{"k", std::int64_t{2}}, {"c", std::string("a")}}, 2.0},
                 {{{"k", std::int64_t{3}}, {"c", std::string("b")}}, 0.5}};
  h.failed = {{{"k", std::int64_t{4}}, {"c", std::string("a")}}};
  h.pending = {{{"k", std::int64_t{1}}, {"c", std::string("b")}}};
  std::set<Params> taken(h.failed.begin(), h.failed.end());
  taken.insert(h.pending.begin(), h.pending.end());
  for (const auto& o : h.completed) taken.insert(o.params);
  const auto s = Make(space)->Suggest(h, 6);
  EXPECT_GE(s.size(), 1u);
  EXPECT_LE(s.size(), 3u) << "only 3 configurations are left";
  for (const auto& x : s) EXPECT_TRUE(taken.insert(x.params).second);
}

TEST_P(TunerContract, WorksWithAnEmptyHistoryAndNEqualsZero) {
  const auto tuner = Make(Space(kMixed));
  EXPECT_TRUE(tuner->Suggest({}, 0).empty());
  EXPECT_EQ(tuner->Suggest({}, 1).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(AllTuners, TunerContract, ::testing::ValuesIn(ContractNames()),
                         [](const auto& info) { return info.param; });

// Grid-specific parts of the contract.
TEST(GridContract, ExhaustsEveryPointExactlyOnceThenStops) {
  const auto space = Space(kMixed);
  TunerContext c;
  c.space = space;
  const auto tuner = DefaultRegistry().Create("grid", c);
  // C 3 x trees 3 x frac 2 x (rbf: gamma 3 + poly: degree 4 x gamma 3 + linear: 1) = 18 x 16
  ASSERT_EQ(tuner->Capacity(), std::optional<std::size_t>(18 * 16));
  History h;
  std::set<Params> seen;
  for (int round = 0; round < 1000; ++round) {
    const auto s = tuner->Suggest(h, 7);
    if (s.empty()) break;
    for (const auto& x : s) {
      ASSERT_TRUE(space.Contains(x.params));
      ASSERT_TRUE(seen.insert(x.params).second);
      h.completed.push_back({x.params, 0.0});
    }
  }
  EXPECT_EQ(seen.size(), 18u * 16u);
  EXPECT_TRUE(tuner->Suggest(h, 5).empty()) << "finished even if max_trials is larger";
}

TEST(GridContract, FailedPointsAreDoneUnlessRetryIsAsked) {
  TunerContext c;
  c.space = Space("  k: {type: int, low: 1, high: 3}\n");
  History h;
  h.failed = {{{"k", std::int64_t{1}}}};
  h.completed = {{{{"k", std::int64_t{2}}}, 0.0}};
  auto s = DefaultRegistry().Create("grid", c)->Suggest(h, 5);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].params.at("k"), ParamValue(std::int64_t{3}));
  c.options["retry_failed"] = 1;
  s = DefaultRegistry().Create("grid", c)->Suggest(h, 5);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].params.at("k"), ParamValue(std::int64_t{1}));
}

TEST(GridContract, DeterministicOrderFirstParameterSlowest) {
  TunerContext c;
  c.space = Space(R"(  a: {type: float, low: 1, high: 100, log: true, grid_points: 3}
  b: {type: categorical, values: [x, y]}
)");
  const auto s = DefaultRegistry().Create("grid", c)->Suggest({}, 10);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_DOUBLE_EQ(AsDouble(s[0].params.at("a")), 1.0);
  EXPECT_EQ(std::get<std::string>(s[1].params.at("b")), "y");
  EXPECT_NEAR(AsDouble(s[2].params.at("a")), 10.0, 1e-9);
  EXPECT_DOUBLE_EQ(AsDouble(s[5].params.at("a")), 100.0);
}

TEST(GridContract, FloatWithoutGridPointsIsRejected) {
  TunerContext c;
  c.space = Space("  x: {type: float, low: 0, high: 1}\n");
  EXPECT_THROW(DefaultRegistry().Create("grid", c), Error);
}

TEST(SobolContract, KthPointDependsOnlyOnSeedAndK) {
  TunerContext c;
  c.space = Space(kMixed);
  c.seed = 5;
  auto run = [&](int batch) {
    const auto t = DefaultRegistry().Create("sobol", c);
    History h;
    std::vector<Params> out;
    while (out.size() < 24)
      for (const auto& s : t->Suggest(h, batch)) {
        out.push_back(s.params);
        h.completed.push_back({s.params, 0.0});
      }
    return out;
  };
  EXPECT_EQ(run(1), run(4));
}

TEST(SobolContract, OneDimensionalPointsAreStratified) {
  TunerContext c;
  c.space = Space("  x: {type: float, low: 0, high: 1}\n");
  c.seed = 99;
  const auto t = DefaultRegistry().Create("sobol", c);
  History h;
  std::set<int> strata;
  for (int i = 0; i < 8; ++i) {
    const auto s = t->Suggest(h, 1);
    strata.insert(static_cast<int>(AsDouble(s[0].params.at("x")) * 8));
    h.completed.push_back({s[0].params, 0.0});
  }
  EXPECT_EQ(strata.size(), 8u) << "8 Sobol points, one in each eighth";
}

}  // namespace
}  // namespace krige::tuners
