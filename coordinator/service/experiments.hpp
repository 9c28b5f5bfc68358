// ExperimentService over the repositories: what the REST API calls.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <vector>

#include "krige/service/experiment_service.hpp"
#include "krige/storage/repositories.hpp"
#include "scheduler.hpp"

namespace krige::service {

class StoredExperimentService : public ExperimentService {
 public:
  // on_created: told the id of every new experiment (the scheduler starts serving it).
  // datasets: resolves "name:" / checks "sha256:" datasets in new specs; may be null (then
  // such specs are stored as they are). workers: tells running experiments that no connected
  // worker can run (Experiment::waiting); may be null.
  StoredExperimentService(storage::ExperimentRepository& experiments,
                          storage::TrialRepository& trials,
                          std::function<void(std::int64_t)> on_created,
                          storage::DatasetRepository* datasets = nullptr,
                          storage::WorkerRepository* workers = nullptr);

  // Where Control and Delete go: the scheduler thread (SchedulerLoop::PostControl), which
  // applies them to the store and to its memory at once. Without one they are kUnavailable.
  using ControlFn = std::function<std::future<void>(std::int64_t, ExperimentControl)>;
  void SetControl(ControlFn control) { control_ = std::move(control); }
  // More checks of a new spec (the tuner registry's options); their problems join Validate's.
  using CheckFn = std::function<std::vector<FieldProblem>(const ExperimentSpec&)>;
  void SetCheck(CheckFn check) { check_ = std::move(check); }

  Experiment Create(const ExperimentSpec& spec) override;
  ExperimentPage List(const ExperimentQuery& query) override;
  Experiment Get(std::int64_t id) override;
  TrialPage Trials(std::int64_t experiment_id, const TrialQuery& query) override;
  std::optional<std::string> TrialsVersion(std::int64_t experiment_id) override;
  std::optional<Trial> Best(std::int64_t experiment_id) override;
  Trial GetTrial(std::int64_t trial_id) override;
  Experiment Control(std::int64_t id, ExperimentAction action) override;
  void Delete(std::int64_t id) override;
  bool Healthy() override;

 private:
  void RunControl(std::int64_t id, ExperimentControl action);

  storage::ExperimentRepository& experiments_;
  storage::TrialRepository& trials_;
  std::function<void(std::int64_t)> on_created_;
  storage::DatasetRepository* datasets_;
  ControlFn control_;
  CheckFn check_;
  storage::WorkerRepository* workers_;
  // Sets Experiment::waiting on the running ones, from one read of the alive workers.
  void NoteWaiting(std::vector<Experiment*> experiments);
};

// Why no connected worker can run `experiment` ("" when one can), given the alive workers.
std::string WaitingReason(const Experiment& experiment,
                          const std::vector<storage::WorkerInfo>& alive);

}  // namespace krige::service
