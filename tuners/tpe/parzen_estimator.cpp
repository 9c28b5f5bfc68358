#include "tpe/parzen_estimator.hpp"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>

namespace krige::tuners::tpe {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLogSqrt2Pi = 0.91893853320467274;  // log(sqrt(2 pi))
constexpr double kInf = std::numeric_limits<double>::infinity();

// Standard normal CDF and its complement, accurate in the tails.
double Phi(double z) {
  return 0.5 * std::erfc(-z / kSqrt2);
}

// log of the standard normal mass in [a, b], computed on the side of 0 where it is accurate
// (the right tail by symmetry), as Optuna's _log_gauss_mass does.
double LogGaussMass(double a, double b) {
  if (!(a < b)) return -kInf;
  double mass;
  if (b <= 0)
    mass = Phi(b) - Phi(a);
  else if (a > 0)
    mass = Phi(-a) - Phi(-b);
  else
    mass = 1.0 - Phi(a) - Phi(-b);
  return mass > 0 ? std::log(mass) : -kInf;
}

double PhiInverse(double p) {
  return -kSqrt2 * boost::math::erfc_inv(2.0 * p);
}

// A draw of N(0,1) truncated to [a, b] by inversion, on the accurate side of 0.
double TruncatedNormal(double a, double b, double u) {
  double z;
  if (a > 0) {  // mirror: invert the upper tail
    const double lo = Phi(-b), hi = Phi(-a);
    const double q = lo + u * (hi - lo);
    z = q <= 0 ? b : (q >= 1 ? a : -PhiInverse(q));
  } else {
    const double lo = Phi(a), hi = Phi(b);
    const double p = lo + u * (hi - lo);
    z = p <= 0 ? a : (p >= 1 ? b : PhiInverse(p));
  }
  return std::min(b, std::max(a, z));
}

std::size_t ChoiceIndex(const ParamSpec& p, const ParamValue& v) {
  for (std::size_t j = 0; j < p.choices.size(); ++j) {
    const auto& c = p.choices[j];
    if (c == v || (IsNumeric(c) && IsNumeric(v) && AsDouble(c) == AsDouble(v))) return j;
  }
  return p.choices.size();
}

std::int64_t GridCount(const Domain& d) {
  return static_cast<std::int64_t>(std::llround((d.last - d.first) / d.step)) + 1;
}

// The grid index nearest to external value v.
std::int64_t GridIndex(const Domain& d, double v) {
  const auto k = static_cast<std::int64_t>(std::llround((v - d.first) / d.step));
  return std::min(std::max<std::int64_t>(k, 0), GridCount(d) - 1);
}

}  // namespace

double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

Domain Domain::Of(const ParamSpec& spec) {
  Domain d;
  if (spec.type == ParamType::kCategorical) {
    d.kind = Kind::kCategorical;
    d.choices = spec.choices.size();
    d.low = 0;
    d.high = static_cast<double>(d.choices);
    return d;
  }
  d.log = spec.log;
  if (spec.type == ParamType::kInt || spec.step > 0) {
    d.step = spec.step > 0 ? spec.step : 1.0;
    d.first = spec.low;
    const auto count =
        static_cast<std::int64_t>(std::floor((spec.high - spec.low) / d.step + 1e-9)) + 1;
    d.last = spec.low + static_cast<double>(std::max<std::int64_t>(count, 1) - 1) * d.step;
    const double half = 0.5 * d.step;
    if (spec.log) {
      // Optuna: [log(low - 0.5), log(high + 0.5)] for log ints; kept > 0 for larger steps.
      d.kind = Kind::kLogGrid;
      d.low = std::log(std::max(d.first - half, 0.5 * d.first));
      d.high = std::log(d.last + half);
    } else {
      d.kind = Kind::kLinearGrid;
      d.low = d.first - half;
      d.high = d.last + half;
    }
    return d;
  }
  d.kind = Kind::kContinuous;
  d.low = spec.log ? std::log(spec.low) : spec.low;
  d.high = spec.log ? std::log(spec.high) : spec.high;
  return d;
}

bool Domain::IsSingle() const {
  switch (kind) {
    case Kind::kCategorical:
      return choices <= 1;
    case Kind::kContinuous:
      return !(low < high);
    default:
      return !(first < last);
  }
}

double Domain::ToInternal(const ParamSpec& spec, const ParamValue& value) const {
  if (kind == Kind::kCategorical) {
    const std::size_t j = ChoiceIndex(spec, value);
    return j < choices ? static_cast<double>(j) : std::nan("");
  }
  if (!IsNumeric(value)) return std::nan("");
  const double v = AsDouble(value);
  return log ? std::log(v) : v;
}

ParamValue Domain::ToValue(const ParamSpec& spec, double x) const {
  switch (kind) {
    case Kind::kCategorical: {
      const auto j = static_cast<std::size_t>(
          std::min(std::max(std::llround(x), 0LL), static_cast<long long>(choices) - 1));
      return spec.choices[j];
    }
    case Kind::kContinuous: {
      const double v = log ? std::exp(x) : x;
      return std::min(spec.high, std::max(spec.low, v));
    }
    default: {
      const double v = kind == Kind::kLogGrid ? std::exp(x) : x;
      const std::int64_t k = GridIndex(*this, v);
      if (spec.type == ParamType::kInt)
        return static_cast<std::int64_t>(std::llround(first)) +
               k * static_cast<std::int64_t>(std::llround(step));
      return std::min(spec.high, first + static_cast<double>(k) * step);
    }
  }
}

double Domain::Snap(double x) const {
  switch (kind) {
    case Kind::kCategorical:
      return static_cast<double>(
          std::min(std::max(std::llround(x), 0LL), static_cast<long long>(choices) - 1));
    case Kind::kContinuous:
      return std::min(high, std::max(low, x));
    case Kind::kLinearGrid:
      return first + static_cast<double>(GridIndex(*this, x)) * step;
    case Kind::kLogGrid:
      return std::log(first + static_cast<double>(GridIndex(*this, std::exp(x))) * step);
  }
  return x;
}

std::vector<double> DefaultWeights(std::size_t n) {
  std::vector<double> w(n, 1.0);
  if (n >= 25) {
    // numpy.linspace(1/n, 1, n - 25) for the oldest n - 25, then 25 ones.
    const std::size_t ramp = n - 25;
    const double start = 1.0 / static_cast<double>(n);
    for (std::size_t i = 0; i < ramp; ++i)
      w[i] = ramp == 1
                 ? start
                 : start + (1.0 - start) * static_cast<double>(i) / static_cast<double>(ramp - 1);
  }
  return w;
}

std::size_t DefaultGamma(std::size_t n) {
  return std::min<std::size_t>((n + 9) / 10, 25);  // min(ceil(0.1 n), 25)
}

std::vector<bool> SplitBelow(const std::vector<double>& losses, const std::vector<bool>& pending,
                             std::size_t n_below) {
  std::vector<std::size_t> order(losses.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (pending[a] != pending[b]) return static_cast<bool>(pending[b]);
    return !pending[a] && losses[a] < losses[b];
  });
  std::vector<bool> below(losses.size(), false);
  for (std::size_t r = 0; r < std::min(n_below, order.size()); ++r) below[order[r]] = true;
  return below;
}

std::vector<Group> DecomposeGroups(const std::vector<Group>& trial_keys) {
  std::vector<Group> groups;
  for (Group keys : trial_keys) {
    std::vector<Group> next;
    for (const auto& g : groups) {
      Group in, out;
      for (std::size_t j : g) (keys.count(j) ? in : out).insert(j);
      for (std::size_t j : g) keys.erase(j);
      next.push_back(std::move(in));
      next.push_back(std::move(out));
    }
    next.push_back(std::move(keys));
    groups.clear();
    for (auto& g : next)
      if (!g.empty()) groups.push_back(std::move(g));
  }
  return groups;
}

Group Intersection(const std::vector<Group>& trial_keys) {
  if (trial_keys.empty()) return {};
  Group out = trial_keys.front();
  for (const auto& keys : trial_keys) {
    Group both;
    std::set_intersection(out.begin(), out.end(), keys.begin(), keys.end(),
                          std::inserter(both, both.end()));
    out = std::move(both);
  }
  return out;
}

ParzenEstimator::ParzenEstimator(std::vector<Domain> domains,
                                 const std::vector<std::vector<double>>& observations,
                                 const EstimatorOptions& options)
    : domains_(std::move(domains)) {
  const std::size_t n = observations.size();
  const std::size_t d = domains_.size();
  // Components: one per observation and the prior (Optuna's consider_prior, always on here).
  weights_ = DefaultWeights(n);
  weights_.push_back(options.prior_weight);
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;

  mus_.assign(d, {});
  sigmas_.assign(d, {});
  categorical_.assign(d, {});
  // BOHB's bandwidth (Scott's rule with a smaller constant), in units of the range.
  const double sigma0 =
      0.2 * std::pow(static_cast<double>(std::max<std::size_t>(n, 1)), -1.0 / (d + 4.0));
  for (std::size_t j = 0; j < d; ++j) {
    const Domain& dom = domains_[j];
    if (dom.kind == Domain::Kind::kCategorical) {
      // Each observation's choice gets 1 on top of prior_weight / (n + 1) for every choice;
      // the prior component is uniform.
      const std::size_t k = dom.choices;
      auto& cat = categorical_[j];
      cat.assign((n + 1) * k, options.prior_weight / static_cast<double>(n + 1));
      for (std::size_t i = 0; i < n; ++i) {
        const double x = observations[i][j];
        if (std::isfinite(x)) cat[i * k + static_cast<std::size_t>(x)] += 1.0;
      }
      for (std::size_t i = 0; i <= n; ++i) {
        const double row = std::accumulate(cat.begin() + i * k, cat.begin() + (i + 1) * k, 0.0);
        for (std::size_t c = 0; c < k; ++c) cat[i * k + c] /= row;
      }
      continue;
    }
    const double low = dom.low, high = dom.high, range = high - low;
    auto& mus = mus_[j];
    auto& sigmas = sigmas_[j];
    mus.resize(n + 1);
    for (std::size_t i = 0; i < n; ++i) mus[i] = observations[i][j];
    mus[n] = 0.5 * (low + high);
    sigmas.resize(n + 1);
    if (options.multivariate) {
      std::fill(sigmas.begin(), sigmas.end(), sigma0 * range);
    } else {
      // Each centre's width is the distance to its farther neighbour among the sorted centres
      // (the bounds count as neighbours); without endpoints the outermost take the inner gap.
      std::vector<std::size_t> order(n + 1);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return mus[a] < mus[b]; });
      std::vector<double> s(n + 3);
      s[0] = low;
      for (std::size_t i = 0; i <= n; ++i) s[i + 1] = mus[order[i]];
      s[n + 2] = high;
      std::vector<double> sorted(n + 1);
      for (std::size_t i = 0; i <= n; ++i)
        sorted[i] = std::max(s[i + 1] - s[i], s[i + 2] - s[i + 1]);
      if (!options.endpoints && s.size() >= 4) {
        sorted[0] = s[2] - s[1];
        sorted[n] = s[n + 1] - s[n];
      }
      for (std::size_t i = 0; i <= n; ++i) sigmas[order[i]] = sorted[i];
    }
    const double min_sigma =
        options.magic_clip ? range / std::min(100.0, static_cast<double>(n + 2)) : 1e-12;
    for (double& s : sigmas) s = std::min(range, std::max(min_sigma, s));
    sigmas[n] = range;  // the prior: centred, as wide as the range
  }
}

std::vector<std::vector<double>> ParzenEstimator::Sample(std::mt19937_64& rng,
                                                         std::size_t size) const {
  std::vector<std::vector<double>> out(size, std::vector<double>(domains_.size()));
  for (auto& point : out) {
    const double u = Uniform01(rng);
    std::size_t c = 0;
    for (double acc = weights_[0]; c + 1 < weights_.size() && acc <= u; acc += weights_[++c]) {
    }
    for (std::size_t j = 0; j < domains_.size(); ++j) {
      const Domain& dom = domains_[j];
      if (dom.kind == Domain::Kind::kCategorical) {
        const std::size_t k = dom.choices;
        const double v = Uniform01(rng);
        std::size_t choice = 0;
        for (double acc = categorical_[j][c * k]; choice + 1 < k && acc <= v;
             acc += categorical_[j][c * k + ++choice]) {
        }
        point[j] = static_cast<double>(choice);
        continue;
      }
      const double mu = mus_[j][c], sigma = sigmas_[j][c];
      const double z =
          TruncatedNormal((dom.low - mu) / sigma, (dom.high - mu) / sigma, Uniform01(rng));
      point[j] = dom.Snap(mu + sigma * z);
    }
  }
  return out;
}

std::vector<double> ParzenEstimator::LogPdf(const std::vector<std::vector<double>>& points) const {
  const std::size_t m = weights_.size();
  std::vector<double> out;
  out.reserve(points.size());
  // The normalizer of each truncated component, per numeric parameter.
  std::vector<std::vector<double>> log_accept(domains_.size());
  for (std::size_t j = 0; j < domains_.size(); ++j) {
    if (domains_[j].kind == Domain::Kind::kCategorical) continue;
    log_accept[j].resize(m);
    for (std::size_t c = 0; c < m; ++c)
      log_accept[j][c] = LogGaussMass((domains_[j].low - mus_[j][c]) / sigmas_[j][c],
                                      (domains_[j].high - mus_[j][c]) / sigmas_[j][c]);
  }
  std::vector<double> terms(m);
  for (const auto& x : points) {
    for (std::size_t c = 0; c < m; ++c) terms[c] = std::log(weights_[c]);
    for (std::size_t j = 0; j < domains_.size(); ++j) {
      const Domain& dom = domains_[j];
      if (dom.kind == Domain::Kind::kCategorical) {
        const auto choice = static_cast<std::size_t>(x[j]);
        for (std::size_t c = 0; c < m; ++c)
          terms[c] += std::log(categorical_[j][c * dom.choices + choice]);
        continue;
      }
      double lo = 0, hi = 0;  // the bin of a discrete value, on the internal axis
      if (dom.kind == Domain::Kind::kLinearGrid) {
        lo = x[j] - 0.5 * dom.step;
        hi = x[j] + 0.5 * dom.step;
      } else if (dom.kind == Domain::Kind::kLogGrid) {
        const double v = std::exp(x[j]);
        lo = v - 0.5 * dom.step > 0 ? std::log(v - 0.5 * dom.step) : dom.low;
        hi = std::log(v + 0.5 * dom.step);
      }
      lo = std::max(lo, dom.low);
      hi = std::min(hi, dom.high);
      for (std::size_t c = 0; c < m; ++c) {
        const double mu = mus_[j][c], sigma = sigmas_[j][c];
        if (dom.kind == Domain::Kind::kContinuous) {
          const double z = (x[j] - mu) / sigma;
          terms[c] += -0.5 * z * z - kLogSqrt2Pi - std::log(sigma) - log_accept[j][c];
        } else {
          terms[c] += LogGaussMass((lo - mu) / sigma, (hi - mu) / sigma) - log_accept[j][c];
        }
      }
    }
    const double top = *std::max_element(terms.begin(), terms.end());
    if (!std::isfinite(top)) {
      out.push_back(top);
      continue;
    }
    double sum = 0;
    for (double t : terms) sum += std::exp(t - top);
    out.push_back(top + std::log(sum));
  }
  return out;
}

}  // namespace krige::tuners::tpe
