#include "space_encoder/space_encoder.hpp"

#include <algorithm>
#include <cmath>

namespace krige::tuners {
namespace {

constexpr double kNumericFiller = 0.5;

double Clamp01(double x) {
  return std::isfinite(x) ? std::min(1.0, std::max(0.0, x)) : 0.5;
}

bool Binned(const ParamSpec& p) {
  return p.type == ParamType::kInt || (p.type == ParamType::kFloat && p.step > 0);
}

double Step(const ParamSpec& p) {
  return p.step > 0 ? p.step : 1.0;
}

// Number of admissible values of a binned parameter.
std::int64_t BinCount(const ParamSpec& p) {
  return static_cast<std::int64_t>(std::floor((p.high - p.low) / Step(p) + 1e-9)) + 1;
}

// The numeric axis [lo, hi] (in log space for log parameters) that t in [0,1] spans. Binned
// parameters extend half a step beyond each end so every value owns an equal-width bin.
void Axis(const ParamSpec& p, double& lo, double& hi) {
  lo = p.low;
  hi = p.high;
  if (Binned(p)) {
    const double half = 0.5 * Step(p);
    hi = p.low + (BinCount(p) - 1) * Step(p);
    lo -= half;
    hi += half;
    if (p.log) lo = std::max(lo, 0.5 * p.low);  // stays > 0
  }
  if (p.log) {
    lo = std::log(lo);
    hi = std::log(hi);
  }
}

std::size_t ArgMax(const std::vector<double>& x, std::size_t offset, std::size_t width) {
  std::size_t best = 0;
  for (std::size_t j = 1; j < width; ++j)
    if (x[offset + j] > x[offset + best]) best = j;
  return best;
}

std::size_t ChoiceIndex(const ParamSpec& p, const ParamValue& v) {
  for (std::size_t j = 0; j < p.choices.size(); ++j) {
    const auto& c = p.choices[j];
    if (c == v || (IsNumeric(c) && IsNumeric(v) && AsDouble(c) == AsDouble(v))) return j;
  }
  return p.choices.size();
}

}  // namespace

SpaceEncoder::SpaceEncoder(SearchSpace space) : space_(std::move(space)) {
  const auto& ps = space_.params();
  for (std::size_t i = 0; i < ps.size(); ++i) {
    Block b;
    b.param = i;
    b.offset = dims_;
    b.width = ps[i].type == ParamType::kCategorical ? ps[i].choices.size() : 1;
    b.discrete = ps[i].type == ParamType::kCategorical || Binned(ps[i]);
    dims_ += b.width;
    blocks_.push_back(b);
  }
}

ParamValue SpaceEncoder::NumericAt(const ParamSpec& p, double t) {
  double lo, hi;
  Axis(p, lo, hi);
  double v = lo + Clamp01(t) * (hi - lo);
  if (p.log) v = std::exp(v);
  if (Binned(p)) {
    auto k = static_cast<std::int64_t>(std::llround((v - p.low) / Step(p)));
    k = std::min(std::max<std::int64_t>(k, 0), BinCount(p) - 1);
    if (p.type == ParamType::kInt)
      return static_cast<std::int64_t>(std::llround(p.low)) +
             k * static_cast<std::int64_t>(Step(p));
    return std::min(p.high, p.low + k * p.step);
  }
  return std::min(p.high, std::max(p.low, v));
}

double SpaceEncoder::NumericPosition(const ParamSpec& p, double value) {
  double lo, hi;
  Axis(p, lo, hi);
  double v = p.log ? std::log(std::max(value, 1e-300)) : value;
  return hi > lo ? Clamp01((v - lo) / (hi - lo)) : 0.5;
}

std::vector<double> SpaceEncoder::Encode(const Params& params) const {
  std::vector<double> x(dims_, 0.0);
  const auto& ps = space_.params();
  for (const auto& b : blocks_) {
    const ParamSpec& p = ps[b.param];
    const auto it = params.find(p.name);
    const bool active = it != params.end() && space_.IsActive(p, params);
    if (p.type == ParamType::kCategorical) {
      if (!active) continue;  // all-zero one-hot
      const std::size_t j = ChoiceIndex(p, it->second);
      if (j < b.width) x[b.offset + j] = 1.0;
    } else {
      x[b.offset] = active && IsNumeric(it->second) ? NumericPosition(p, AsDouble(it->second))
                                                    : kNumericFiller;
    }
  }
  return x;
}

Params SpaceEncoder::Decode(const std::vector<double>& x) const {
  Params params;
  const auto& ps = space_.params();
  // Space order puts parents first, so activity is decided on already-decoded values.
  for (const auto& b : blocks_) {
    const ParamSpec& p = ps[b.param];
    if (!space_.IsActive(p, params)) continue;
    if (p.type == ParamType::kCategorical)
      params[p.name] = p.choices[ArgMax(x, b.offset, b.width)];
    else
      params[p.name] = NumericAt(p, x[b.offset]);
  }
  return params;
}

Params SpaceEncoder::DecodeUnit(const std::vector<double>& u) const {
  Params params;
  const auto& ps = space_.params();
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const ParamSpec& p = ps[i];
    if (!space_.IsActive(p, params)) continue;
    const double t = Clamp01(u[i]);
    if (p.type == ParamType::kCategorical) {
      const auto k = p.choices.size();
      params[p.name] = p.choices[std::min(k - 1, static_cast<std::size_t>(t * k))];
    } else {
      params[p.name] = NumericAt(p, t);
    }
  }
  return params;
}

}  // namespace krige::tuners
