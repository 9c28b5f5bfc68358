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

  // One candidate: resampled up to 10 d times into the box, then clipped (Optuna's setting).
  Vector Ask(std::mt19937_64& rng) const;
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

}  // namespace krige::tuners::cmaes
