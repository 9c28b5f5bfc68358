// A Gaussian-process regression model for the gp tuner (private to krige::tuners; Eigen here
// is fine because this header is not part of the module's public interface).
//
// Kernel: Matérn-5/2 with one lengthscale per input (ARD) and a signal variance, plus a
// Gaussian noise variance. Hyperparameters theta = [log l_1..log l_d, log s2, log noise].
// Thread-safety: a const model may be queried from several threads; mutation is not shared.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krige::tuners::gp {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// Matérn-5/2 ARD covariance between the rows of A and the rows of B (noise not included).
Matrix Matern52(const Matrix& A, const Matrix& B, const Vector& theta);

// Gaussian priors on theta and box bounds, for inputs in [0,1]^d and standardized outputs.
struct HyperPrior {
  Vector mean, sd, lower, upper;
  static HyperPrior Default(int d);
};

// Negative log marginal likelihood minus the log prior, and its gradient (if grad != null).
// Returns +inf when the covariance is not positive definite.
double NegLogPosterior(const Matrix& X, const Vector& y, const Vector& theta,
                       const HyperPrior& prior, Vector* grad);

struct FitOptions {
  int restarts = 2;    // starts: the prior mode, a short-lengthscale guess, then prior draws
  int max_evals = 60;  // per L-BFGS run
  std::uint64_t seed = 0;
};

// MAP hyperparameters by multi-start L-BFGS (NLopt LD_LBFGS, analytic gradients). Never throws:
// a failed run keeps the best point seen so far.
Vector FitHyperparameters(const Matrix& X, const Vector& y, const HyperPrior& prior,
                          const FitOptions& options);

class Posterior {
 public:
  // Conditions on (X, y). Adds jitter (1e-8 .. 1e-2 of the signal variance) if the covariance
  // is not positive definite; returns nullopt with `why` set if even that fails.
  static std::optional<Posterior> Make(Matrix X, Vector y, Vector theta, std::string* why);

  // Latent mean and variance at the rows of Z.
  void Predict(const Matrix& Z, Vector& mean, Vector& var) const;
  // At one point, with gradients with respect to z.
  void PredictWithGradient(const Vector& z, double& mean, double& var, Vector& dmean,
                           Vector& dvar) const;
  // Conditions on y(z) = value, or on the posterior mean at z when value is absent (kriging
  // believer); a rank-one Cholesky update.
  void AddFantasy(const Vector& z, std::optional<double> value = std::nullopt);

  int size() const { return static_cast<int>(X_.rows()); }
  double jitter() const { return jitter_; }
  const Vector& theta() const { return theta_; }

 private:
  Posterior() = default;
  Matrix X_;
  Vector y_, theta_, alpha_;
  Matrix L_;  // lower Cholesky factor of K + (noise + jitter) I
  double jitter_ = 0;
};

// Vizier's half-rank output warping (Song et al., "The Vizier Gaussian Process Bandit
// Algorithm", 2024), for minimization: the better half (<= median) keeps its values; each
// value of the worse half becomes median + sigma * Phi^-1(q), q its mid-rank quantile in (0.5,
// 1) and sigma the root-mean-square deviation of the better half from the median. A cluster of
// failures in all but name (a classifier predicting the majority class, a loss that blew up)
// then sits a few sigma above the median instead of setting the scale of the whole fit, so the
// differences among good configurations stay resolvable. Ties share their mid-rank (a plateau
// stays one value); order is preserved. Returns y unchanged for n < 4 or a flat better half.
Vector HalfRank(const Vector& y);

// log E[max(best - f, 0)] for f ~ N(mean, var) (minimization), computed stably far into the
// tail (Ament et al., "Unexpected improvements to expected improvement", 2023), and its
// derivatives with respect to mean and var.
double LogExpectedImprovement(double mean, double var, double best, double* dmean = nullptr,
                              double* dvar = nullptr);

}  // namespace krige::tuners::gp
