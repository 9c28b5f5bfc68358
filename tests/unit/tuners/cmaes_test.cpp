// cmaes: the CMA update against the `cmaes` package (fixtures/make_cmaes_fixtures.py), and the
// tuner on small problems.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cmaes/cma.hpp"
#include "krige/codec.hpp"
#include "krige/tuners/tuner.hpp"

namespace krige::tuners {
namespace {

TEST(CmaesCma, MatchesTheCmaesPackageGenerationByGeneration) {
  std::ifstream in(KRIGE_CMAES_FIXTURES);
  ASSERT_TRUE(in) << KRIGE_CMAES_FIXTURES;
  const auto fixtures = nlohmann::json::parse(in);
  int stops = 0, generations = 0;
  for (const auto& c : fixtures.at("cases")) {
    const int d = c.at("d").get<int>();
    cmaes::Cma cma(cmaes::Vector::Constant(d, 0.5), 1.0 / 6, c.at("popsize").get<int>());
    for (const auto& g : c.at("generations")) {
      std::vector<std::pair<cmaes::Vector, double>> solutions;
      const auto losses = g.at("loss").get<std::vector<double>>();
      for (std::size_t k = 0; k < losses.size(); ++k) {
        const auto x = g.at("x").at(k).get<std::vector<double>>();
        solutions.push_back({Eigen::Map<const cmaes::Vector>(x.data(), d), losses[k]});
      }
      cma.Tell(solutions);
      const std::string at =
          "d=" + std::to_string(d) + " generation " + std::to_string(cma.generation());
      const auto mean = g.at("mean").get<std::vector<double>>();
      for (int i = 0; i < d; ++i) EXPECT_NEAR(cma.mean()[i], mean[i], 1e-9) << at;
      EXPECT_NEAR(cma.sigma(), g.at("sigma").get<double>(), 1e-9 * g.at("sigma").get<double>())
          << at;
      for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j)
          EXPECT_NEAR(cma.cov()(i, j), g.at("cov").at(i).at(j).get<double>(), 1e-8) << at;
      EXPECT_EQ(cma.ShouldStop(), g.at("should_stop").get<bool>()) << at;
      stops += g.at("should_stop").get<bool>();
      ++generations;
    }
  }
  EXPECT_GT(stops, 0) << "the fixture exercises a termination criterion";
  EXPECT_GT(generations, 90);
}

cmaes::Vector Vec(const nlohmann::json& j) {
  const auto v = j.get<std::vector<double>>();
  return Eigen::Map<const cmaes::Vector>(v.data(), static_cast<Eigen::Index>(v.size()));
}

TEST(CmaesCma, WithMarginMatchesTheCmaesPackagesCmawm) {
  std::ifstream in(KRIGE_CMAES_FIXTURES);
  ASSERT_TRUE(in) << KRIGE_CMAES_FIXTURES;
  const auto fixtures = nlohmann::json::parse(in);
  int generations = 0, stretched = 0;
  for (const auto& c : fixtures.at("margin")) {
    const auto low = Vec(c.at("low")), high = Vec(c.at("high")), steps = Vec(c.at("steps"));
    const auto d = low.size();
    std::vector<std::vector<double>> values(static_cast<std::size_t>(d));
    for (Eigen::Index i = 0; i < d; ++i)  // numpy.arange(low, high + step / 2, step)
      if (steps[i] > 0)
        for (int k = 0; low[i] + k * steps[i] < high[i] + steps[i] / 2; ++k)
          values[static_cast<std::size_t>(i)].push_back(low[i] + k * steps[i]);
    cmaes::CmaWithMargin cma(cmaes::Vector::Constant(d, 0.5), 1.0 / 6, c.at("popsize").get<int>(),
                             values);
    for (const auto& g : c.at("generations")) {
      std::vector<std::pair<cmaes::Vector, double>> solutions;
      const auto losses = g.at("loss").get<std::vector<double>>();
      for (std::size_t k = 0; k < losses.size(); ++k) {
        const cmaes::Vector raw = Vec(g.at("raw").at(k));
        const cmaes::Vector encoded = cma.Encode(raw);
        const cmaes::Vector want = Vec(g.at("encoded").at(k));
        for (Eigen::Index i = 0; i < d; ++i) EXPECT_NEAR(encoded[i], want[i], 1e-12);
        solutions.push_back({raw, losses[k]});
      }
      cma.Tell(solutions);
      const std::string at = "counts " + c.at("counts").dump() + " generation " +
                             std::to_string(cma.cma().generation());
      const auto mean = Vec(g.at("mean")), a = Vec(g.at("a"));
      for (Eigen::Index i = 0; i < d; ++i) {
        EXPECT_NEAR(cma.cma().mean()[i], mean[i], 1e-8) << at;
        EXPECT_NEAR(cma.a()[i], a[i], 1e-7 * std::max(1.0, std::fabs(a[i]))) << at;
        stretched += std::fabs(a[i] - 1) > 1e-6;
      }
      EXPECT_NEAR(cma.cma().sigma(), g.at("sigma").get<double>(),
                  1e-8 * g.at("sigma").get<double>())
          << at;
      EXPECT_EQ(cma.ShouldStop(), g.at("should_stop").get<bool>()) << at;
      ++generations;
    }
  }
  EXPECT_GT(generations, 100);
  EXPECT_GT(stretched, 10) << "the margin correction fired";
}

SearchSpace Space(const std::string& yaml_space) {
  return SpecFromJson(YamlToJson("name: t\nobjective: {metric: accuracy}\nspace:\n" + yaml_space +
                                 "training: {dataset: d.csv, model: logistic_regression}\n"))
      .space;
}

TEST(CmaesTuner, ConvergesOnAShiftedSphereAndBeatsRandom) {
  // Optimum at (7, -2) in [-5, 10] x [-5, 10]: not the centre, where CMA-ES starts.
  const auto space = Space(R"(  x: {type: float, low: -5, high: 10}
  y: {type: float, low: -5, high: 10}
)");
  const auto f = [](const Params& p) {
    return std::pow(AsDouble(p.at("x")) - 7, 2) + std::pow(AsDouble(p.at("y")) + 2, 2);
  };
  int wins = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    double best[2] = {1e300, 1e300};
    for (int t = 0; t < 2; ++t) {
      TunerContext c{space, Goal::kMinimize, seed, {}};
      const auto tuner = DefaultRegistry().Create(t == 0 ? "cmaes" : "random", c);
      History h;
      for (int i = 0; i < 120; ++i) {
        const auto s = tuner->Suggest(h, 1);
        ASSERT_EQ(s.size(), 1u);
        ASSERT_TRUE(space.Contains(s[0].params));
        h.completed.push_back({s[0].params, f(s[0].params)});
        best[t] = std::min(best[t], h.completed.back().value);
      }
    }
    EXPECT_LT(best[0], 1e-2) << "seed " << seed;
    wins += best[0] < best[1] / 20;
  }
  EXPECT_EQ(wins, 5) << "CMA-ES at least 20x closer than random search in every seed";
}

TEST(CmaesTuner, MaximizingIsMinimizingTheNegation) {
  const auto space = Space(R"(  x: {type: float, low: 0, high: 1}
  k: {type: int, low: 1, high: 50}
  opt: {type: categorical, values: [a, b]}
)");
  const auto f = [](const Params& p) {
    return std::pow(AsDouble(p.at("x")) - 0.2, 2) + std::pow(AsDouble(p.at("k")) - 30, 2) / 100;
  };
  TunerContext up{space, Goal::kMaximize, 3, {}}, down{space, Goal::kMinimize, 3, {}};
  const auto a = DefaultRegistry().Create("cmaes", up), b = DefaultRegistry().Create("cmaes", down);
  History hu, hd;
  for (int i = 0; i < 40; ++i) {
    const auto s = a->Suggest(hu, 2);
    const auto t = b->Suggest(hd, 2);
    ASSERT_EQ(s.size(), 2u);
    for (std::size_t j = 0; j < s.size(); ++j) {
      ASSERT_EQ(s[j].params, t.at(j).params);
      ASSERT_TRUE(std::holds_alternative<std::int64_t>(s[j].params.at("k")));
      hu.completed.push_back({s[j].params, -f(s[j].params)});
      hd.completed.push_back({s[j].params, f(s[j].params)});
    }
  }
  // The integer moved towards 30 (uniform: mean |k - 30| about 13).
  double gap = 0;
  for (std::size_t i = hd.completed.size() - 20; i < hd.completed.size(); ++i)
    gap += std::fabs(AsDouble(hd.completed[i].params.at("k")) - 30);
  EXPECT_LT(gap / 20, 6.0);
}

TEST(CmaesTuner, IntegerSearchWithMarginReachesTheExactOptimum) {
  // 50^3 integer points, optimum (37, 12, 25) off-centre: random search finds it with
  // probability 150 / 125000 per run.
  const auto space = Space(R"(  a: {type: int, low: 1, high: 50}
  b: {type: int, low: 1, high: 50}
  c: {type: int, low: 1, high: 50}
)");
  const auto f = [](const Params& p) {
    return std::pow(AsDouble(p.at("a")) - 37, 2) + std::pow(AsDouble(p.at("b")) - 12, 2) +
           std::pow(AsDouble(p.at("c")) - 25, 2);
  };
  int exact = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    TunerContext c{space, Goal::kMinimize, seed, {}};
    const auto tuner = DefaultRegistry().Create("cmaes", c);
    History h;
    double best = 1e300;
    for (int i = 0; i < 150; ++i) {
      const auto s = tuner->Suggest(h, 1).at(0);
      ASSERT_TRUE(space.Contains(s.params));
      h.completed.push_back({s.params, f(s.params)});
      best = std::min(best, h.completed.back().value);
    }
    exact += best == 0;
  }
  EXPECT_GE(exact, 5) << "of 6 seeds";
}

TEST(CmaesTuner, IpopRestartsWhenTheValuesStopChanging) {
  // A flat objective: tolfun fires once the best and worst of the last 10 + ceil(30 d / lambda)
  // = 20 generations (lambda = 6) agree, i.e. after 21 generations = 126 told trials (+1 random
  // start). Until then IPOP changes nothing; after it the restart moves the search.
  const auto space = Space(R"(  x: {type: float, low: 0, high: 1}
  y: {type: float, low: 0, high: 1}
)");
  TunerContext ipop{space, Goal::kMinimize, 9, {}},
      plain{space, Goal::kMinimize, 9, {{"restarts", 0}}};
  const auto a = DefaultRegistry().Create("cmaes", ipop),
             b = DefaultRegistry().Create("cmaes", plain);
  History h;
  int first_difference = -1;
  for (int i = 0; i < 160 && first_difference < 0; ++i) {
    const auto s = a->Suggest(h, 1).at(0).params;
    if (s != b->Suggest(h, 1).at(0).params) first_difference = i;
    h.completed.push_back({s, 1.0});
  }
  EXPECT_EQ(first_difference, 127);
}

}  // namespace
}  // namespace krige::tuners
