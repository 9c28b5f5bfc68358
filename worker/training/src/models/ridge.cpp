#include "models/ridge.hpp"

#include <limits>

#include "krige/error.hpp"
#include "models/hyperparameters.hpp"

namespace krige::training {
namespace {

class Ridge : public Model {
 public:
  Ridge(double alpha, bool intercept) : alpha_(alpha), intercept_(intercept) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int) override {
    // Centering X and y removes the intercept from the penalized problem.
    Eigen::RowVectorXd x_mean = Eigen::RowVectorXd::Zero(x.cols());
    double y_mean = 0;
    if (intercept_) {
      x_mean = x.colwise().mean();
      y_mean = y.mean();
    }
    const Eigen::MatrixXd xc = x.rowwise() - x_mean;
    const Eigen::VectorXd yc = y.array() - y_mean;
    if (alpha_ > 0) {
      Eigen::MatrixXd gram = xc.transpose() * xc;
      gram.diagonal().array() += alpha_;
      coef_ = gram.ldlt().solve(xc.transpose() * yc);
    } else {  // minimum-norm least squares, defined even for rank-deficient X
      coef_ = xc.completeOrthogonalDecomposition().solve(yc);
    }
    bias_ = y_mean - x_mean.dot(coef_);
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    return (x * coef_).array() + bias_;
  }

 private:
  double alpha_;
  bool intercept_;
  Eigen::VectorXd coef_;
  double bias_ = 0;
};

}  // namespace

std::unique_ptr<Model> MakeRidge(HyperParameters& hp) {
  const double alpha = hp.Float("alpha", 1.0, 0, std::numeric_limits<double>::infinity());
  const bool intercept = hp.Bool("fit_intercept", true);
  return std::make_unique<Ridge>(alpha, intercept);
}

}  // namespace krige::training
