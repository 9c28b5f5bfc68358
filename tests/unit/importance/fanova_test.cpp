// krige's fANOVA (web/api/fanova.cpp) against Optuna's FanovaImportanceEvaluator on the same
// 400 trials (fanova_fixture.json, written by make_fixture.py next to this file).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "fanova.hpp"
#include "krige/codec.hpp"

namespace krige::web::fanova {
namespace {

Json Fixture() {
  std::ifstream in(KRIGE_FANOVA_FIXTURE);
  return Json::parse(in);
}

TEST(FanovaTest, AgreesWithOptunaOnTheFixture) {
  const Json f = Fixture();
  const std::vector<Dimension> dims = {{"x", 0, 1}, {"y", 0, 1}, {"z", -3, 0}, {"c", 0, 3}};
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  const std::vector<std::string> choices = {"a", "b", "c"};
  for (const auto& t : f["trials"]) {
    const auto& p = t["params"];
    const double c =
        std::find(choices.begin(), choices.end(), p["c"].get<std::string>()) - choices.begin();
    x.push_back(
        {p["x"].get<double>(), p["y"].get<double>(), std::log10(p["z"].get<double>()), c + 0.5});
    y.push_back(t["value"].get<double>());
  }
  const auto mine = Importance(dims, x, y);
  double sum = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const double optuna = f["optuna_importance"][dims[i].name].get<double>();
    EXPECT_NEAR(mine[i], optuna, 0.06) << dims[i].name;
    std::printf("%s: krige %.4f, optuna %.4f\n", dims[i].name.c_str(), mine[i], optuna);
    sum += mine[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  // The same order as Optuna's: x, then c, then y, then z.
  EXPECT_GT(mine[0], mine[3]);
  EXPECT_GT(mine[3], mine[1]);
  EXPECT_GT(mine[1], mine[2]);
}

TEST(FanovaTest, AConstantObjectiveHasNoImportance) {
  const std::vector<Dimension> dims = {{"a", 0, 1}};
  const auto v = Importance(dims, {{0.1}, {0.5}, {0.9}}, {1.0, 1.0, 1.0});
  EXPECT_EQ(v, std::vector<double>{0.0});
}

TEST(FanovaTest, TenThousandTrialsStayCheap) {
  // Not a timing assertion: the subsample bound is what keeps it cheap; this shows the
  // answer at 10 000 trials still finds the one parameter that matters.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Dimension> dims;
  for (int d = 0; d < 8; ++d) dims.push_back({"p" + std::to_string(d), 0, 1});
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 10000; ++i) {
    std::vector<double> row;
    for (int d = 0; d < 8; ++d) row.push_back(u(rng));
    y.push_back(std::sin(6 * row[3]) + 0.01 * u(rng));
    x.push_back(std::move(row));
  }
  const auto start = std::chrono::steady_clock::now();
  const auto v = Importance(dims, x, y);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("seconds", std::to_string(seconds));
  EXPECT_GT(v[3], 0.9);
}

}  // namespace
}  // namespace krige::web::fanova
