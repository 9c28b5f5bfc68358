#include "models/kmeans.hpp"

#include <cmath>
#include <limits>

#include "krige/error.hpp"
#include "models/hyperparameters.hpp"
#include "random.hpp"

namespace krige::training {
namespace {

// Squared distances rows x centres.
Eigen::MatrixXd SquaredDistances(const Eigen::MatrixXd& x, const Eigen::MatrixXd& centres) {
  Eigen::MatrixXd d =
      (-2.0 * x * centres.transpose()).rowwise() + centres.rowwise().squaredNorm().transpose();
  d.colwise() += x.rowwise().squaredNorm();
  return d.cwiseMax(0.0);
}

class Kmeans : public Model {
 public:
  Kmeans(int k, int n_init, int max_iter, double tol, std::uint64_t seed)
      : k_(k), n_init_(n_init), max_iter_(max_iter), tol_(tol), seed_(seed) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd&, int) override {
    if (k_ > x.rows())
      throw Error(ErrorCode::kInvalidArgument,
                  "kmeans: n_clusters (" + std::to_string(k_) + ") exceeds the training rows (" +
                      std::to_string(x.rows()) + ")",
                  "params.n_clusters");
    const Eigen::RowVectorXd mean = x.colwise().mean();
    const double variance =
        (x.rowwise() - mean).array().square().colwise().mean().mean();  // mean feature variance
    const double tol = tol_ * variance;
    Rng rng(seed_ * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL);
    double best = std::numeric_limits<double>::infinity();
    for (int run = 0; run < n_init_; ++run) {
      Eigen::MatrixXd centres = PlusPlus(x, rng);
      const double inertia = Lloyd(x, centres, tol);
      if (inertia < best) {
        best = inertia;
        centres_ = centres;
      }
    }
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    if (centres_.size() == 0) throw Error(ErrorCode::kFailedPrecondition, "kmeans: not fitted");
    const Eigen::MatrixXd d = SquaredDistances(x, centres_);
    Eigen::VectorXd out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      Eigen::Index best;
      d.row(i).minCoeff(&best);
      out(i) = static_cast<double>(best);
    }
    return out;
  }

  bool HasCenters() const override { return true; }
  Eigen::MatrixXd ClusterCenters() const override { return centres_; }

 private:
  // Greedy k-means++ (as scikit-learn): each new centre is the best of 2 + log(k) candidates
  // drawn with probability proportional to the squared distance to the nearest centre.
  Eigen::MatrixXd PlusPlus(const Eigen::MatrixXd& x, Rng& rng) const {
    const Eigen::Index n = x.rows();
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k_)));
    Eigen::MatrixXd centres(k_, x.cols());
    centres.row(0) = x.row(static_cast<Eigen::Index>(rng.Below(static_cast<std::uint64_t>(n))));
    Eigen::VectorXd closest = SquaredDistances(x, centres.topRows(1)).col(0);
    for (int c = 1; c < k_; ++c) {
      const double total = closest.sum();
      Eigen::Index best_row = 0;
      double best_potential = std::numeric_limits<double>::infinity();
      Eigen::VectorXd best_closest;
      for (int t = 0; t < trials; ++t) {
        Eigen::Index row = n - 1;
        if (total > 0) {
          double target = rng.Uniform() * total, acc = 0;
          for (Eigen::Index i = 0; i < n; ++i) {
            acc += closest(i);
            if (acc > target) {
              row = i;
              break;
            }
          }
        } else {
          row = static_cast<Eigen::Index>(rng.Below(static_cast<std::uint64_t>(n)));
        }
        const Eigen::VectorXd candidate = closest.cwiseMin(SquaredDistances(x, x.row(row)).col(0));
        const double potential = candidate.sum();
        if (potential < best_potential) {
          best_potential = potential;
          best_row = row;
          best_closest = candidate;
        }
      }
      centres.row(c) = x.row(best_row);
      closest = best_closest;
    }
    return centres;
  }

  // Lloyd iterations until the centres move less than `tol` (squared, summed); returns the
  // inertia of the final assignment. An emptied cluster takes the row farthest from its centre.
  double Lloyd(const Eigen::MatrixXd& x, Eigen::MatrixXd& centres, double tol) const {
    const Eigen::Index n = x.rows();
    std::vector<Eigen::Index> label(n);
    Eigen::VectorXd dist(n);
    auto assign = [&] {
      const Eigen::MatrixXd d = SquaredDistances(x, centres);
      for (Eigen::Index i = 0; i < n; ++i) dist(i) = d.row(i).minCoeff(&label[i]);
    };
    for (int it = 0; it < max_iter_; ++it) {
      assign();
      Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k_, x.cols());
      Eigen::VectorXd counts = Eigen::VectorXd::Zero(k_);
      for (Eigen::Index i = 0; i < n; ++i) {
        sums.row(label[i]) += x.row(i);
        counts(label[i]) += 1;
      }
      Eigen::MatrixXd next = centres;
      for (int c = 0; c < k_; ++c) {
        if (counts(c) > 0) {
          next.row(c) = sums.row(c) / counts(c);
        } else {
          Eigen::Index far;
          dist.maxCoeff(&far);
          next.row(c) = x.row(far);
          dist(far) = 0;
        }
      }
      const double shift = (next - centres).squaredNorm();
      centres = next;
      if (shift <= tol) break;
    }
    assign();
    return dist.sum();
  }

  int k_;
  int n_init_;
  int max_iter_;
  double tol_;
  std::uint64_t seed_;
  Eigen::MatrixXd centres_;
};

}  // namespace

std::unique_ptr<Model> MakeKmeans(HyperParameters& hp, std::uint64_t seed) {
  const int k = static_cast<int>(hp.Int("n_clusters", 8, 1, 100000));
  const int n_init = static_cast<int>(hp.Int("n_init", 10, 1, 1000));
  const int max_iter = static_cast<int>(hp.Int("max_iter", 300, 1, 1000000));
  const double tol = hp.Float("tol", 1e-4, 0, std::numeric_limits<double>::infinity());
  return std::make_unique<Kmeans>(k, n_init, max_iter, tol, seed);
}

}  // namespace krige::training
