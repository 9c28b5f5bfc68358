#include "cmaes/cma.hpp"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>

#include "tpe/parzen_estimator.hpp"

namespace krige::tuners::cmaes {
namespace {

constexpr double kEps = 1e-8;
constexpr double kSigmaMax = 1e32;

}  // namespace

// N(0, 1) by Box-Muller from the portable uniform.
double Normal(std::mt19937_64& rng) {
  const double u = 1.0 - tpe::Uniform01(rng), v = tpe::Uniform01(rng);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

Cma::Cma(Vector mean, double sigma, int popsize) : mean_(std::move(mean)) {
  sigma_ = sigma;
  const auto n = static_cast<double>(mean_.size());
  d_ = static_cast<int>(mean_.size());
  lambda_ = popsize;
  mu_ = lambda_ / 2;
  std::vector<double> w(lambda_);
  for (int i = 0; i < lambda_; ++i) w[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  auto eff = [&](int from, int to) {
    double s = 0, s2 = 0;
    for (int i = from; i < to; ++i) {
      s += w[i];
      s2 += w[i] * w[i];
    }
    return s2 > 0 ? s * s / s2 : 0.0;
  };
  mu_eff_ = eff(0, mu_);
  const double mu_eff_minus = eff(mu_, lambda_);
  const double alpha_cov = 2;
  c1_ = alpha_cov / ((n + 1.3) * (n + 1.3) + mu_eff_);
  cmu_ = std::min(1 - c1_ - 1e-8, alpha_cov * (mu_eff_ - 2 + 1 / mu_eff_) /
                                      ((n + 2) * (n + 2) + alpha_cov * mu_eff_ / 2));
  const double min_alpha = std::min(
      {1 + c1_ / cmu_, 1 + (2 * mu_eff_minus) / (mu_eff_ + 2), (1 - c1_ - cmu_) / (n * cmu_)});
  double positive = 0, negative = 0;
  for (double v : w) (v > 0 ? positive : negative) += std::fabs(v);
  weights_.resize(lambda_);
  for (int i = 0; i < lambda_; ++i)
    weights_[i] = w[i] >= 0 ? w[i] / positive : min_alpha / negative * w[i];
  c_sigma_ = (mu_eff_ + 2) / (n + mu_eff_ + 5);
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (n + 1)) - 1) + c_sigma_;
  cc_ = (4 + mu_eff_ / n) / (n + 4 + 2 * mu_eff_ / n);
  chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
  p_sigma_ = Vector::Zero(d_);
  pc_ = Vector::Zero(d_);
  C_ = Matrix::Identity(d_, d_);
  tolx_ = 1e-12 * sigma;
  funhist_term_ = 10 + static_cast<int>(std::ceil(30.0 * n / lambda_));
  funhist_.assign(2 * funhist_term_, 0.0);
  Decompose();
}

Vector Cma::Ask(std::mt19937_64& rng, const std::vector<bool>& feasible) const {
  const auto draw = [&] {
    Vector z(d_);
    for (int i = 0; i < d_; ++i) z[i] = Normal(rng);
    return Vector(mean_ + sigma_ * (B_ * (D_.asDiagonal() * z)));
  };
  const auto inside = [&](const Vector& x) {
    for (int i = 0; i < d_; ++i)
      if ((feasible.empty() || feasible[i]) && (x[i] < 0 || x[i] > 1)) return false;
    return true;
  };
  for (int attempt = 0; attempt < 10 * d_; ++attempt) {
    Vector x = draw();
    if (inside(x)) return x;
  }
  Vector x = draw();
  for (int i = 0; i < d_; ++i)
    if (feasible.empty() || feasible[i]) x[i] = std::min(1.0, std::max(0.0, x[i]));
  return x;
}

void Cma::Tell(std::vector<std::pair<Vector, double>> solutions) {
  ++g_;
  std::stable_sort(solutions.begin(), solutions.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  const int slot = 2 * (g_ % funhist_term_);
  funhist_[slot] = solutions.front().second;
  funhist_[slot + 1] = solutions.back().second;

  Matrix y(d_, lambda_);
  for (int k = 0; k < lambda_; ++k) y.col(k) = (solutions[k].first - mean_) / sigma_;
  Vector y_w = Vector::Zero(d_);
  for (int k = 0; k < mu_; ++k) y_w += weights_[k] * y.col(k);
  mean_ += sigma_ * y_w;  // c_m = 1

  const Matrix c_inv_sqrt = B_ * D_.cwiseInverse().asDiagonal() * B_.transpose();
  p_sigma_ = (1 - c_sigma_) * p_sigma_ +
             std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_) * (c_inv_sqrt * y_w);
  const double norm = p_sigma_.norm();
  sigma_ = std::min(sigma_ * std::exp((c_sigma_ / d_sigma_) * (norm / chi_n_ - 1)), kSigmaMax);

  const double left = norm / std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * (g_ + 1)));
  const double h_sigma = left < (1.4 + 2.0 / (d_ + 1)) * chi_n_ ? 1.0 : 0.0;
  pc_ = (1 - cc_) * pc_ + h_sigma * std::sqrt(cc_ * (2 - cc_) * mu_eff_) * y_w;

  Matrix rank_mu = Matrix::Zero(d_, d_);
  double weight_sum = 0;
  for (int k = 0; k < lambda_; ++k) {
    weight_sum += weights_[k];
    const double w_io = weights_[k] >= 0
                            ? weights_[k]
                            : weights_[k] * d_ / ((c_inv_sqrt * y.col(k)).squaredNorm() + kEps);
    rank_mu += w_io * y.col(k) * y.col(k).transpose();
  }
  const double delta_h_sigma = (1 - h_sigma) * cc_ * (2 - cc_);
  C_ = (1 + c1_ * delta_h_sigma - c1_ - cmu_ * weight_sum) * C_ + c1_ * pc_ * pc_.transpose() +
       cmu_ * rank_mu;
  Decompose();
}

bool Cma::ShouldStop() const {
  const Vector dc = C_.diagonal();
  if (g_ > funhist_term_) {
    const auto [lo, hi] = std::minmax_element(funhist_.begin(), funhist_.end());
    if (*hi - *lo < 1e-12) return true;
  }
  if ((sigma_ * dc.array() < tolx_).all() && (sigma_ * pc_.array() < tolx_).all()) return true;
  if (sigma_ * D_.maxCoeff() > 1e4) return true;
  for (int i = 0; i < d_; ++i)
    if (mean_[i] == mean_[i] + 0.2 * sigma_ * std::sqrt(dc[i])) return true;
  const int axis = g_ % d_;
  bool no_effect = true;
  for (int i = 0; i < d_; ++i)
    no_effect &= mean_[i] == mean_[i] + 0.1 * sigma_ * D_[axis] * B_(i, axis);
  if (no_effect) return true;
  return D_.maxCoeff() / D_.minCoeff() > 1e14;
}

void Cma::Decompose() {
  C_ = 0.5 * (C_ + C_.transpose());
  Eigen::SelfAdjointEigenSolver<Matrix> eig(C_);
  B_ = eig.eigenvectors();
  D_ = eig.eigenvalues().unaryExpr([](double v) { return std::sqrt(v < 0 ? kEps : v); });
  C_ = B_ * D_.cwiseAbs2().asDiagonal() * B_.transpose();
}

double Chi2Quantile1(double q) {
  if (q <= 0) return 0;
  if (q >= 1) return std::numeric_limits<double>::infinity();
  const double r = boost::math::erf_inv(q);
  return 2 * r * r;
}

namespace {

double NormCdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// The number of edges below x: the index of x's value.
std::size_t Bin(const std::vector<double>& edges, double x) {
  return static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
}

}  // namespace

CmaWithMargin::CmaWithMargin(Vector mean, double sigma, int popsize,
                             std::vector<std::vector<double>> values)
    : cma_(std::move(mean), sigma, popsize) {
  const auto d = static_cast<Eigen::Index>(values.size());
  continuous_.assign(values.size(), true);
  for (Eigen::Index i = 0; i < d; ++i) {
    auto& v = values[static_cast<std::size_t>(i)];
    if (v.empty()) continue;
    continuous_[static_cast<std::size_t>(i)] = false;
    discrete_.push_back(i);
    std::vector<double> edges;
    for (std::size_t k = 1; k < v.size(); ++k) edges.push_back((v[k - 1] + v[k]) / 2);
    values_.push_back(std::move(v));
    edges_.push_back(std::move(edges));
  }
  margin_ = 1.0 / (static_cast<double>(d) * popsize);
  a_ = Vector::Ones(d);
}

Vector CmaWithMargin::Encode(const Vector& raw) const {
  Vector x = raw;
  const Vector& m = cma_.mean();
  for (std::size_t z = 0; z < discrete_.size(); ++z) {
    const auto i = discrete_[z];
    const double stretched = (raw[i] - m[i]) * a_[i] + m[i];
    x[i] = values_[z][std::min(Bin(edges_[z], stretched), values_[z].size() - 1)];
  }
  return x;
}

std::pair<Vector, Vector> CmaWithMargin::Ask(std::mt19937_64& rng) const {
  const Vector raw = cma_.Ask(rng, continuous_);
  return {Encode(raw), raw};
}

void CmaWithMargin::Tell(std::vector<std::pair<Vector, double>> solutions) {
  cma_.Tell(std::move(solutions));
  if (discrete_.empty()) return;
  const double sigma = cma_.sigma();
  const Matrix& c = cma_.cov();
  for (std::size_t z = 0; z < discrete_.size(); ++z) {
    const auto i = discrete_[z];
    const auto& edges = edges_[z];
    if (edges.empty()) continue;
    const double m = cma_.mean()[i];
    // The edges of the mean's value (one edge twice at either end).
    const std::size_t k = Bin(edges, m);
    const double lo = k == 0 ? edges.front() : edges[k - 1];
    const double up = k == edges.size() ? edges.back() : edges[k];
    const double scale = sigma * a_[i] * std::sqrt(c(i, i));
    const double low_cdf = NormCdf((lo - m) / scale);
    const double up_cdf = 1.0 - NormCdf((up - m) / scale);
    const double mid_cdf = 1.0 - (low_cdf + up_cdf);
    if (std::max(low_cdf, up_cdf) > 0.5) {
      // The mean sits in an end value: keep `margin` of the mass beyond its inner edge.
      if (std::min(low_cdf, up_cdf) < margin_) {
        const double sign = m - up > 0 ? 1.0 : (m - up < 0 ? -1.0 : 0.0);
        const double dist = sigma * a_[i] * std::sqrt(Chi2Quantile1(1.0 - 2.0 * margin_) * c(i, i));
        cma_.SetMean(i, up + sign * dist);
      }
      continue;
    }
    const double l = std::max(low_cdf, margin_ / 2), u = std::max(up_cdf, margin_ / 2);
    const double rest = 1.0 - l - u - mid_cdf, denom = l + mid_cdf + u - 3.0 * margin_ / 2;
    const double ml = std::min(0.5 - 1e-10, std::max(1e-10, l + rest * (l - margin_ / 2) / denom));
    const double mu = std::min(0.5 - 1e-10, std::max(1e-10, u + rest * (u - margin_ / 2) / denom));
    const double chi_low = std::sqrt(Chi2Quantile1(1.0 - 2 * ml));
    const double chi_up = std::sqrt(Chi2Quantile1(1.0 - 2 * mu));
    a_[i] = (up - lo) / ((chi_low + chi_up) * sigma * std::sqrt(c(i, i)));
    cma_.SetMean(i, (lo * chi_up + up * chi_low) / (chi_low + chi_up));
  }
}

}  // namespace krige::tuners::cmaes
