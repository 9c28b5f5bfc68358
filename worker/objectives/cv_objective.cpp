#include "objectives/cv_objective.hpp"

#include "krige/training/cross_validation.hpp"

namespace krige::objectives {
namespace {

// The local file CrossValidate reads for the trial's dataset.
std::string LocalDataset(const TrialContext& trial, DatasetCache* datasets) {
  const std::string& dataset = trial.training.dataset;
  if (dataset.rfind("sha256:", 0) == 0) {
    if (!datasets)
      throw Error(ErrorCode::kFailedPrecondition,
                  "this worker has no dataset cache for " + dataset);
    return datasets->Path(trial.api_url, dataset.substr(7), trial.dataset_capability);
  }
  if (dataset.rfind("name:", 0) == 0)
    throw Error(ErrorCode::kInvalidArgument,
                "dataset " + dataset +
                    " reached the worker unresolved (the server resolves "
                    "name: to sha256: when the experiment is created)",
                "training.dataset");
  return dataset;
}

}  // namespace

ObjectiveFn MakeCvObjective(std::shared_ptr<DatasetCache> datasets) {
  return [datasets](const TrialContext& trial) {
    if (trial.training.kind != "cv")
      throw Error(ErrorCode::kInvalidArgument,
                  "this worker cannot run training kind \"" + trial.training.kind + "\"");
    TrainingSpec training = trial.training;
    training.dataset = LocalDataset(trial, datasets.get());
    const auto outcome = training::CrossValidate(
        training, trial.params, trial.objective.metric, [&](const StepScores& fold) {
          trial.Report(fold);
          // Between folds is where a pruned trial can stop.
          if (trial.ShouldStop()) throw Error(ErrorCode::kFailedPrecondition, "stopped");
        });
    const auto it = outcome.metrics.find(trial.objective.metric);
    if (it == outcome.metrics.end())
      throw Error(ErrorCode::kInternal,
                  "the objective " + trial.objective.metric + " was not computed");
    TrialOutput out;
    out.value = it->second;
    out.metrics = outcome.metrics;
    out.steps = outcome.folds;
    return out;
  };
}

}  // namespace krige::objectives
