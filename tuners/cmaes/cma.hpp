// One CMA-ES run on [0, 1]^d: the `cmaes` package's CMA (Hansen's tutorial, 2016, with
// negative weights), whose parameters, update and termination criteria Optuna's CmaEsSampler
// uses. Private to tuners/; the tuner replays generations through it.
//
// Thread-safety: a value type; Ask is const and takes the caller's generator.
#pragma once

#include <Eigen/Dense>
#include <random>
#include <utility>
#include <vector>

namespace krige::tuners::cmaes {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// N(0, 1) by Box-Muller from 53-bit uniforms (portable across standard libraries).
double Normal(std::mt19937_64& rng);

class Cma {
 public:
  Cma(Vector mean, double sigma, int popsize);

  int popsize() const { return lambda_; }
  int generation() const { return g_; }
  const Vector& mean() const { return mean_; }
  double sigma() const { return sigma_; }
  const Matrix& cov() const { return C_; }

  // One candidate: resampled up to 10 d times into the box, then a new draw clipped
  // (Optuna's setting). `feasible` selects the coordinates the box applies to (all if empty).
  Vector Ask(std::mt19937_64& rng, const std::vector<bool>& feasible = {}) const;
  // Moves coordinate i of the mean (CMA-ES with margin corrects it after each generation).
  void SetMean(Eigen::Index i, double value) { mean_[i] = value; }
  // One generation: exactly popsize() (x, loss) pairs, any order.
  void Tell(std::vector<std::pair<Vector, double>> solutions);
  // The `cmaes` package's termination criteria (tolfun, tolx, tolxup, no effect of a
  // coordinate or an axis, condition number of C).
  bool ShouldStop() const;

 private:
  void Decompose();

  int d_ = 0, lambda_ = 0, mu_ = 0, g_ = 0, funhist_term_ = 0;
  double mu_eff_ = 0, c1_ = 0, cmu_ = 0, c_sigma_ = 0, d_sigma_ = 0, cc_ = 0, chi_n_ = 0;
  double sigma_ = 0, tolx_ = 0;
  std::vector<double> weights_, funhist_;
  Vector mean_, p_sigma_, pc_, D_;
  Matrix C_, B_;
};

// CMA-ES with margin (Hamano et al. 2022), the `cmaes` package's CMAwM: discrete coordinates
// are encoded to the nearest admissible value after an affine stretch A around the mean, and
// after each generation the mean and A are corrected so that the probability of leaving the
// mean's value stays at least `margin` (1 / (d lambda)) on each side.
class CmaWithMargin {
 public:
  // values[i]: the admissible values of coordinate i in increasing order; empty: continuous
  // (kept in [0, 1] by resampling). Needs values.size() == mean.size().
  CmaWithMargin(Vector mean, double sigma, int popsize, std::vector<std::vector<double>> values);

  const Cma& cma() const { return cma_; }
  int popsize() const { return cma_.popsize(); }
  const Vector& a() const { return a_; }
  // (encoded x for the evaluation, raw x for Tell).
  std::pair<Vector, Vector> Ask(std::mt19937_64& rng) const;
  // Solutions are (raw x, loss).
  void Tell(std::vector<std::pair<Vector, double>> solutions);
  bool ShouldStop() const { return cma_.ShouldStop(); }
  // The evaluated point of a raw sample: discrete coordinates stretched by A, then snapped.
  Vector Encode(const Vector& raw) const;

 private:
  Cma cma_;
  std::vector<bool> continuous_;
  std::vector<Eigen::Index> discrete_;
  std::vector<std::vector<double>> values_, edges_;  // per discrete coordinate
  double margin_ = 0;
  Vector a_;
};

// The df = 1 chi-squared quantile: (Phi^-1((1 + q) / 2))^2.
double Chi2Quantile1(double q);

}  // namespace krige::tuners::cmaes
