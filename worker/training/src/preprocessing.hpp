// Feature preprocessing, fitted on a fold's training rows and applied to both parts.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "dataset.hpp"

namespace krige::training {

// An affine per-column map x' = (x - offset) / scale, the shape of every supported step.
class Scaler {
 public:
  // "standardize": mean and population standard deviation; "minmax": to [0, 1] on the fitted
  // rows; "none": identity. A constant column gets scale 1 (as scikit-learn does).
  static Scaler Fit(const std::string& kind, const Eigen::MatrixXd& x);
  Eigen::MatrixXd Transform(const Eigen::MatrixXd& x) const;
  const Eigen::RowVectorXd& offset() const { return offset_; }
  const Eigen::RowVectorXd& scale() const { return scale_; }

 private:
  Eigen::RowVectorXd offset_;
  Eigen::RowVectorXd scale_;
};

// A sequence of steps fitted in order, each on the output of the previous one.
class Pipeline {
 public:
  // Throws Error(kInvalidArgument) for an unknown step name.
  static Pipeline Fit(const std::vector<std::string>& steps, const Eigen::MatrixXd& x);
  Eigen::MatrixXd Transform(const Eigen::MatrixXd& x) const;

 private:
  std::vector<Scaler> steps_;
};

// Everything fitted on a fold's training rows and applied to both parts: imputation of missing
// values, the scaler steps on the numeric columns, one-hot encoding of the categorical ones.
// Output columns: the numeric features (imputed, scaled), then per categorical column one 0/1
// column per level seen in the training rows (sorted); a level unseen there encodes as zeros.
class FeatureEncoder {
 public:
  // `impute`: "" (no missing values expected), "mean", "median" or "most_frequent" for numeric
  // columns (a column with no value in the training rows becomes 0); categorical columns always
  // take their most frequent training level (ties: the first level). Throws
  // Error(kInvalidArgument) for an unknown strategy or step.
  static FeatureEncoder Fit(const Dataset& data, const std::vector<int>& rows,
                            const std::vector<std::string>& steps, const std::string& impute);
  Eigen::MatrixXd Transform(const Dataset& data, const std::vector<int>& rows) const;
  Eigen::Index n_outputs() const;

 private:
  Eigen::MatrixXd Numeric(const Dataset& data, const std::vector<int>& rows) const;

  Eigen::RowVectorXd fill_;  // per numeric column, used where the value is NaN
  Pipeline scaler_;
  std::vector<std::vector<int>> onehot_;  // per categorical column: level -> output (-1: none)
  std::vector<int> widths_;               // per categorical column: its output columns
  std::vector<int> cat_fill_;             // per categorical column: level for missing cells
};

// Checks an impute strategy name; throws Error(kInvalidArgument, field training.impute).
void CheckImpute(const std::string& impute);

}  // namespace krige::training
