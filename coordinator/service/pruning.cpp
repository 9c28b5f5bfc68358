#include "pruning.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace krige::service {

using State = tuners::TrialCurve::State;

struct Pruning::Curves {
  std::unique_ptr<tuners::Pruner> pruner;  // null: the experiment has no pruner
  std::string metric;
  int steps = 0;  // steps a full trial reports (cv folds x repeats), 0 when unknown
  std::map<std::int64_t, tuners::TrialCurve> trials;  // by trial id
  std::map<std::int64_t, int> attempts;               // the attempt each curve belongs to
};

Pruning::Pruning(storage::TrialRepository& trials)
    : trials_(trials), registry_(tuners::DefaultPruners()) {}

Pruning::~Pruning() = default;

void Pruning::Reset() {
  experiments_.clear();
}

void Pruning::Forget(std::int64_t experiment_id) {
  experiments_.erase(experiment_id);
}

Pruning::Curves* Pruning::Find(const Experiment& experiment) {
  const auto it = experiments_.find(experiment.id);
  if (it != experiments_.end()) return it->second.get();
  auto curves = std::make_unique<Curves>();
  const ExperimentSpec& spec = experiment.spec;
  if (!spec.pruner.name.empty()) {
    tuners::PrunerContext context;
    context.goal = spec.objective.goal;
    context.options = spec.pruner.options;
    context.experiment = spec.name;
    if (spec.training.kind == "cv" && spec.training.fold_column.empty() &&
        spec.training.resource.empty())
      context.steps = spec.training.folds * spec.training.repeats;
    context.metric_bound = tuners::MetricBound(spec.objective.metric, spec.objective.goal);
    curves->pruner = registry_.Create(spec.pruner.name, context);
    curves->steps = context.steps;
    curves->metric = spec.objective.metric;
    // What the store knows (after a restart): every trial that ran, with its reported steps.
    for (const Trial& listed : trials_.ListAll(experiment.id)) {
      if (listed.state == TrialState::kQueued || listed.state == TrialState::kFailed) continue;
      const auto t = trials_.Get(listed.id);
      if (!t) continue;
      tuners::TrialCurve& c = curves->trials[t->id];
      c.number = t->number;
      c.state = t->state == TrialState::kCompleted ? State::kCompleted
                : t->state == TrialState::kPruned  ? State::kPruned
                                                   : State::kRunning;
      if (c.state == State::kCompleted) c.final_value = t->value;
      for (const auto& s : t->steps) {
        const auto v = s.values.find(curves->metric);
        if (v != s.values.end()) c.values[s.step] = v->second;
      }
      curves->attempts[t->id] = t->attempt;
    }
  }
  Curves* out = curves.get();
  experiments_[experiment.id] = std::move(curves);
  return out;
}

void Pruning::OnAssigned(const Experiment& experiment, const Trial& trial) {
  Curves* curves = Find(experiment);
  if (!curves->pruner) return;
  tuners::TrialCurve& c = curves->trials[trial.id];
  c = tuners::TrialCurve{};
  c.number = trial.number;
  curves->attempts[trial.id] = trial.attempt;
}

std::optional<PruneOrder> Pruning::OnReport(const Experiment& experiment,
                                            const storage::TrialKey& key,
                                            const StepScores& scores) {
  Curves* curves = Find(experiment);
  if (!curves->pruner) return std::nullopt;
  const auto it = curves->trials.find(key.trial_id);
  if (it == curves->trials.end()) return std::nullopt;  // not a trial this experiment runs
  tuners::TrialCurve& trial = it->second;
  if (trial.state != State::kRunning || curves->attempts[key.trial_id] != key.attempt)
    return std::nullopt;
  const auto v = scores.values.find(curves->metric);
  if (v == scores.values.end() || !std::isfinite(v->second)) return std::nullopt;
  trial.values[scores.step] = v->second;
  // After its last step a trial has done all its work: pruning it then would save nothing and
  // turn a full evaluation into a capped one for the tuner. Its RESULT follows.
  if (curves->steps > 0 && scores.step >= curves->steps - 1) return std::nullopt;
  std::vector<tuners::TrialCurve> others;
  others.reserve(curves->trials.size());
  for (const auto& [id, c] : curves->trials)
    if (id != key.trial_id) others.push_back(c);
  const tuners::PruneDecision decision = curves->pruner->Check(others, trial);
  if (!decision.prune) return std::nullopt;
  trial.state = State::kPruned;
  PruneOrder order;
  order.key = key;
  order.step = scores.step;
  order.value = v->second;
  order.reason = "pruned at step " + std::to_string(scores.step) + " by " +
                 experiment.spec.pruner.name + ": " + decision.reason;
  return order;
}

void Pruning::OnCompleted(std::int64_t experiment_id, std::int64_t trial_id, double value,
                          const std::vector<StepScores>& steps) {
  const auto e = experiments_.find(experiment_id);
  if (e == experiments_.end() || !e->second->pruner) return;
  Curves& curves = *e->second;
  const auto it = curves.trials.find(trial_id);
  if (it == curves.trials.end()) return;
  it->second.state = State::kCompleted;
  it->second.final_value = value;
  for (const auto& s : steps) {
    const auto v = s.values.find(curves.metric);
    if (v != s.values.end() && std::isfinite(v->second)) it->second.values[s.step] = v->second;
  }
}

void Pruning::OnFailed(std::int64_t experiment_id, std::int64_t trial_id) {
  const auto e = experiments_.find(experiment_id);
  if (e == experiments_.end()) return;
  e->second->trials.erase(trial_id);
  e->second->attempts.erase(trial_id);
}

double Pruning::TunerValue(double last_value, Goal goal, const std::vector<double>& completed) {
  if (completed.empty()) return last_value;
  if (goal == Goal::kMaximize)
    return std::min(last_value, *std::max_element(completed.begin(), completed.end()));
  return std::max(last_value, *std::min_element(completed.begin(), completed.end()));
}

}  // namespace krige::service
