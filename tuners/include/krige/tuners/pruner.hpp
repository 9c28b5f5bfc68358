// Pruners stop unpromising trials early: pure functions of (spec, the experiment's reported
// steps, the trial's own steps) -> continue or prune. Like the tuners: no clock, no I/O, no
// threads, no state between calls, so a restarted coordinator decides as before.
//
// Semantics follow Optuna's pruners of the same names (median, percentile, asha =
// SuccessiveHalvingPruner, hyperband); `folds` is krige's own rule for cross-validation.
// docs/tuners.md ("Pruning") states each rule and its assumptions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/spec.hpp"

namespace krige::tuners {

// One trial's reported objective values, by step (fold index, boosting round, epoch).
struct TrialCurve {
  enum class State { kRunning, kCompleted, kPruned };
  int number = 0;
  State state = State::kRunning;
  std::map<int, double> values;
  std::optional<double> final_value;  // completed trials: the objective (mean over folds)
};

struct PrunerContext {
  Goal goal = Goal::kMaximize;
  std::map<std::string, double> options;  // validated by krige::ValidatePruner
  // Hashed with a trial's number to fix its Hyperband bracket (Optuna hashes the study name).
  std::string experiment;
  // Steps a full trial reports (folds x repeats for cv), 0 when unknown.
  int steps = 0;
  // The best value the metric can take in the goal's direction (accuracy: 1, rmse: 0), if any.
  std::optional<double> metric_bound;
};

struct PruneDecision {
  bool prune = false;
  std::string reason;  // why, for the log and the trial's record
};

class Pruner {
 public:
  virtual ~Pruner() = default;
  // Called after `trial` reported its latest step (trial.values.rbegin()); `others` are the
  // experiment's other trials (any state) as reported so far. Never throws.
  virtual PruneDecision Check(const std::vector<TrialCurve>& others,
                              const TrialCurve& trial) const = 0;
};

using PrunerFactory = std::function<std::unique_ptr<Pruner>(const PrunerContext&)>;

class PrunerRegistry {
 public:
  void Add(const std::string& name, PrunerFactory factory);
  // Throws krige::Error(kInvalidArgument, field "pruner.name") for an unknown name.
  std::unique_ptr<Pruner> Create(const std::string& name, const PrunerContext& context) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, PrunerFactory> factories_;
};

// Every pruner krige ships: median, percentile, asha, hyperband, folds.
PrunerRegistry DefaultPruners();

// The best value `metric` can take for `goal`, when it has one (used by `folds`).
std::optional<double> MetricBound(const std::string& metric, Goal goal);

}  // namespace krige::tuners
