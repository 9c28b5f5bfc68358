// Trials and experiments as the store, the API and the SDK see them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "krige/params.hpp"
#include "krige/spec.hpp"

namespace krige {

enum class TrialState { kQueued, kRunning, kCompleted, kFailed, kPruned };
std::string_view TrialStateName(TrialState state);
TrialState TrialStateFromName(std::string_view name);  // throws Error(kInvalidArgument)

// Scores of one cross-validation fold (or one reported step of a command).
struct StepScores {
  int step = 0;
  std::map<std::string, double> values;
};

struct Trial {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  int number = 0;  // 0-based, dense per experiment
  Params params;
  TrialState state = TrialState::kQueued;
  int attempt = 1;
  std::string worker;
  std::optional<double> value;            // the objective
  std::map<std::string, double> metrics;  // final metrics (means over folds)
  std::vector<StepScores> steps;          // per fold / per step
  std::string error;
  std::string created_at;  // ISO 8601, UTC
  std::string started_at;
  std::string finished_at;
};

enum class ExperimentState { kRunning, kPaused, kCompleted, kStopped, kFailed };
std::string_view ExperimentStateName(ExperimentState state);
ExperimentState ExperimentStateFromName(std::string_view name);

struct TrialCounts {
  int queued = 0, running = 0, completed = 0, failed = 0, pruned = 0;
  int total() const { return queued + running + completed + failed + pruned; }
};

struct Experiment {
  std::int64_t id = 0;
  ExperimentSpec spec;
  ExperimentState state = ExperimentState::kRunning;
  TrialCounts counts;
  std::optional<Trial> best;
  std::string created_at;
  std::string finished_at;
  // Why the experiment failed (state failed), e.g. the error of trials that all failed; "".
  std::string error;
  // A running experiment that no connected worker can run says why here ("waiting for a
  // worker that runs function:train ..."); "" otherwise.
  std::string waiting;
};

}  // namespace krige
