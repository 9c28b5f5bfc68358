#include "experiments.hpp"

#include <algorithm>
#include <future>
#include <set>

#include "datasets.hpp"

namespace krige::service {

StoredExperimentService::StoredExperimentService(storage::ExperimentRepository& experiments,
                                                 storage::TrialRepository& trials,
                                                 std::function<void(std::int64_t)> on_created,
                                                 storage::DatasetRepository* datasets,
                                                 storage::WorkerRepository* workers)
    : experiments_(experiments),
      trials_(trials),
      on_created_(std::move(on_created)),
      datasets_(datasets),
      workers_(workers) {}

std::string WaitingReason(const Experiment& experiment,
                          const std::vector<storage::WorkerInfo>& alive) {
  if (experiment.state != ExperimentState::kRunning) return "";
  const std::string needed = ServedKind(experiment.spec.training);
  std::set<std::string> others;
  for (const auto& w : alive) {
    if (w.only_experiment != 0 && w.only_experiment != experiment.id) continue;  // pinned
    if (std::find(w.kinds.begin(), w.kinds.end(), needed) != w.kinds.end()) return "";
    others.insert(w.kinds.begin(), w.kinds.end());
  }
  std::string reason = "waiting for a worker that runs " + needed;
  if (needed == "command") reason += " (krige-worker --allow-commands)";
  if (others.empty())
    return reason + (alive.empty() ? "; no worker is connected"
                                   : "; each connected worker is pinned to another experiment");
  std::string list;
  for (const auto& k : others) list += (list.empty() ? "" : ", ") + k;
  return reason + "; the connected workers run " + list;
}

void StoredExperimentService::NoteWaiting(std::vector<Experiment*> experiments) {
  if (!workers_) return;
  experiments.erase(
      std::remove_if(experiments.begin(), experiments.end(),
                     [](const Experiment* e) { return e->state != ExperimentState::kRunning; }),
      experiments.end());
  if (experiments.empty()) return;
  const auto alive = workers_->ListAlive();
  for (Experiment* e : experiments) e->waiting = WaitingReason(*e, alive);
}

Experiment StoredExperimentService::Create(const ExperimentSpec& submitted) {
  auto problems = Validate(submitted);
  for (auto& p : CheckModelHyperparameters(submitted)) problems.push_back(std::move(p));
  if (check_)
    for (auto& p : check_(submitted)) problems.push_back(std::move(p));
  if (!problems.empty()) throw ValidationError(std::move(problems));
  ExperimentSpec spec = submitted;
  // Stored with the hash, so every trial of the experiment trains on the same bytes even if
  // the name is uploaded again later.
  if (datasets_) ResolveDataset(spec, *datasets_);
  Experiment e = experiments_.Create(spec);
  if (on_created_) on_created_(e.id);
  return e;
}

ExperimentPage StoredExperimentService::List(const ExperimentQuery& query) {
  ExperimentPage page = experiments_.List(query);
  std::vector<Experiment*> all;
  for (auto& e : page.experiments) all.push_back(&e);
  NoteWaiting(all);
  return page;
}

Experiment StoredExperimentService::Get(std::int64_t id) {
  auto e = experiments_.Get(id);
  if (!e) throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id), "id");
  NoteWaiting({&*e});
  return *e;
}

TrialPage StoredExperimentService::Trials(std::int64_t experiment_id, const TrialQuery& query) {
  return trials_.List(experiment_id, query);
}

std::optional<std::string> StoredExperimentService::TrialsVersion(std::int64_t experiment_id) {
  return trials_.Version(experiment_id);
}

std::optional<Trial> StoredExperimentService::Best(std::int64_t experiment_id) {
  Get(experiment_id);  // 404 for an unknown experiment, not "no best yet"
  return trials_.Best(experiment_id);
}

Trial StoredExperimentService::GetTrial(std::int64_t trial_id) {
  auto t = trials_.Get(trial_id);
  if (!t) throw Error(ErrorCode::kNotFound, "no trial " + std::to_string(trial_id), "id");
  return *t;
}

namespace {

// Long enough for a scheduler thread busy with a slow fit; a request never hangs for good.
constexpr auto kControlTimeout = std::chrono::seconds(30);

}  // namespace

void StoredExperimentService::RunControl(std::int64_t id, ExperimentControl action) {
  if (!control_) throw Error(ErrorCode::kUnavailable, "experiments cannot be controlled here");
  std::future<void> done = control_(id, action);
  if (done.wait_for(kControlTimeout) != std::future_status::ready)
    throw Error(ErrorCode::kUnavailable, "the scheduler did not answer in time; try again");
  try {
    done.get();
  } catch (const std::future_error&) {
    throw Error(ErrorCode::kUnavailable, "the server is shutting down");
  }
}

Experiment StoredExperimentService::Control(std::int64_t id, ExperimentAction action) {
  RunControl(id, action == ExperimentAction::kStop    ? ExperimentControl::kStop
                 : action == ExperimentAction::kPause ? ExperimentControl::kPause
                                                      : ExperimentControl::kResume);
  return Get(id);
}

void StoredExperimentService::Delete(std::int64_t id) {
  RunControl(id, ExperimentControl::kDelete);
}

bool StoredExperimentService::Healthy() {
  return experiments_.Ping();
}

}  // namespace krige::service
