// folds: cross-validation pruning. A cv trial's objective is the mean of its fold scores, so
// after k of n folds its final value is at most (sum of its k scores + an optimistic score
// for each remaining fold) / n. When even that cannot beat the best completed trial, the
// remaining folds cannot change the outcome: prune.
//
// The optimistic score of a remaining fold (docs/tuners.md, "Pruning"):
//   - `bound` when given, else the metric's own bound (accuracy <= 1, rmse >= 0): never
//     prunes a trial that could still win (exact, no assumption beyond the bound);
//   - with best_seen = 1: the best score any trial of the experiment reported at that fold
//     (the folds are the same split for every trial), falling back to the bound. Tighter,
//     and assumes no trial beats every earlier one on a fold it has not run yet.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pruners/pruners.hpp"

namespace krige::tuners {
namespace {

class FoldsPruner : public Pruner {
 public:
  explicit FoldsPruner(const PrunerContext& context)
      : goal_(context.goal),
        steps_(context.steps),
        n_startup_trials_(static_cast<int>(detail::Option(context, "n_startup_trials", 1))),
        min_steps_(static_cast<int>(detail::Option(context, "min_steps", 1))),
        best_seen_(detail::Option(context, "best_seen", 0) != 0) {
    const auto it = context.options.find("bound");
    if (it != context.options.end()) {
      bound_ = it->second;
    } else {
      bound_ = context.metric_bound;
    }
  }

  PruneDecision Check(const std::vector<TrialCurve>& others,
                      const TrialCurve& trial) const override {
    const bool maximize = goal_ == Goal::kMaximize;
    const auto better = [maximize](double a, double b) { return maximize ? a > b : a < b; };
    int n = steps_;
    std::optional<double> best;
    int completed = 0;
    for (const auto& t : others) {
      if (t.state != TrialCurve::State::kCompleted || !t.final_value) continue;
      ++completed;
      if (!best || better(*t.final_value, *best)) best = *t.final_value;
      if (steps_ <= 0 && !t.values.empty()) n = std::max(n, t.values.rbegin()->first + 1);
    }
    if (!best || completed < n_startup_trials_ || n <= 0) return {};
    const int k = static_cast<int>(trial.values.size());
    if (k < min_steps_ || k >= n) return {};

    double sum = 0;
    for (const auto& [step, v] : trial.values) {
      if (std::isnan(v)) return {true, "a reported value is NaN"};
      sum += v;
    }
    // The best score reported at each step by any trial, and at any step.
    std::map<int, double> best_at;
    std::optional<double> best_any;
    for (const auto& t : others)
      for (const auto& [step, v] : t.values) {
        if (std::isnan(v)) continue;
        const auto it = best_at.find(step);
        if (it == best_at.end() || better(v, it->second)) best_at[step] = v;
        if (!best_any || better(v, *best_any)) best_any = v;
      }
    double optimistic = sum;
    for (int step = 0; step < n; ++step) {
      if (trial.values.count(step)) continue;
      std::optional<double> u;
      if (best_seen_) {
        const auto it = best_at.find(step);
        if (it != best_at.end()) u = it->second;
      }
      if (!u) u = bound_;
      if (!u) u = best_any;  // no bound known: the best score ever reported
      if (!u) return {};
      optimistic += *u;
    }
    optimistic /= n;
    if (!better(*best, optimistic) || optimistic == *best) return {};
    char reason[200];
    std::snprintf(reason, sizeof reason,
                  "after %d of %d folds the best possible mean %.6g cannot beat the best trial's "
                  "%.6g",
                  k, n, optimistic, *best);
    return {true, reason};
  }

 private:
  Goal goal_;
  int steps_;
  int n_startup_trials_;
  int min_steps_;
  bool best_seen_;
  std::optional<double> bound_;
};

}  // namespace

std::unique_ptr<Pruner> MakeFoldsPruner(const PrunerContext& context) {
  return std::make_unique<FoldsPruner>(context);
}

}  // namespace krige::tuners
