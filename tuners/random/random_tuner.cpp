#include "random/random_tuner.hpp"

#include <cmath>
#include <random>
#include <set>

namespace krige::tuners {
namespace {

ParamValue Draw(const ParamSpec& p, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  switch (p.type) {
    case ParamType::kCategorical: {
      std::uniform_int_distribution<std::size_t> pick(0, p.choices.size() - 1);
      return p.choices[pick(rng)];
    }
    case ParamType::kInt: {
      const double step = p.step > 0 ? p.step : 1;
      const auto count = static_cast<std::int64_t>(std::floor((p.high - p.low) / step)) + 1;
      if (p.log) {
        // Log-uniform over [low - 0.5, high + 0.5] then snapped, as Optuna does for log ints.
        const double lo = std::log(std::max(p.low - 0.5, 1e-12)), hi = std::log(p.high + 0.5);
        const double x = std::exp(lo + unit(rng) * (hi - lo));
        auto k = static_cast<std::int64_t>(std::llround((x - p.low) / step));
        k = std::min(std::max<std::int64_t>(k, 0), count - 1);
        return static_cast<std::int64_t>(p.low + k * step);
      }
      std::uniform_int_distribution<std::int64_t> pick(0, count - 1);
      return static_cast<std::int64_t>(p.low + pick(rng) * step);
    }
    case ParamType::kFloat: {
      const double u = unit(rng);
      if (p.log) return std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)));
      double x = p.low + u * (p.high - p.low);
      if (p.step > 0) x = std::min(p.high, p.low + std::round((x - p.low) / p.step) * p.step);
      return x;
    }
  }
  return 0.0;
}

class RandomTuner : public Tuner {
 public:
  explicit RandomTuner(TunerContext context)
      : context_(std::move(context)), may_repeat_(MayRepeat(context_.space)) {}

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    return SuggestDistinct(
        history, n, 64,
        [&](std::uint64_t k, std::uint64_t redraw) {
          return SampleUniform(context_.space, DeriveSeed(context_.seed, k + (redraw << 40)));
        },
        may_repeat_);
  }
  bool ReadsHistory() const override { return may_repeat_; }

 private:
  TunerContext context_;
  bool may_repeat_;
};

}  // namespace

std::vector<Suggestion> SuggestDistinct(
    const History& history, int n, int max_draws,
    const std::function<Params(std::uint64_t k, std::uint64_t redraw)>& draw, bool may_repeat) {
  std::vector<Suggestion> out;
  std::uint64_t k = history.size();
  if (!may_repeat) {
    for (int i = 0; i < n; ++i, ++k) out.push_back({draw(k, 0), ""});
    return out;
  }
  std::set<Params> taken(history.pending.begin(), history.pending.end());
  for (const auto& o : history.completed) taken.insert(o.params);
  taken.insert(history.failed.begin(), history.failed.end());
  for (int i = 0; i < n; ++i, ++k) {
    Params params = draw(k, 0);
    for (int redraw = 1; taken.count(params) && redraw < max_draws; ++redraw)
      params = draw(k, static_cast<std::uint64_t>(redraw));
    if (taken.count(params)) break;  // the space looks exhausted
    taken.insert(params);
    out.push_back({std::move(params), ""});
  }
  return out;
}

bool MayRepeat(const SearchSpace& space) {
  for (const auto& p : space.params())
    if (p.type == ParamType::kFloat && p.step <= 0 && !p.when) return false;
  return true;
}

Params SampleUniform(const SearchSpace& space, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Params params;
  // Parents come before children in space order, so activity is decided on drawn values.
  for (const auto& p : space.params()) {
    const ParamValue v = Draw(p, rng);  // drawn even when inactive: keeps streams aligned
    if (space.IsActive(p, params)) params[p.name] = v;
  }
  return params;
}

std::unique_ptr<Tuner> MakeRandomTuner(const TunerContext& context) {
  return std::make_unique<RandomTuner>(context);
}

}  // namespace krige::tuners
