#include "models/elastic_net.hpp"

#include <cmath>
#include <limits>

#include "models/hyperparameters.hpp"

namespace krige::training {
namespace {

// Minimizes 1/(2n) |y - Xw - b|^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio) / 2 |w|^2.
// Stops, like scikit-learn, when the largest coefficient step is small relative to the largest
// coefficient and the duality gap is below tol * |y|^2, or after max_iter sweeps.
class ElasticNet : public Model {
 public:
  ElasticNet(double alpha, double l1_ratio, int max_iter, double tol, bool intercept)
      : alpha_(alpha), l1_ratio_(l1_ratio), max_iter_(max_iter), tol_(tol), intercept_(intercept) {}

  void Fit(const Eigen::MatrixXd& x_in, const Eigen::VectorXd& y_in, int) override {
    Eigen::RowVectorXd x_mean = Eigen::RowVectorXd::Zero(x_in.cols());
    double y_mean = 0;
    if (intercept_) {
      x_mean = x_in.colwise().mean();
      y_mean = y_in.mean();
    }
    const Eigen::MatrixXd x = x_in.rowwise() - x_mean;
    const Eigen::VectorXd y = y_in.array() - y_mean;
    const double n = static_cast<double>(x.rows());
    const double l1 = alpha_ * l1_ratio_ * n;
    const double l2 = alpha_ * (1 - l1_ratio_) * n;
    const Eigen::Index p = x.cols();
    const Eigen::VectorXd norms = x.colwise().squaredNorm();
    Eigen::VectorXd w = Eigen::VectorXd::Zero(p);
    Eigen::VectorXd r = y;
    const double gap_tol = tol_ * y.squaredNorm();
    for (int iter = 0; iter < max_iter_; ++iter) {
      double w_max = 0, dw_max = 0;
      for (Eigen::Index j = 0; j < p; ++j) {
        if (norms(j) == 0) continue;
        const double old = w(j);
        if (old != 0) r += old * x.col(j);
        const double rho = x.col(j).dot(r);
        w(j) = std::copysign(std::max(std::abs(rho) - l1, 0.0), rho) / (norms(j) + l2);
        if (w(j) != 0) r -= w(j) * x.col(j);
        dw_max = std::max(dw_max, std::abs(w(j) - old));
        w_max = std::max(w_max, std::abs(w(j)));
      }
      if (w_max == 0 || dw_max / w_max < tol_ || iter == max_iter_ - 1) {
        const Eigen::VectorXd xta = x.transpose() * r - l2 * w;
        const double dual_norm = xta.cwiseAbs().maxCoeff();
        const double r_norm2 = r.squaredNorm();
        double c = 1, gap = r_norm2;
        if (dual_norm > l1) {
          c = l1 / dual_norm;
          gap = 0.5 * (r_norm2 + r_norm2 * c * c);
        }
        gap += l1 * w.cwiseAbs().sum() - c * r.dot(y) + 0.5 * l2 * (1 + c * c) * w.squaredNorm();
        if (gap < gap_tol) break;
      }
    }
    coef_ = w;
    bias_ = y_mean - x_mean.dot(coef_);
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    return (x * coef_).array() + bias_;
  }

 private:
  double alpha_, l1_ratio_;
  int max_iter_;
  double tol_;
  bool intercept_;
  Eigen::VectorXd coef_;
  double bias_ = 0;
};

std::unique_ptr<Model> Make(HyperParameters& hp, double l1_ratio) {
  const double inf = std::numeric_limits<double>::infinity();
  const double alpha = hp.Float("alpha", 1.0, 0, inf);
  const int max_iter = static_cast<int>(hp.Int("max_iter", 1000, 1, 100000000));
  const double tol = hp.Float("tol", 1e-4, 0, inf, true);
  const bool intercept = hp.Bool("fit_intercept", true);
  return std::make_unique<ElasticNet>(alpha, l1_ratio, max_iter, tol, intercept);
}

}  // namespace

std::unique_ptr<Model> MakeLasso(HyperParameters& hp) {
  return Make(hp, 1.0);
}

std::unique_ptr<Model> MakeElasticNet(HyperParameters& hp) {
  return Make(hp, hp.Float("l1_ratio", 0.5, 0, 1));
}

}  // namespace krige::training
