#include "models/knn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "krige/error.hpp"
#include "models/hyperparameters.hpp"

namespace krige::training {
namespace {

class Knn : public Model {
 public:
  Knn(int k, bool by_distance, double p) : k_(k), by_distance_(by_distance), p_(p) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) override {
    if (k_ > x.rows())
      throw Error(ErrorCode::kInvalidArgument,
                  "knn: n_neighbors (" + std::to_string(k_) + ") exceeds the training rows (" +
                      std::to_string(x.rows()) + ")",
                  "params.n_neighbors");
    x_ = x;
    y_ = y;
    n_classes_ = n_classes;
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    Eigen::VectorXd out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const auto [idx, w] = Neighbours(x.row(i));
      if (n_classes_ == 0) {
        double sum = 0, wsum = 0;
        for (std::size_t j = 0; j < idx.size(); ++j) {
          sum += w[j] * y_(idx[j]);
          wsum += w[j];
        }
        out(i) = sum / wsum;
      } else {
        const Eigen::VectorXd votes = Votes(idx, w);
        Eigen::Index best;
        votes.maxCoeff(&best);  // first maximum: ties go to the smaller class, as scikit-learn
        out(i) = static_cast<double>(best);
      }
    }
    return out;
  }

  // Unfitted: assume a classifier (regression never asks for probabilities).
  bool HasProbabilities() const override { return x_.size() == 0 || n_classes_ > 0; }
  Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out(x.rows(), n_classes_);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const auto [idx, w] = Neighbours(x.row(i));
      const Eigen::VectorXd votes = Votes(idx, w);
      out.row(i) = votes.transpose() / votes.sum();
    }
    return out;
  }

 private:
  double Distance(const Eigen::RowVectorXd& a, Eigen::Index row) const {
    const auto diff = (x_.row(row) - a).array().abs();
    if (p_ == 2) return std::sqrt(diff.square().sum());
    if (p_ == 1) return diff.sum();
    return std::pow(diff.pow(p_).sum(), 1.0 / p_);
  }

  // The k nearest training rows (ties by row order) and their weights.
  std::pair<std::vector<Eigen::Index>, std::vector<double>> Neighbours(
      const Eigen::RowVectorXd& a) const {
    std::vector<double> d(x_.rows());
    for (Eigen::Index r = 0; r < x_.rows(); ++r) d[r] = Distance(a, r);
    std::vector<Eigen::Index> order(x_.rows());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(
        order.begin(), order.begin() + k_, order.end(),
        [&](Eigen::Index l, Eigen::Index r) { return d[l] < d[r] || (d[l] == d[r] && l < r); });
    order.resize(k_);
    std::vector<double> w(k_, 1.0);
    if (by_distance_) {
      // 1/d; rows at distance 0 take all the weight (scikit-learn's rule).
      const bool exact = std::any_of(order.begin(), order.end(), [&](auto r) { return d[r] == 0; });
      for (int j = 0; j < k_; ++j)
        w[j] = exact ? (d[order[j]] == 0 ? 1.0 : 0.0) : 1.0 / d[order[j]];
    }
    return {order, w};
  }

  Eigen::VectorXd Votes(const std::vector<Eigen::Index>& idx, const std::vector<double>& w) const {
    Eigen::VectorXd votes = Eigen::VectorXd::Zero(n_classes_);
    for (std::size_t j = 0; j < idx.size(); ++j)
      votes(static_cast<Eigen::Index>(y_(idx[j]))) += w[j];
    return votes;
  }

  int k_;
  bool by_distance_;
  double p_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  int n_classes_ = 0;
};

}  // namespace

std::unique_ptr<Model> MakeKnn(HyperParameters& hp) {
  const int k = static_cast<int>(hp.Int("n_neighbors", 5, 1, 1000000));
  const bool by_distance = hp.Choice("weights", "uniform", {"uniform", "distance"}) == "distance";
  const double p = hp.Float("p", 2.0, 1.0, std::numeric_limits<double>::infinity());
  return std::make_unique<Knn>(k, by_distance, p);
}

}  // namespace krige::training
