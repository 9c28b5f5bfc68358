// Acceptance: with the folds fixed by a fold column, krige's 5-fold accuracy of an RBF svc on
// standardized breast_cancer equals scikit-learn's cross_val_score over a 10x10 (C, gamma) grid
// (fixtures/svc_grid.json, from fixtures/make_svc_grid_fixture.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "krige/training/cross_validation.hpp"
#include "test_env.hpp"

namespace krige::training {
namespace {

TEST(SvcGridParityTest, FoldColumnGridMatchesScikitLearnCrossValScore) {
  std::ifstream fixture_file(krige::testing::SourceDir() +
                             "/tests/unit/training/fixtures/svc_grid.json");
  const auto fixture = nlohmann::json::parse(fixture_file);
  const auto fold_of = fixture.at("fold_of_row").get<std::vector<int>>();

  // breast_cancer.csv with the fixture's folds appended as a "fold" column.
  krige::testing::TempDir dir;
  const std::string path = dir.path() + "/breast_cancer_folds.csv";
  {
    std::ifstream in(krige::testing::SourceDir() + "/examples/data/breast_cancer.csv");
    std::ofstream out(path);
    std::string line;
    std::getline(in, line);
    out << line << ",fold\n";
    for (std::size_t row = 0; std::getline(in, line); ++row) {
      ASSERT_LT(row, fold_of.size());
      out << line << "," << fold_of[row] << "\n";
    }
  }

  TrainingSpec t;
  t.dataset = path;
  t.model = "svc";
  t.fold_column = "fold";
  t.preprocessing = {"standardize"};
  const double fold_size = static_cast<double>(fold_of.size()) / 5.0;
  int equal = 0, checked = 0;
  double max_diff = 0;
  for (const auto& config : fixture.at("configs")) {
    const Params params = {{"C", config.at("C").get<double>()},
                           {"gamma", config.at("gamma").get<double>()},
                           {"kernel", std::string("rbf")}};
    const CvOutcome out = CrossValidate(t, params, "accuracy", nullptr);
    ASSERT_EQ(out.folds.size(), 5u);
    const double want = config.at("mean").get<double>();
    const double diff = std::abs(out.metrics.at("accuracy") - want);
    SCOPED_TRACE(config.dump());
    EXPECT_LE(diff, 1.0 / std::floor(fold_size) + 1e-12) << "more than one sample apart";
    max_diff = std::max(max_diff, diff);
    equal += diff <= 1e-6;
    ++checked;
  }
  EXPECT_EQ(checked, 100);
  EXPECT_GE(equal, 98);
  std::cout << "[svc grid parity] " << equal << " of " << checked
            << " configurations equal to 1e-6; max abs difference " << max_diff << "\n";
  ::testing::Test::RecordProperty("equal_to_1e-6", equal);
}

}  // namespace
}  // namespace krige::training
