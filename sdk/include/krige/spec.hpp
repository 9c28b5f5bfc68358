// ExperimentSpec: what a user submits (YAML file or JSON body; the keys are the same).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "krige/error.hpp"
#include "krige/params.hpp"
#include "krige/space.hpp"

namespace krige {

enum class Goal { kMinimize, kMaximize };

struct Objective {
  std::string metric;  // e.g. "accuracy"; the value a trial is ranked by
  Goal goal = Goal::kMaximize;
};

struct TunerSpec {
  std::string name = "auto";
  std::uint64_t seed = 0;
  std::map<std::string, double> options;  // tuner-specific knobs (e.g. gp: n_initial)
};

// Early stopping (docs/tuners.md, "Pruning"). An empty name: no pruner. `options` are the
// pruner's numeric knobs (median: n_startup_trials, n_warmup_steps, interval_steps, ...).
struct PrunerSpec {
  std::string name;
  std::map<std::string, double> options;
};

// kClustering: no target is learned (the target column, if present, is not a feature).
enum class Task { kClassification, kRegression, kClustering };

// How a worker evaluates one configuration.
struct TrainingSpec {
  // "cv": built-in cross-validated training; "command": any program; "function": a C++
  // objective registered under `function` by the workers that run it (krige::Objectives).
  std::string kind = "cv";

  // kind == cv
  // a path readable by the worker, "sha256:<hex>" of an uploaded dataset, or "name:<name>" (the
  // latest upload of that name; the server turns it into sha256:<hex> when the experiment is
  // created)
  std::string dataset;
  std::string target = "target";
  Task task = Task::kClassification;
  std::string model;  // logistic_regression, ridge, ...
  int folds = 5;
  bool stratified = true;  // classification only
  int repeats = 1;
  std::uint64_t shuffle_seed = 0;
  // A column whose values name each row's fold (user-given folds; not a feature). When set,
  // folds/stratified/shuffle_seed do not split the data and repeats must be 1.
  std::string fold_column;
  std::vector<std::string> features;     // feature columns; empty: all but target and fold_column
  std::vector<std::string> categorical;  // one-hot encoded even if numeric (text columns always)
  std::string impute;  // missing values: "" (an error), "mean", "median" or "most_frequent"
  std::vector<std::string> preprocessing = {"standardize"};
  std::vector<std::string> metrics;  // reported besides the objective
  Params fixed;                      // hyperparameters not searched
  // Fidelity for pruning: "n_estimators" (xgboost) trains every fold's model in lockstep and
  // reports the mean held-out score every `report_every` boosting rounds (step = rounds done)
  // instead of one step per fold. Empty: steps are folds.
  std::string resource;
  int report_every = 10;

  // kind == command
  std::vector<std::string> command;
  double timeout_seconds = 0;  // 0: no limit

  // kind == function
  std::string function;  // the name workers registered the objective under
};

// What a worker must serve to run trials of `training`, as workers list it at HELLO: "cv",
// "command", or "function:<name>".
std::string ServedKind(const TrainingSpec& training);

struct ExperimentSpec {
  std::string name;
  Objective objective;
  TunerSpec tuner;
  PrunerSpec pruner;
  int max_trials = 20;
  int parallelism = 1;
  int max_attempts = 3;  // a trial whose worker is lost is retried up to this many attempts
  // This many failed trials before any trial succeeds fail the experiment (state failed, with
  // the trials' error) instead of burning the budget on a deterministic failure; 0: never.
  int max_failed_trials = 5;
  SearchSpace space;
  TrainingSpec training;
};

// Every problem in the spec, each with its field path; empty when the spec is valid.
std::vector<FieldProblem> Validate(const ExperimentSpec& spec);

// The names in `space` and `training.params` that the spec's built-in model (kind cv) does not
// take, each at its field path ("space.gama": "logistic_regression has no hyperparameter
// 'gama' (it has C, penalty, ...)"); empty for other kinds and unknown models (Validate reports
// those). The server refuses such specs at submission (they would fail every trial); it is
// apart from Validate so that a spec's structure can be checked on its own.
std::vector<FieldProblem> CheckModelHyperparameters(const ExperimentSpec& spec);

// Names known to the built-in worker (used by validation and the worker alike).
const std::vector<std::string>& KnownModels();
// The hyperparameters built-in model `model` takes (scikit-learn's / XGBoost's names), or
// nullptr for an unknown model. The one list: validation rejects other names at submission,
// and the trainers in worker/training read only these (tests check both directions).
const std::vector<std::string>* ModelHyperparameters(const std::string& model);
const std::vector<std::string>& KnownMetrics();
// The pruners krige ships (tuners/pruners), and the problems of a pruner spec (field paths
// "pruner.<option>"); `steps` is the number of steps a full trial reports (0: not known).
const std::vector<std::string>& KnownPruners();
std::vector<FieldProblem> ValidatePruner(const PrunerSpec& pruner, int steps);
// True when a larger value of `metric` is better.
bool MetricIsGreaterBetter(const std::string& metric);

}  // namespace krige
