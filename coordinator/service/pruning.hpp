// Early stopping on the scheduler thread: each stored REPORT goes to the experiment's pruner
// (tuners/pruners, picked by the spec's `pruner.name`); a trial it stops is recorded `pruned`
// and its worker told PRUNE. Owned by the Scheduler and, like it, single-threaded.
//
// The curves (each trial's reported objective by step) are kept per experiment and rebuilt
// from the store the first time an experiment is seen (after a restart, or after Reset()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/storage/repositories.hpp"
#include "krige/trial.hpp"
#include "krige/tuners/pruner.hpp"

namespace krige::service {

// A trial to stop: record it pruned at `value` (its latest report), then tell its worker.
struct PruneOrder {
  storage::TrialKey key;
  int step = 0;
  double value = 0;
  std::string reason;
};

class Pruning {
 public:
  explicit Pruning(storage::TrialRepository& trials);
  ~Pruning();

  // Forgets every curve; the next use of an experiment reloads it from the store.
  void Reset();
  // The experiment is no longer served.
  void Forget(std::int64_t experiment_id);
  // Attempt `trial.attempt` of `trial` starts (a requeued trial starts its curve again).
  void OnAssigned(const Experiment& experiment, const Trial& trial);
  // A stored REPORT of the running attempt `key` of a trial of `experiment`: an order when
  // the pruner stops it now. Throws krige::Error when the store cannot be read.
  std::optional<PruneOrder> OnReport(const Experiment& experiment, const storage::TrialKey& key,
                                     const StepScores& scores);
  // A completed trial, with every step it reported (RESULT), or a failed one.
  void OnCompleted(std::int64_t experiment_id, std::int64_t trial_id, double value,
                   const std::vector<StepScores>& steps);
  void OnFailed(std::int64_t experiment_id, std::int64_t trial_id);

  // What a tuner is told of a pruned trial: its last reported value, but never better than
  // the best completed one (a trial the pruner stopped must not become the GP's incumbent).
  static double TunerValue(double last_value, Goal goal, const std::vector<double>& completed);

 private:
  struct Curves;
  Curves* Find(const Experiment& experiment);

  storage::TrialRepository& trials_;
  tuners::PrunerRegistry registry_;
  std::map<std::int64_t, std::unique_ptr<Curves>> experiments_;
};

}  // namespace krige::service
