// median / percentile: Optuna's PercentilePruner. At the trial's latest step, compare its best
// value so far with the given percentile of the completed trials' values at the same step.
#include <algorithm>
#include <cmath>
#include <limits>

#include "pruners/pruners.hpp"

namespace krige::tuners {
namespace detail {

double Option(const PrunerContext& context, const char* key, double fallback) {
  const auto it = context.options.find(key);
  return it == context.options.end() ? fallback : it->second;
}

double NanPercentile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double index = q / 100.0 * static_cast<double>(values.size() - 1);
  const double below = std::floor(index);
  const auto lo = static_cast<std::size_t>(below);
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double t = index - below;
  const double a = values[lo], b = values[hi];
  // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

}  // namespace detail

namespace {

class PercentilePruner : public Pruner {
 public:
  PercentilePruner(const PrunerContext& context, double percentile)
      : goal_(context.goal),
        percentile_(percentile),
        n_startup_trials_(static_cast<int>(detail::Option(context, "n_startup_trials", 5))),
        n_warmup_steps_(static_cast<int>(detail::Option(context, "n_warmup_steps", 0))),
        interval_steps_(static_cast<int>(detail::Option(context, "interval_steps", 1))),
        n_min_trials_(static_cast<int>(detail::Option(context, "n_min_trials", 1))) {}

  PruneDecision Check(const std::vector<TrialCurve>& others,
                      const TrialCurve& trial) const override {
    std::vector<const TrialCurve*> completed;
    for (const auto& t : others)
      if (t.state == TrialCurve::State::kCompleted) completed.push_back(&t);
    if (completed.empty() || static_cast<int>(completed.size()) < n_startup_trials_) return {};
    if (trial.values.empty()) return {};
    const int step = trial.values.rbegin()->first;
    if (step < n_warmup_steps_) return {};
    // Only the first report at or after each pruning step (warm-up + k * interval) is checked.
    const int nearest_lower =
        (step - n_warmup_steps_) / interval_steps_ * interval_steps_ + n_warmup_steps_;
    int second_last = -1;
    for (const auto& [s, v] : trial.values)
      if (s > second_last && s != step) second_last = s;
    if (!(second_last < nearest_lower)) return {};

    const bool maximize = goal_ == Goal::kMaximize;
    double best = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [s, v] : trial.values) {
      if (std::isnan(v)) continue;
      if (std::isnan(best) || (maximize ? v > best : v < best)) best = v;
    }
    if (std::isnan(best)) return {true, "every reported value is NaN"};

    std::vector<double> at_step;
    for (const TrialCurve* t : completed) {
      const auto it = t->values.find(step);
      if (it != t->values.end()) at_step.push_back(it->second);
    }
    if (static_cast<int>(at_step.size()) < n_min_trials_) return {};
    const double p = detail::NanPercentile(at_step, maximize ? 100.0 - percentile_ : percentile_);
    if (std::isnan(p)) return {};
    const bool prune = maximize ? best < p : best > p;
    if (!prune) return {};
    char reason[160];
    std::snprintf(reason, sizeof reason,
                  "best value %.6g by step %d is worse than the %g%% percentile %.6g of %zu "
                  "completed trials",
                  best, step, percentile_, p, at_step.size());
    return {true, reason};
  }

 private:
  Goal goal_;
  double percentile_;
  int n_startup_trials_, n_warmup_steps_, interval_steps_, n_min_trials_;
};

}  // namespace

std::unique_ptr<Pruner> MakeMedianPruner(const PrunerContext& context) {
  return std::make_unique<PercentilePruner>(context, 50.0);
}

std::unique_ptr<Pruner> MakePercentilePruner(const PrunerContext& context) {
  return std::make_unique<PercentilePruner>(context, detail::Option(context, "percentile", 50));
}

}  // namespace krige::tuners
