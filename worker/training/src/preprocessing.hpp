// Feature preprocessing, fitted on a fold's training rows and applied to both parts.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

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

}  // namespace krige::training
