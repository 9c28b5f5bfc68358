#include "gp/gp_model.hpp"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>
#include <nlopt.hpp>
#include <random>

namespace krige::tuners::gp {
namespace {

constexpr double kSqrt5 = 2.23606797749978969641;
constexpr double kLog2Pi = 1.83787706640934548356;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Pairwise Euclidean distances between rows of As and Bs (already divided by lengthscales).
Matrix Distances(const Matrix& As, const Matrix& Bs) {
  const Vector a2 = As.rowwise().squaredNorm(), b2 = Bs.rowwise().squaredNorm();
  Matrix R = -2.0 * As * Bs.transpose();
  R.colwise() += a2;
  R.rowwise() += b2.transpose();
  return R.cwiseMax(0.0).cwiseSqrt();
}

Vector InvLengthscales(const Vector& theta, Eigen::Index d) {
  return (-theta.head(d).array()).exp().matrix();
}

}  // namespace

Matrix Matern52(const Matrix& A, const Matrix& B, const Vector& theta) {
  const Eigen::Index d = A.cols();
  const Vector inv = InvLengthscales(theta, d);
  const Matrix R = Distances(A * inv.asDiagonal(), B * inv.asDiagonal());
  const double s2 = std::exp(theta[d]);
  return (s2 * (1.0 + kSqrt5 * R.array() + (5.0 / 3.0) * R.array().square()) *
          (-kSqrt5 * R.array()).exp())
      .matrix();
}

HyperPrior HyperPrior::Default(int d) {
  // Lengthscales: the dimension-scaled log-normal of Hvarfner et al. (2024), which keeps
  // vanilla BO sane as d grows. Signal variance around 1 (outputs are standardized). Noise:
  // small by default, but wide enough that noisy objectives are smoothed rather than
  // interpolated.
  HyperPrior p;
  const int m = d + 2;
  p.mean.resize(m);
  p.sd.resize(m);
  p.lower.resize(m);
  p.upper.resize(m);
  for (int i = 0; i < d; ++i) {
    p.mean[i] = std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(std::max(d, 1)));
    p.sd[i] = std::sqrt(3.0);
    p.lower[i] = std::log(5e-3);
    p.upper[i] = std::log(50.0 * std::sqrt(static_cast<double>(std::max(d, 1))));
  }
  p.mean[d] = 0.0;
  p.sd[d] = 1.0;
  p.lower[d] = std::log(1e-2);
  p.upper[d] = std::log(1e2);
  p.mean[d + 1] = std::log(1e-4);
  p.sd[d + 1] = 3.0;
  p.lower[d + 1] = std::log(1e-8);
  p.upper[d + 1] = std::log(1.0);
  return p;
}

double NegLogPosterior(const Matrix& X, const Vector& y, const Vector& theta,
                       const HyperPrior& prior, Vector* grad) {
  const Eigen::Index n = X.rows(), d = X.cols();
  const Vector inv = InvLengthscales(theta, d);
  const double s2 = std::exp(theta[d]), noise = std::exp(theta[d + 1]);
  const Matrix Xs = X * inv.asDiagonal();
  const Matrix R = Distances(Xs, Xs);
  const Eigen::ArrayXXd e = (-kSqrt5 * R.array()).exp();
  const Matrix Kf =
      (s2 * (1.0 + kSqrt5 * R.array() + (5.0 / 3.0) * R.array().square()) * e).matrix();
  Matrix K = Kf;
  K.diagonal().array() += noise;
  Eigen::LLT<Matrix> llt(K);
  if (llt.info() != Eigen::Success) return kInf;
  const Vector alpha = llt.solve(y);
  const Matrix& L = llt.matrixLLT();
  double value = 0.5 * y.dot(alpha) + L.diagonal().array().log().sum() + 0.5 * n * kLog2Pi;
  const Vector z = ((theta - prior.mean).array() / prior.sd.array()).matrix();
  value += 0.5 * z.squaredNorm();
  if (!std::isfinite(value)) return kInf;
  if (grad) {
    // d/dtheta = 0.5 tr((K^-1 - alpha alpha^T) dK/dtheta).
    Matrix W = llt.solve(Matrix::Identity(n, n));
    W.noalias() -= alpha * alpha.transpose();
    // dK/dlog l_i = G o (dx_i / l_i)^2 with G = s2 5/3 (1 + sqrt5 r) exp(-sqrt5 r).
    const Matrix M = (W.array() * (s2 * (5.0 / 3.0) * (1.0 + kSqrt5 * R.array()) * e)).matrix();
    const Vector row_sums = M.rowwise().sum();
    const Matrix MXs = M * Xs;
    grad->resize(d + 2);
    for (Eigen::Index i = 0; i < d; ++i)
      (*grad)[i] = Xs.col(i).array().square().matrix().dot(row_sums) - Xs.col(i).dot(MXs.col(i));
    (*grad)[d] = 0.5 * (W.array() * Kf.array()).sum();
    (*grad)[d + 1] = 0.5 * noise * W.trace();
    grad->array() += z.array() / prior.sd.array();
  }
  return value;
}

namespace {

struct FitProblem {
  const Matrix* X;
  const Vector* y;
  const HyperPrior* prior;
  Vector best;
  double best_value = kInf;
};

double FitObjective(const std::vector<double>& x, std::vector<double>& grad, void* data) {
  auto* p = static_cast<FitProblem*>(data);
  const Vector theta = Eigen::Map<const Vector>(x.data(), static_cast<Eigen::Index>(x.size()));
  Vector g;
  const double v = NegLogPosterior(*p->X, *p->y, theta, *p->prior, grad.empty() ? nullptr : &g);
  if (!std::isfinite(v)) {
    // Push the line search back: a large value with a gradient pointing to more noise.
    std::fill(grad.begin(), grad.end(), 0.0);
    if (!grad.empty()) grad.back() = -1.0;
    return 1e300;
  }
  if (!grad.empty()) std::copy(g.data(), g.data() + g.size(), grad.begin());
  if (v < p->best_value) {
    p->best_value = v;
    p->best = theta;
  }
  return v;
}

}  // namespace

Vector FitHyperparameters(const Matrix& X, const Vector& y, const HyperPrior& prior,
                          const FitOptions& options) {
  const Eigen::Index m = prior.mean.size(), d = m - 2;
  std::vector<Vector> starts;
  starts.push_back(prior.mean);
  Vector short_ls = prior.mean;
  short_ls.head(d).setConstant(
      std::log(0.25 * std::sqrt(static_cast<double>(std::max<Eigen::Index>(d, 1)))));
  short_ls[d + 1] = std::log(1e-3);
  starts.push_back(short_ls);
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  while (static_cast<int>(starts.size()) < options.restarts) {
    Vector s(m);
    for (Eigen::Index i = 0; i < m; ++i) s[i] = prior.mean[i] + 0.5 * prior.sd[i] * normal(rng);
    starts.push_back(s);
  }
  starts.resize(std::max(1, options.restarts));

  FitProblem problem{&X, &y, &prior, prior.mean, kInf};
  const std::vector<double> lower(prior.lower.data(), prior.lower.data() + m);
  const std::vector<double> upper(prior.upper.data(), prior.upper.data() + m);
  for (const Vector& s : starts) {
    nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(m));
    opt.set_lower_bounds(lower);
    opt.set_upper_bounds(upper);
    opt.set_min_objective(FitObjective, &problem);
    opt.set_maxeval(options.max_evals);
    opt.set_ftol_rel(1e-7);
    opt.set_xtol_rel(1e-5);
    std::vector<double> x(m);
    for (Eigen::Index i = 0; i < m; ++i) x[i] = std::min(upper[i], std::max(lower[i], s[i]));
    double f = 0;
    try {
      opt.optimize(x, f);
    } catch (...) {
      // Roundoff or a failed line search: the best point seen is kept in `problem`.
    }
  }
  return problem.best;
}

std::optional<Posterior> Posterior::Make(Matrix X, Vector y, Vector theta, std::string* why) {
  const Eigen::Index d = X.cols();
  const double s2 = std::exp(theta[d]), noise = std::exp(theta[d + 1]);
  Matrix K = Matern52(X, X, theta);
  K.diagonal().array() += noise;
  if (!K.allFinite()) {
    if (why) *why = "covariance has non-finite entries";
    return std::nullopt;
  }
  for (double jitter = 0; jitter <= 1e-2 * s2; jitter = jitter == 0 ? 1e-8 * s2 : jitter * 10) {
    Matrix Kj = K;
    Kj.diagonal().array() += jitter;
    Eigen::LLT<Matrix> llt(Kj);
    if (llt.info() != Eigen::Success || !llt.matrixL().toDenseMatrix().allFinite()) continue;
    Posterior p;
    p.L_ = llt.matrixL();
    p.alpha_ = llt.solve(y);
    if (!p.alpha_.allFinite()) continue;
    p.X_ = std::move(X);
    p.y_ = std::move(y);
    p.theta_ = std::move(theta);
    p.jitter_ = jitter;
    return p;
  }
  if (why) *why = "covariance not positive definite even with jitter 1e-2";
  return std::nullopt;
}

void Posterior::Predict(const Matrix& Z, Vector& mean, Vector& var) const {
  const double s2 = std::exp(theta_[X_.cols()]);
  const Matrix Ks = Matern52(Z, X_, theta_);
  mean = Ks * alpha_;
  const Matrix V = L_.triangularView<Eigen::Lower>().solve(Ks.transpose());
  var = (s2 - V.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12 * s2).matrix();
}

void Posterior::PredictWithGradient(const Vector& z, double& mean, double& var, Vector& dmean,
                                    Vector& dvar) const {
  const Eigen::Index n = X_.rows(), d = X_.cols();
  const Vector inv = InvLengthscales(theta_, d);
  const Vector inv2 = inv.array().square().matrix();
  const double s2 = std::exp(theta_[d]);
  Vector ks(n);
  Matrix dK(n, d);
  for (Eigen::Index b = 0; b < n; ++b) {
    const Vector diff = z - X_.row(b).transpose();
    const double r = std::sqrt((diff.array() * inv.array()).square().sum());
    const double e = std::exp(-kSqrt5 * r);
    ks[b] = s2 * (1 + kSqrt5 * r + (5.0 / 3.0) * r * r) * e;
    const double g = s2 * (5.0 / 3.0) * (1 + kSqrt5 * r) * e;
    dK.row(b) = (-g * diff.array() * inv2.array()).matrix().transpose();
  }
  mean = ks.dot(alpha_);
  dmean = dK.transpose() * alpha_;
  const Vector v = L_.triangularView<Eigen::Lower>().solve(ks);
  var = s2 - v.squaredNorm();
  const Vector w = L_.triangularView<Eigen::Lower>().transpose().solve(v);
  dvar = -2.0 * (dK.transpose() * w);
  if (var < 1e-12 * s2) {
    var = 1e-12 * s2;
    dvar.setZero();
  }
}

void Posterior::AddFantasy(const Vector& z, std::optional<double> value) {
  const Eigen::Index n = X_.rows(), d = X_.cols();
  const double s2 = std::exp(theta_[d]), noise = std::exp(theta_[d + 1]);
  const Vector ks = Matern52(z.transpose(), X_, theta_).transpose();
  const double mean = ks.dot(alpha_);
  const Vector l = L_.triangularView<Eigen::Lower>().solve(ks);
  const double diag = std::max(s2 + noise + jitter_ - l.squaredNorm(), 1e-10 * s2);
  Matrix L(n + 1, n + 1);
  L.setZero();
  L.topLeftCorner(n, n) = L_;
  L.block(n, 0, 1, n) = l.transpose();
  L(n, n) = std::sqrt(diag);
  L_ = std::move(L);
  X_.conservativeResize(n + 1, Eigen::NoChange);
  X_.row(n) = z.transpose();
  y_.conservativeResize(n + 1);
  y_[n] = value ? *value : mean;
  alpha_ = L_.triangularView<Eigen::Lower>().transpose().solve(
      L_.triangularView<Eigen::Lower>().solve(y_));
}

namespace {

// erfcx(x) = exp(x^2) erfc(x) for x >= 0.
double Erfcx(double x) {
  if (x < 25.0) return std::exp(x * x) * std::erfc(x);
  const double x2 = x * x;  // asymptotic series, relative error < 1e-12 here
  return (1.0 - 0.5 / x2 + 0.75 / (x2 * x2) - 1.875 / (x2 * x2 * x2)) / (x * std::sqrt(M_PI));
}

// log(1 - exp(a)) for a < 0.
double Log1mExp(double a) {
  return a > -M_LN2 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a));
}

// log h(z) with h(z) = z Phi(z) + phi(z), and d log h / dz = Phi(z) / h(z).
double LogH(double z, double* dz) {
  const double c1 = 0.5 * kLog2Pi;
  if (z > -1.0) {
    const double cdf = 0.5 * std::erfc(-z / M_SQRT2);
    const double pdf = std::exp(-0.5 * z * z - c1);
    const double h = z * cdf + pdf;
    if (dz) *dz = cdf / h;
    return std::log(h);
  }
  const double t = -z;
  if (t < 1e8) {
    // h = phi(z) (1 - t m), m = Phi(z) / phi(z) = sqrt(pi/2) erfcx(t / sqrt2).
    const double m = std::sqrt(M_PI / 2) * Erfcx(t / M_SQRT2);
    const double log1m = Log1mExp(std::log(t * m));
    if (dz) *dz = m / std::exp(log1m);
    return -0.5 * z * z - c1 + log1m;
  }
  if (dz) *dz = t + 2.0 / t;
  return -0.5 * z * z - c1 - 2.0 * std::log(t);
}

}  // namespace

Vector HalfRank(const Vector& y) {
  const Eigen::Index n = y.size();
  if (n < 4) return y;
  std::vector<double> sorted(y.data(), y.data() + n);
  std::sort(sorted.begin(), sorted.end());
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double ss = 0;
  int good = 0;
  for (double v : sorted)
    if (v <= median) {
      ss += (v - median) * (v - median);
      ++good;
    }
  const double sigma = std::sqrt(ss / std::max(1, good));
  if (!(sigma > 0) || !std::isfinite(sigma)) return y;
  Vector out = y;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(y[i] > median)) continue;
    const auto lo = std::lower_bound(sorted.begin(), sorted.end(), y[i]) - sorted.begin();
    const auto hi = std::upper_bound(sorted.begin(), sorted.end(), y[i]) - sorted.begin();
    const double q = (0.5 * static_cast<double>(lo + hi - 1) + 0.5) / static_cast<double>(n);
    out[i] = median + sigma * M_SQRT2 * boost::math::erf_inv(std::min(2 * q - 1, 1 - 1e-12));
  }
  return out;
}

double LogExpectedImprovement(double mean, double var, double best, double* dmean, double* dvar) {
  var = std::max(var, 1e-300);
  const double sigma = std::sqrt(var);
  const double z = (best - mean) / sigma;
  double dlh = 0;
  const double value = LogH(z, &dlh) + std::log(sigma);
  if (dmean) *dmean = -dlh / sigma;
  if (dvar) *dvar = 0.5 / var - dlh * z / (2 * var);
  return value;
}

}  // namespace krige::tuners::gp
