#include "preprocessing.hpp"

#include <gtest/gtest.h>

#include "krige/error.hpp"

namespace krige::training {
namespace {

TEST(PreprocessingTest, StandardizeUsesOnlyTheFittedRows) {
  Eigen::MatrixXd train(4, 2);
  train << 1, 5, 2, 5, 3, 5, 4, 5;  // column 1 constant
  Eigen::MatrixXd test(2, 2);
  test << 100, 7, -100, 5;
  const Scaler s = Scaler::Fit("standardize", train);
  EXPECT_DOUBLE_EQ(s.offset()(0), 2.5);
  EXPECT_DOUBLE_EQ(s.scale()(0), std::sqrt(1.25));  // population standard deviation
  EXPECT_DOUBLE_EQ(s.scale()(1), 1.0);              // constant column left unscaled
  const Eigen::MatrixXd t = s.Transform(train);
  EXPECT_NEAR(t.col(0).mean(), 0, 1e-12);
  EXPECT_NEAR(t.col(0).squaredNorm() / 4, 1, 1e-12);
  // The test rows are mapped with the training statistics, not their own.
  const Eigen::MatrixXd u = s.Transform(test);
  EXPECT_DOUBLE_EQ(u(0, 0), (100 - 2.5) / std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(u(0, 1), 2.0);
}

TEST(PreprocessingTest, MinMaxAndNone) {
  Eigen::MatrixXd x(3, 1);
  x << 2, 4, 6;
  const Eigen::MatrixXd m = Scaler::Fit("minmax", x).Transform(x);
  EXPECT_DOUBLE_EQ(m(0, 0), 0);
  EXPECT_DOUBLE_EQ(m(1, 0), 0.5);
  EXPECT_DOUBLE_EQ(m(2, 0), 1);
  EXPECT_EQ(Scaler::Fit("none", x).Transform(x), x);
  EXPECT_THROW(Scaler::Fit("whiten", x), Error);
}

TEST(PreprocessingTest, PipelineAppliesStepsInOrder) {
  Eigen::MatrixXd x(3, 1);
  x << 2, 4, 9;
  const Pipeline p = Pipeline::Fit({"standardize", "minmax"}, x);
  const Eigen::MatrixXd t = p.Transform(x);
  EXPECT_DOUBLE_EQ(t.minCoeff(), 0);
  EXPECT_DOUBLE_EQ(t.maxCoeff(), 1);
}

}  // namespace
}  // namespace krige::training
