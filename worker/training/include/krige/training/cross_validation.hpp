// Built-in cross-validated training: load a CSV dataset, split it into folds, fit the
// preprocessing and a model on each training part and score the held-out part.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "krige/params.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige::training {

struct CvOutcome {
  std::map<std::string, double> metrics;  // mean over folds of every computed metric
  // One per fold: step = fold index (0-based; repeat r, fold f -> r*k+f), values = metric -> score.
  std::vector<StepScores> folds;
};

// Called on the calling thread as soon as each fold ends (e.g. to report it for pruning).
// An exception thrown by the callback stops the cross-validation and propagates.
using FoldCallback = std::function<void(const StepScores&)>;

// Computes `objective_metric` plus `training.metrics` on each fold of `training.dataset`.
// Model hyperparameters are `training.fixed` overlaid by `params`; randomized models are seeded
// with `training.shuffle_seed`. Folds come from `training.fold_column` when set, else from a
// seeded (stratified, repeated) k-fold split. Inside each fold, imputation (`training.impute`),
// the preprocessing steps (numeric columns) and one-hot encoding (categorical columns) are
// fitted on the training part only.
//
// `training.dataset` is a file path (absolute, or relative to the working directory); parsed
// datasets are cached by path (and modification time and size) for the life of the process,
// and each fold's encoded matrices per distinct dataset version, split and encoding (at most
// 256 MB, least recently used dropped): only the models are trained per call.
//
// Thread-safe: several slots may call it concurrently. `on_fold` may be empty.
// Throws krige::Error(kInvalidArgument) naming the problem for bad hyperparameters (unknown
// name, out of range, wrong type), a bad spec (unknown model or metric, model/task mismatch,
// folds < 2 or more folds than rows, unknown impute strategy) and bad data (missing file, ragged
// row, non-numeric cell in a numeric column, missing value without impute: the message names
// the line, row and column; missing target, feature or fold column; fewer than two classes).
// Library failures (e.g. XGBoost) throw krige::Error(kInternal) with the library's message.
CvOutcome CrossValidate(const TrainingSpec& training, const Params& params,
                        const std::string& objective_metric, const FoldCallback& on_fold);

}  // namespace krige::training
