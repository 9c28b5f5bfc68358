// Every built-in (kind: cv) example spec in examples/ trains: one cross-validation at the
// middle of its search space (first value of each categorical, geometric middle of log ranges)
// and one at the upper corner of every numeric range.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "krige/codec.hpp"
#include "krige/training/cross_validation.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

namespace fs = std::filesystem;

ParamValue Pick(const ParamSpec& p, bool upper) {
  if (p.type == ParamType::kCategorical) return p.choices.front();
  double v = upper ? p.high : (p.log ? std::sqrt(p.low * p.high) : (p.low + p.high) / 2);
  if (p.type == ParamType::kInt) return static_cast<std::int64_t>(std::llround(v));
  return v;
}

Params Choose(const SearchSpace& space, bool upper) {
  Params params;
  for (const auto& p : space.params())  // parents come before their children
    if (space.IsActive(p, params)) params[p.name] = Pick(p, upper);
  return params;
}

TEST(ExamplesTest, EveryCvExampleTrains) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(krige::testing::SourceDir() + "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ExperimentSpec spec = LoadSpecFile(entry.path().string());
    if (spec.training.kind != "cv") continue;
    ++seen;
    SCOPED_TRACE(entry.path().filename().string());
    // Dataset paths are relative to the spec file.
    spec.training.dataset = (entry.path().parent_path() / spec.training.dataset).string();
    double slowest = 0;
    for (bool upper : {false, true}) {
      const Params params = Choose(spec.space, upper);
      const auto start = std::chrono::steady_clock::now();
      const CvOutcome out = CrossValidate(spec.training, params, spec.objective.metric, nullptr);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      slowest = std::max(slowest, seconds);
      ASSERT_TRUE(out.metrics.count(spec.objective.metric));
      EXPECT_TRUE(std::isfinite(out.metrics.at(spec.objective.metric)));
      for (const auto& m : spec.training.metrics) EXPECT_TRUE(out.metrics.count(m)) << m;
      std::cout << "[example] " << entry.path().filename().string() << " "
                << (upper ? "upper" : "middle") << ": " << spec.objective.metric << " "
                << out.metrics.at(spec.objective.metric) << " in " << seconds << " s\n";
    }
    // A rough bound for `krige run` (reported, not asserted: wall time is not a test).
    std::cout << "[example] " << entry.path().filename().string() << ": " << spec.max_trials
              << " trials at <= " << slowest << " s on " << spec.parallelism << " slots ~ "
              << spec.max_trials * slowest / spec.parallelism << " s\n";
  }
  EXPECT_GE(seen, 6);
}

}  // namespace
}  // namespace krige::training
