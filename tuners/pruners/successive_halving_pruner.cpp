// asha: asynchronous successive halving (Optuna's SuccessiveHalvingPruner); hyperband: ASHA
// brackets with different early-stopping rates (Optuna's HyperbandPruner), a trial's bracket
// fixed by a CRC-32 of "<experiment>_<number>".
//
// Optuna keeps each trial's rung values as attributes written when it is checked; here they
// are recomputed from the reported curve: a trial holds rung r with its value at the first
// reported step >= the rung's promotion step. This equals Optuna's record when each report
// crosses at most one promotion step (steps reported one by one, as folds are).
#include <boost/crc.hpp>

#include <algorithm>
#include <cmath>

#include "pruners/pruners.hpp"

namespace krige::tuners {
namespace {

struct HalvingRule {
  long long min_resource = 1;
  long long reduction_factor = 4;
  int min_early_stopping_rate = 0;
  int bootstrap_count = 0;

  double PromotionStep(int rung) const {
    return static_cast<double>(min_resource) *
           std::pow(static_cast<double>(reduction_factor), min_early_stopping_rate + rung);
  }

  // The rungs `t` holds: (rung -> its value there).
  std::vector<double> Rungs(const TrialCurve& t) const {
    std::vector<double> out;
    if (t.values.empty()) return out;
    const int last = t.values.rbegin()->first;
    int previous = -1;  // the step reported before the last one
    if (t.values.size() > 1) previous = std::prev(t.values.end(), 2)->first;
    for (int rung = 0; rung < 64; ++rung) {
      const double promotion = PromotionStep(rung);
      if (promotion > last) break;
      // A pruned trial stopped at the first rung its last report reached.
      if (t.state == TrialCurve::State::kPruned && promotion > previous && !out.empty() &&
          PromotionStep(rung - 1) > previous)
        break;
      const auto at = t.values.lower_bound(static_cast<int>(std::ceil(promotion)));
      out.push_back(at->second);
    }
    return out;
  }

  PruneDecision Check(const std::vector<const TrialCurve*>& others, const TrialCurve& trial,
                      Goal goal) const {
    if (trial.values.empty()) return {};
    const int step = trial.values.rbegin()->first;
    const double value = trial.values.rbegin()->second;
    // The rungs already passed: those whose promotion step an earlier report reached.
    int rung = 0;
    if (trial.values.size() > 1) {
      const int previous = std::prev(trial.values.end(), 2)->first;
      while (rung < 64 && PromotionStep(rung) <= previous) ++rung;
    }
    for (; rung < 64; ++rung) {
      const double promotion = PromotionStep(rung);
      if (step < promotion) return {};
      if (std::isnan(value)) return {true, "the reported value is NaN"};
      std::vector<double> competing;
      for (const TrialCurve* t : others) {
        const auto rungs = Rungs(*t);
        if (static_cast<int>(rungs.size()) > rung) competing.push_back(rungs[rung]);
      }
      competing.push_back(value);
      if (static_cast<int>(competing.size()) <= bootstrap_count)
        return {true, "rung " + std::to_string(rung) + " has too few trials (bootstrap)"};
      long long promotable = static_cast<long long>(competing.size()) / reduction_factor - 1;
      if (promotable == -1) promotable = 0;
      std::sort(competing.begin(), competing.end());
      const bool promoted =
          goal == Goal::kMaximize
              ? value >= competing[competing.size() - 1 - static_cast<std::size_t>(promotable)]
              : value <= competing[static_cast<std::size_t>(promotable)];
      if (!promoted) {
        char reason[160];
        std::snprintf(reason, sizeof reason,
                      "value %.6g at step %d is not in the top 1/%lld of the %zu trials at rung %d",
                      value, step, reduction_factor, competing.size(), rung);
        return {true, reason};
      }
    }
    return {};
  }
};

class AshaPruner : public Pruner {
 public:
  explicit AshaPruner(const PrunerContext& context) : goal_(context.goal) {
    rule_.min_resource = static_cast<long long>(detail::Option(context, "min_resource", 1));
    rule_.reduction_factor = static_cast<long long>(detail::Option(context, "reduction_factor", 4));
    rule_.min_early_stopping_rate =
        static_cast<int>(detail::Option(context, "min_early_stopping_rate", 0));
    rule_.bootstrap_count = static_cast<int>(detail::Option(context, "bootstrap_count", 0));
  }

  PruneDecision Check(const std::vector<TrialCurve>& others,
                      const TrialCurve& trial) const override {
    std::vector<const TrialCurve*> all;
    for (const auto& t : others) all.push_back(&t);
    return rule_.Check(all, trial, goal_);
  }

 private:
  Goal goal_;
  HalvingRule rule_;
};

class HyperbandPruner : public Pruner {
 public:
  explicit HyperbandPruner(const PrunerContext& context)
      : goal_(context.goal),
        experiment_(context.experiment),
        min_resource_(static_cast<long long>(detail::Option(context, "min_resource", 1))),
        max_resource_(
            static_cast<long long>(detail::Option(context, "max_resource", context.steps))),
        reduction_factor_(static_cast<long long>(detail::Option(context, "reduction_factor", 3))),
        bootstrap_count_(static_cast<int>(detail::Option(context, "bootstrap_count", 0))) {}

  PruneDecision Check(const std::vector<TrialCurve>& others,
                      const TrialCurve& trial) const override {
    long long max_resource = max_resource_;
    if (max_resource <= 0) {
      // As Optuna's "auto": one more than the last step of any completed trial.
      for (const auto& t : others)
        if (t.state == TrialCurve::State::kCompleted && !t.values.empty())
          max_resource = std::max<long long>(max_resource, t.values.rbegin()->first + 1);
      if (max_resource <= 0) return {};
    }
    const int brackets =
        static_cast<int>(std::floor(std::log(static_cast<double>(max_resource) / min_resource_) /
                                    std::log(static_cast<double>(reduction_factor_)))) +
        1;
    if (brackets < 1) return {};
    std::vector<long long> budgets;
    long long total = 0;
    for (int b = 0; b < brackets; ++b) {
      const int s = brackets - 1 - b;
      budgets.push_back(static_cast<long long>(
          std::ceil(brackets * std::pow(static_cast<double>(reduction_factor_), s) / (s + 1))));
      total += budgets.back();
    }
    const auto bracket_of = [&](int number) {
      const std::string key = experiment_ + "_" + std::to_string(number);
      boost::crc_32_type crc;
      crc.process_bytes(key.data(), key.size());
      long long n = static_cast<long long>(crc.checksum() % static_cast<unsigned long long>(total));
      for (int b = 0; b < brackets; ++b) {
        n -= budgets[b];
        if (n < 0) return b;
      }
      return brackets - 1;
    };
    const int bracket = bracket_of(trial.number);
    std::vector<const TrialCurve*> same;
    for (const auto& t : others)
      if (bracket_of(t.number) == bracket) same.push_back(&t);
    HalvingRule rule;
    rule.min_resource = min_resource_;
    rule.reduction_factor = reduction_factor_;
    rule.min_early_stopping_rate = bracket;
    rule.bootstrap_count = bootstrap_count_;
    PruneDecision decision = rule.Check(same, trial, goal_);
    if (decision.prune)
      decision.reason = "bracket " + std::to_string(bracket) + ": " + decision.reason;
    return decision;
  }

 private:
  Goal goal_;
  std::string experiment_;
  long long min_resource_, max_resource_, reduction_factor_;
  int bootstrap_count_;
};

}  // namespace

std::unique_ptr<Pruner> MakeAshaPruner(const PrunerContext& context) {
  return std::make_unique<AshaPruner>(context);
}

std::unique_ptr<Pruner> MakeHyperbandPruner(const PrunerContext& context) {
  return std::make_unique<HyperbandPruner>(context);
}

}  // namespace krige::tuners
