#include "objectives/cv_objective.hpp"

#include "krige/training/cross_validation.hpp"

namespace krige::objectives {

ObjectiveFn MakeCvObjective() {
  return [](const TrialContext& trial) {
    if (trial.training.kind != "cv")
      throw Error(ErrorCode::kInvalidArgument,
                  "this worker cannot run training kind \"" + trial.training.kind + "\"");
    const auto outcome =
        training::CrossValidate(trial.training, trial.params, trial.objective.metric,
                                [&](const StepScores& fold) {
                                  trial.Report(fold);
                                  // Between folds is where a pruned trial can stop.
                                  if (trial.ShouldStop())
                                    throw Error(ErrorCode::kFailedPrecondition, "stopped");
                                });
    const auto it = outcome.metrics.find(trial.objective.metric);
    if (it == outcome.metrics.end())
      throw Error(ErrorCode::kInternal, "the objective " + trial.objective.metric +
                                            " was not computed");
    TrialOutput out;
    out.value = it->second;
    out.metrics = outcome.metrics;
    out.steps = outcome.folds;
    return out;
  };
}

}  // namespace krige::objectives
