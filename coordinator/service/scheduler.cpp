#include "scheduler.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "krige/codec.hpp"
#include "pruning.hpp"

namespace krige::service {
namespace {

// REPORTs kept in memory while the store does not answer.
constexpr std::size_t kMaxBufferedReports = 100000;
// How often the workers table learns who is alive (its last_seen; the API reads it).
constexpr std::chrono::seconds kAliveEvery{5};

// Times one store write into `stats` (seconds and rows), whether it succeeds or throws.
class WriteTimer {
 public:
  WriteTimer(SchedulerStats& stats, SchedulerStats::Write kind, std::size_t rows)
      : stats_(stats), kind_(kind), rows_(rows), start_(Clock::now()) {}
  ~WriteTimer() {
    stats_.write_seconds[kind_].Observe(
        std::chrono::duration<double>(Clock::now() - start_).count());
    stats_.write_rows[kind_].Observe(static_cast<double>(rows_));
  }

 private:
  SchedulerStats& stats_;
  SchedulerStats::Write kind_;
  std::size_t rows_;
  Clock::time_point start_;
};

}  // namespace

void SchedulerStats::Collect(metrics::Exposition& out) const {
  out.Family("krige_results_committed_total", "counter",
             "RESULTs and FAILs recorded in the store (each then ACKed)");
  out.Sample("krige_results_committed_total", {}, static_cast<double>(results_committed.load()));
  out.Family("krige_trials_assigned_total", "counter", "ASSIGNs sent to workers");
  out.Sample("krige_trials_assigned_total", {}, static_cast<double>(assigned.load()));
  out.Family("krige_workers_connected", "gauge",
             "workers the scheduler knows (heard from within the lease)");
  out.Sample("krige_workers_connected", {}, static_cast<double>(workers.load()));
  out.Family("krige_experiments_scheduled", "gauge", "running experiments the scheduler serves");
  out.Sample("krige_experiments_scheduled", {}, static_cast<double>(running_experiments.load()));
  out.Family("krige_commit_seconds", "histogram",
             "one store transaction on the scheduler's hot path, by kind of write");
  for (int k = 0; k < kWrites; ++k)
    out.Write("krige_commit_seconds", {{"kind", kWriteNames[k]}}, write_seconds[k]);
  out.Family("krige_commit_batch_rows", "histogram",
             "rows written by one such transaction, by kind of write");
  for (int k = 0; k < kWrites; ++k)
    out.Write("krige_commit_batch_rows", {{"kind", kWriteNames[k]}}, write_rows[k]);
  out.Family("krige_dispatch_seconds", "histogram",
             "from the arrival of a worker's HELLO, READY, RESULT or FAIL to each ASSIGN it "
             "let out");
  out.Write("krige_dispatch_seconds", {}, dispatch_seconds);
}

struct Scheduler::ExperimentSlot {
  Experiment experiment;
  std::unique_ptr<tuners::Tuner> tuner;
  tuners::History history;                 // completed and failed (Remember)
  std::map<std::int64_t, Params> pending;  // queued or running trials
  int running = 0;
  int queued = 0;
  int created = 0;
  bool exhausted = false;  // the tuner has nothing more to propose
  bool paused = false;     // hands out no trials; running ones are still recorded
  bool succeeded = false;  // some trial has completed
  int failures = 0;        // failed trials before any completed (max_failed_trials)
  std::string served;      // what a worker must serve to run its trials (krige::ServedKind)
};

namespace {

// Adds a finished trial to the slot's history: listed, or only counted when the tuner does
// not read it (Tuner::ReadsHistory).
template <typename Slot>
void Remember(Slot& slot, const Params& params, const std::optional<double>& value) {
  if (!slot.tuner->ReadsHistory()) {
    ++slot.history.unlisted;
  } else if (value) {
    slot.history.completed.push_back({params, *value});
  } else {
    slot.history.failed.push_back(params);
  }
}

}  // namespace

struct Scheduler::WorkerSlot {
  int slots = 0;
  std::set<std::string> kinds;       // krige::ServedKind names, from HELLO and heartbeats
  std::int64_t only_experiment = 0;  // not 0: it takes only that experiment's trials
  Clock::time_point last_seen;
  std::map<std::int64_t, Assignment> trials;  // by trial id
  int free() const { return slots - static_cast<int>(trials.size()); }
};

Scheduler::Scheduler(storage::ExperimentRepository& experiments, storage::TrialRepository& trials,
                     storage::WorkerRepository& workers, const tuners::Registry& tuners,
                     Outbox& outbox, SchedulerOptions options)
    : experiments_(experiments),
      trials_(trials),
      worker_store_(workers),
      tuners_(tuners),
      outbox_(outbox),
      options_(options),
      pruning_(std::make_unique<Pruning>(trials)) {}

Scheduler::~Scheduler() = default;

std::unique_ptr<Scheduler::ExperimentSlot> Scheduler::MakeSlot(const Experiment& experiment) const {
  auto slot = std::make_unique<ExperimentSlot>();
  slot->experiment = experiment;
  slot->served = ServedKind(experiment.spec.training);
  tuners::TunerContext context;
  context.space = experiment.spec.space;
  context.goal = experiment.spec.objective.goal;
  context.seed = experiment.spec.tuner.seed;
  context.options = experiment.spec.tuner.options;
  slot->tuner = tuners_.Create(experiment.spec.tuner.name, context);
  slot->paused = experiment.state == ExperimentState::kPaused;
  return slot;
}

std::unique_ptr<Scheduler::ExperimentSlot> Scheduler::RebuildSlot(
    const Experiment& experiment, const std::vector<Trial>& trials,
    std::vector<const Trial*>& running) const {
  auto slot = MakeSlot(experiment);
  for (const Trial& t : trials) {
    ++slot->created;
    switch (t.state) {
      case TrialState::kCompleted:
        Remember(*slot, t.params, t.value.value_or(0.0));
        slot->succeeded = true;
        break;
      case TrialState::kFailed:
        Remember(*slot, t.params, std::nullopt);
        if (t.error != kStoppedTrialError) ++slot->failures;
        break;
      case TrialState::kPruned:  // after the completed ones: see Pruning::TunerValue
        break;
      case TrialState::kQueued:
        ++slot->queued;
        slot->pending[t.id] = t.params;
        break;
      case TrialState::kRunning:
        ++slot->running;
        slot->pending[t.id] = t.params;
        running.push_back(&t);
        break;
    }
  }
  std::vector<double> values;
  for (const auto& o : slot->history.completed) values.push_back(o.value);
  for (const Trial& t : trials)
    if (t.state == TrialState::kPruned)
      Remember(*slot, t.params,
               Pruning::TunerValue(t.value.value_or(0.0), experiment.spec.objective.goal, values));
  return slot;
}

void Scheduler::AddExperiment(const Experiment& experiment) {
  if (running_.count(experiment.id)) return;
  running_[experiment.id] = MakeSlot(experiment);
}

void Scheduler::Recover(Clock::time_point now) {
  // Read everything first: a store that fails half-way leaves the current state untouched.
  std::vector<std::pair<Experiment, std::vector<Trial>>> stored;
  for (Experiment& e : experiments_.ListRunning()) {
    auto trials = trials_.ListAll(e.id);
    stored.emplace_back(std::move(e), std::move(trials));
  }
  std::map<std::int64_t, std::unique_ptr<ExperimentSlot>> running;
  std::vector<std::pair<std::string, std::pair<std::int64_t, Assignment>>> assignments;
  for (auto& [e, trials] : stored) {
    std::unique_ptr<ExperimentSlot> slot;
    std::vector<const Trial*> running_trials;
    try {
      slot = RebuildSlot(e, trials, running_trials);
    } catch (const Error& error) {
      spdlog::error("experiment {}: cannot resume: {}", e.id, error.what());
      experiments_.SetState(e.id, ExperimentState::kFailed);
      continue;
    }
    for (const Trial* t : running_trials) {
      // Its worker may still be at work: a lease it already had runs on; otherwise it gets
      // one lease, from now, to show up.
      Assignment a{t->attempt, e.id, now};
      const auto w = workers_.find(t->worker);
      if (w != workers_.end()) {
        const auto known = w->second->trials.find(t->id);
        if (known != w->second->trials.end() && known->second.attempt == t->attempt)
          a.last_listed = known->second.last_listed;
      }
      assignments.push_back({t->worker, {t->id, a}});
    }
    spdlog::info("resumed experiment {} ({}): {} trials, {} running, {} queued", e.id, e.spec.name,
                 slot->created, slot->running, slot->queued);
    running[e.id] = std::move(slot);
  }
  running_ = std::move(running);
  stored.clear();
  stored.shrink_to_fit();
  malloc_trim(0);  // give the trials read back to the system: a recovery must not leave RSS
  pruning_->Reset();
  owner_.clear();
  for (auto& [id, worker] : workers_) worker->trials.clear();
  for (const auto& [worker_id, assignment] : assignments) {
    const bool known = workers_.count(worker_id) > 0;
    WorkerSlot& w = known ? *workers_[worker_id] : TouchWorker(worker_id, 0, now);
    w.trials[assignment.first] = assignment.second;
    owner_[assignment.first] = worker_id;
  }
  in_sync_ = true;
}

void Scheduler::StoreFailed() {
  if (in_sync_)
    spdlog::warn("scheduler: a store call failed; handing out no work until it answers");
  in_sync_ = false;
}

bool Scheduler::Usable(const WorkerSlot& worker, Clock::time_point now) const {
  const auto suspect = std::min<Clock::duration>(options_.suspect_after, options_.lease * 3 / 4);
  return in_sync_ && worker.free() > 0 && now - worker.last_seen <= suspect;
}

void Scheduler::OnExperimentCreated(std::int64_t experiment_id, Clock::time_point now) {
  const auto experiment = experiments_.Get(experiment_id);
  if (!experiment || experiment->state != ExperimentState::kRunning) return;
  try {
    AddExperiment(*experiment);
  } catch (const Error& error) {
    spdlog::error("experiment {}: {}", experiment_id, error.what());
    experiments_.SetState(experiment_id, ExperimentState::kFailed);
    return;
  }
  FillAll(now);
}

Scheduler::WorkerSlot& Scheduler::TouchWorker(const std::string& id, int slots,
                                              Clock::time_point now) {
  auto& slot = workers_[id];
  if (!slot) slot = std::make_unique<WorkerSlot>();
  if (slots > 0) slot->slots = slots;
  slot->last_seen = now;
  return *slot;
}

void Scheduler::OnMessage(const std::string& worker_id, const wire::Message& message,
                          Clock::time_point now) {
  Receive(worker_id, message, now);
  Commit(now);
}

void Scheduler::Receive(const std::string& worker_id, const wire::Message& message,
                        Clock::time_point now) {
  // The slots these free up are filled at the commit: from now to then is the dispatch
  // latency.
  const bool frees = std::holds_alternative<wire::Hello>(message) ||
                     std::holds_alternative<wire::Ready>(message) ||
                     std::holds_alternative<wire::Result>(message) ||
                     std::holds_alternative<wire::Fail>(message);
  if (frees) trigger_ = now;
  Handle(worker_id, message, now);
  trigger_.reset();
}

void Scheduler::Commit(Clock::time_point now) {
  CommitFinishes();
  Place(now);
  stats_.workers = static_cast<std::int64_t>(workers_.size());
  stats_.running_experiments = static_cast<std::int64_t>(running_.size());
}

void Scheduler::Handle(const std::string& worker_id, const wire::Message& message,
                       Clock::time_point now) {
  if (const auto* hello = std::get_if<wire::Hello>(&message)) {
    WorkerSlot& w = TouchWorker(worker_id, hello->slots, now);
    w.kinds = {hello->kinds.begin(), hello->kinds.end()};
    w.only_experiment = hello->experiment;
    std::string kinds;
    for (const auto& k : w.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    spdlog::info("worker {} joined ({} slots, host {}, runs {}{})", worker_id, hello->slots,
                 hello->hostname, kinds.empty() ? "nothing" : kinds,
                 hello->experiment ? " of experiment " + std::to_string(hello->experiment) : "");
    NoteWorker({worker_id, hello->hostname, hello->slots, hello->version, hello->kinds,
                hello->experiment});
    Fill(worker_id);
  } else if (std::get_if<wire::Ready>(&message)) {
    TouchWorker(worker_id, 0, now);
    Fill(worker_id);
  } else if (const auto* beat = std::get_if<wire::Heartbeat>(&message)) {
    const bool known = workers_.count(worker_id) > 0;
    WorkerSlot& w = TouchWorker(worker_id, beat->slots, now);
    w.kinds = {beat->kinds.begin(), beat->kinds.end()};
    w.only_experiment = beat->experiment;
    if (!known) {
      spdlog::info("worker {} adopted from its heartbeat ({} slots)", worker_id, beat->slots);
      NoteWorker({worker_id, "", beat->slots, "", beat->kinds, beat->experiment});
    }
    for (const auto& ref : beat->running) {
      const auto it = w.trials.find(ref.trial_id);
      if (it != w.trials.end() && it->second.attempt == ref.attempt) {
        it->second.last_listed = now;
      } else {
        // Not this worker's (any more): a requeued attempt. Stop wasting the slot.
        outbox_.Send(worker_id, wire::Prune{ref});
      }
    }
    Fill(worker_id);
  } else if (const auto* report = std::get_if<wire::Report>(&message)) {
    TouchWorker(worker_id, 0, now);
    reports_.push_back(
        {{report->trial.trial_id, report->trial.attempt, worker_id}, report->scores});
    // A pruner should decide before the next fold, not at the next tick: store it now.
    const auto& assigned = workers_[worker_id]->trials;
    const auto a = assigned.find(report->trial.trial_id);
    if (a != assigned.end()) {
      const auto slot = running_.find(a->second.experiment_id);
      if (slot != running_.end() && !slot->second->experiment.spec.pruner.name.empty()) {
        Commit(now);  // the results before it first: the pruner compares with them
        FlushReports();
        Fill(worker_id);  // a pruned trial's slot is free again
      }
    }
  } else if (const auto* result = std::get_if<wire::Result>(&message)) {
    TouchWorker(worker_id, 0, now);
    OnResult(worker_id, *result);
  } else if (const auto* fail = std::get_if<wire::Fail>(&message)) {
    TouchWorker(worker_id, 0, now);
    OnFail(worker_id, *fail);
  } else if (std::get_if<wire::Bye>(&message)) {
    Commit(now);  // its results first: then its trials are requeued
    DropWorker(worker_id, "worker left");
    FillAll(now);
  } else {
    spdlog::warn("worker {} sent {}, which only the coordinator sends", worker_id,
                 wire::TypeName(message));
  }
}

void Scheduler::OnResult(const std::string& worker_id, const wire::Result& result) {
  // The result carries every step: the buffered reports of this attempt are redundant.
  reports_.erase(std::remove_if(reports_.begin(), reports_.end(),
                                [&](const auto& r) {
                                  return r.first.trial_id == result.trial.trial_id &&
                                         r.first.attempt == result.trial.attempt;
                                }),
                 reports_.end());
  storage::Finish finish;
  finish.key = {result.trial.trial_id, result.trial.attempt, worker_id};
  if (std::isfinite(result.value)) {
    finish.value = result.value;
    finish.metrics = result.metrics;
    finish.steps = result.steps;
  } else {
    finish.error = "the objective is not a finite number";
  }
  finishes_.push_back(std::move(finish));
  Fill(worker_id);
}

void Scheduler::OnFail(const std::string& worker_id, const wire::Fail& fail) {
  finishes_.push_back(
      {{fail.trial.trial_id, fail.trial.attempt, worker_id}, std::nullopt, {}, {}, fail.error});
  Fill(worker_id);
}

void Scheduler::CommitFinishes() {
  if (finishes_.empty()) return;
  std::vector<storage::Finish> batch;
  batch.swap(finishes_);
  std::vector<storage::RecordOutcome> outcomes;
  try {
    const WriteTimer timer(stats_, SchedulerStats::kResult, batch.size());
    outcomes = trials_.FinishAll(batch);
  } catch (const Error& error) {
    // No ACK: the workers send these results again until one comes.
    spdlog::warn("cannot record {} results yet: {}", batch.size(), error.what());
    StoreFailed();
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const storage::Finish& f = batch[i];
    const storage::RecordOutcome& outcome = outcomes[i];
    const wire::TrialRef ref{f.key.trial_id, f.key.attempt};
    // Only now, with the result durable, may the worker forget it.
    outbox_.Send(f.key.worker, wire::Ack{ref, outcome.recorded != storage::Recorded::kStale});
    if (outcome.recorded == storage::Recorded::kAccepted) {
      // A duplicate whose first record this scheduler never saw (its commit's answer was
      // lost with the connection) is applied below, as an accepted one.
      ++stats_.results_committed;
      if (f.value) {
        pruning_->OnCompleted(outcome.experiment_id, f.key.trial_id, *f.value, f.steps);
      } else {
        spdlog::info("trial {} failed: {}", f.key.trial_id, f.error);
        pruning_->OnFailed(outcome.experiment_id, f.key.trial_id);
      }
    }
    if (outcome.recorded != storage::Recorded::kStale) {
      Finished(ref, outcome, f.value, f.error);
    } else {
      Release(f.key.worker, ref);
    }
  }
}

void Scheduler::Release(const std::string& worker_id, const wire::TrialRef& ref) {
  const auto w = workers_.find(worker_id);
  if (w == workers_.end()) return;
  const auto t = w->second->trials.find(ref.trial_id);
  if (t == w->second->trials.end() || t->second.attempt != ref.attempt) return;
  w->second->trials.erase(t);
  owner_.erase(ref.trial_id);
}

void Scheduler::Finished(const wire::TrialRef& ref, const storage::RecordOutcome& outcome,
                         const std::optional<double>& value, const std::string& error) {
  const auto owner = owner_.find(ref.trial_id);
  if (outcome.recorded == storage::Recorded::kDuplicate && owner == owner_.end()) return;
  if (owner != owner_.end()) {
    const auto w = workers_.find(owner->second);
    if (w != workers_.end()) w->second->trials.erase(ref.trial_id);
    owner_.erase(owner);
  }
  const auto it = running_.find(outcome.experiment_id);
  if (it == running_.end()) return;
  ExperimentSlot& slot = *it->second;
  const auto pending = slot.pending.find(ref.trial_id);
  bool failed_now = false;
  if (pending != slot.pending.end()) {
    if (value) {
      Remember(slot, pending->second, *value);
      slot.succeeded = true;
    } else {
      Remember(slot, pending->second, std::nullopt);
      failed_now = true;
    }
    slot.pending.erase(pending);
    --slot.running;
  }
  if (outcome.experiment_finished) {
    spdlog::info("experiment {} completed", outcome.experiment_id);
    Forget(outcome.experiment_id);
  } else if (failed_now && CountFailure(outcome.experiment_id, error)) {
    return;
  } else if (slot.pending.empty() &&
             (slot.exhausted || (outcome.recorded == storage::Recorded::kDuplicate &&
                                 slot.created >= slot.experiment.spec.max_trials))) {
    if (experiments_.FinishIfDone(outcome.experiment_id, slot.exhausted))
      Forget(outcome.experiment_id);
  }
}

void Scheduler::Forget(std::int64_t experiment_id) {
  running_.erase(experiment_id);
  pruning_->Forget(experiment_id);
}

bool Scheduler::CountFailure(std::int64_t experiment_id, const std::string& error) {
  const auto it = running_.find(experiment_id);
  if (it == running_.end()) return false;
  ExperimentSlot& slot = *it->second;
  if (slot.succeeded) return false;
  ++slot.failures;
  const int max = slot.experiment.spec.max_failed_trials;
  if (max <= 0 || slot.failures < max) return false;
  const std::string message = std::to_string(slot.failures) +
                              " trials failed before any succeeded (max_failed_trials " +
                              std::to_string(max) + "); the last one: " + error.substr(0, 2048);
  spdlog::warn("experiment {} failed: {}", experiment_id, message);
  End(experiment_id, ExperimentState::kFailed, message, "experiment failed");
  return true;
}

void Scheduler::End(std::int64_t experiment_id, ExperimentState to, const std::string& error,
                    const std::string& trial_error) {
  experiments_.Transition(experiment_id, {ExperimentState::kRunning, ExperimentState::kPaused}, to,
                          error, trial_error);
  // The store has ended the trials; their workers are told to stop. Each slot stays busy
  // until its worker answers (a FAIL or RESULT, then discarded), so no worker gets more trials
  // than it has slots while a killed trial winds down.
  for (const auto& [worker_id, worker] : workers_)
    for (const auto& [trial_id, a] : worker->trials)
      if (a.experiment_id == experiment_id)
        outbox_.Send(worker_id, wire::Prune{{trial_id, a.attempt}});
  Forget(experiment_id);
}

void Scheduler::Control(std::int64_t id, ExperimentControl action, Clock::time_point now) {
  Commit(now);
  if (!in_sync_) Recover(now);  // throws while the store does not answer
  const auto e = experiments_.Get(id);
  if (!e) throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id), "id");
  const ExperimentState state = e->state;
  const auto refuse = [&](const char* verb) {
    throw Error(ErrorCode::kFailedPrecondition, "experiment " + std::to_string(id) + " is " +
                                                    std::string(ExperimentStateName(state)) +
                                                    ": it cannot be " + verb);
  };
  const bool active = state == ExperimentState::kRunning || state == ExperimentState::kPaused;
  switch (action) {
    case ExperimentControl::kStop:
      if (state == ExperimentState::kStopped) return;
      if (!active) refuse("stopped");
      End(id, ExperimentState::kStopped, "", kStoppedTrialError);
      spdlog::info("experiment {} stopped", id);
      return;
    case ExperimentControl::kPause: {
      if (state == ExperimentState::kPaused) return;
      if (state != ExperimentState::kRunning) refuse("paused");
      if (!experiments_.Transition(id, {ExperimentState::kRunning}, ExperimentState::kPaused, "",
                                   ""))
        refuse("paused");
      const auto it = running_.find(id);
      if (it != running_.end()) {
        it->second->paused = true;
        it->second->experiment.state = ExperimentState::kPaused;
      }
      spdlog::info("experiment {} paused", id);
      return;
    }
    case ExperimentControl::kResume: {
      if (state == ExperimentState::kRunning) return;
      if (state != ExperimentState::kPaused && state != ExperimentState::kStopped)
        refuse("resumed");
      // A stopped experiment is out of memory: its history is read back (before the store
      // changes, so that a failure leaves it stopped).
      std::unique_ptr<ExperimentSlot> rebuilt;
      std::vector<Trial> trials;
      if (!running_.count(id)) {
        trials = trials_.ListAll(id);
        std::vector<const Trial*> running;
        rebuilt = RebuildSlot(*e, trials, running);
      }
      if (!experiments_.Transition(id, {ExperimentState::kPaused, ExperimentState::kStopped},
                                   ExperimentState::kRunning, "", ""))
        refuse("resumed");
      if (rebuilt) running_[id] = std::move(rebuilt);
      ExperimentSlot& slot = *running_.at(id);
      slot.paused = false;
      slot.experiment.state = ExperimentState::kRunning;
      spdlog::info("experiment {} resumed: {} trials so far", id, slot.created);
      // Its budget may have run out while it was paused.
      if (slot.pending.empty() &&
          (slot.exhausted || slot.created >= slot.experiment.spec.max_trials) &&
          experiments_.FinishIfDone(id, slot.exhausted)) {
        Forget(id);
        return;
      }
      FillAll(now);
      return;
    }
    case ExperimentControl::kDelete:
      if (active) End(id, ExperimentState::kStopped, "", kStoppedTrialError);
      if (!experiments_.Delete(id))
        throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id), "id");
      Forget(id);
      spdlog::info("experiment {} deleted", id);
      return;
  }
}

bool Scheduler::Expire(const std::string& worker_id, std::int64_t trial_id,
                       const std::string& reason) {
  auto& worker = *workers_.at(worker_id);
  const Assignment a = worker.trials.at(trial_id);
  const auto it = running_.find(a.experiment_id);
  const int max_attempts = it != running_.end() ? it->second->experiment.spec.max_attempts : 1;
  storage::RequeueOutcome outcome;
  try {
    outcome = trials_.Requeue({trial_id, a.attempt, worker_id}, max_attempts, reason);
  } catch (const Error& error) {
    // The trial stays this worker's until the store answers; the next tick tries again.
    spdlog::warn("trial {}: cannot requeue yet: {}", trial_id, error.what());
    StoreFailed();
    return false;
  }
  worker.trials.erase(trial_id);
  owner_.erase(trial_id);
  if (it == running_.end() || outcome.result == storage::Requeued::kNotRunning) return true;
  ExperimentSlot& slot = *it->second;
  --slot.running;
  if (outcome.result == storage::Requeued::kRequeued) {
    ++slot.queued;
    spdlog::warn("trial {} requeued as attempt {}: {}", trial_id, a.attempt + 1, reason);
  } else {
    spdlog::warn("trial {} failed after {} attempts: {}", trial_id, a.attempt, reason);
    Remember(slot, slot.pending[trial_id], std::nullopt);
    slot.pending.erase(trial_id);
    if (outcome.experiment_finished) {
      Forget(a.experiment_id);
    } else {
      CountFailure(a.experiment_id, reason);
    }
  }
  return true;
}

bool Scheduler::DropWorker(const std::string& worker_id, const std::string& reason) {
  const auto it = workers_.find(worker_id);
  if (it == workers_.end()) return true;
  std::vector<std::int64_t> trials;
  for (const auto& [id, assignment] : it->second->trials) trials.push_back(id);
  bool all = true;
  for (const auto id : trials) all = Expire(worker_id, id, reason) && all;
  // A worker with trials the store has not taken back yet stays known (and unused: it is
  // silent) until they are.
  if (!all) return false;
  workers_.erase(worker_id);
  spdlog::warn("worker {} dropped: {}", worker_id, reason);
  try {
    worker_store_.MarkLost(worker_id);
  } catch (const Error& error) {
    spdlog::warn("worker {}: cannot mark it lost: {}", worker_id, error.what());
  }
  return true;
}

void Scheduler::NoteWorker(const storage::WorkerInfo& info) {
  // The workers table is informational: its failure must not stop the protocol.
  try {
    worker_store_.Seen(info);
  } catch (const Error& error) {
    spdlog::warn("worker {}: cannot record it: {}", info.id, error.what());
  }
}

void Scheduler::NoteAlive(Clock::time_point now) {
  if (now < next_alive_) return;
  next_alive_ = now + kAliveEvery;
  std::vector<std::string> ids;
  for (const auto& [id, worker] : workers_) ids.push_back(id);
  try {
    worker_store_.Alive(ids);
  } catch (const Error& error) {
    spdlog::warn("cannot record which workers are alive: {}", error.what());
  }
}

void Scheduler::FlushReports() {
  if (reports_.empty()) return;
  std::vector<std::pair<storage::TrialKey, StepScores>> batch;
  batch.swap(reports_);
  try {
    const WriteTimer timer(stats_, SchedulerStats::kReports, batch.size());
    trials_.RecordSteps(batch);
  } catch (const Error& error) {
    // Kept for the next tick (the RESULT carries every step anyway), within a bound.
    spdlog::warn("scheduler: cannot write {} reports yet: {}", batch.size(), error.what());
    StoreFailed();
    if (batch.size() + reports_.size() <= kMaxBufferedReports) {
      batch.insert(batch.end(), reports_.begin(), reports_.end());
      reports_.swap(batch);
    }
    return;
  }
  try {
    Prune(batch);  // the pruner sees a REPORT only once it is stored
  } catch (const Error& error) {
    spdlog::warn("scheduler: cannot prune yet: {}", error.what());
    StoreFailed();
  }
}

void Scheduler::Prune(const std::vector<std::pair<storage::TrialKey, StepScores>>& stored) {
  for (const auto& [key, scores] : stored) {
    const auto owner = owner_.find(key.trial_id);
    if (owner == owner_.end() || owner->second != key.worker) continue;
    const Assignment& a = workers_.at(key.worker)->trials.at(key.trial_id);
    const auto slot = running_.find(a.experiment_id);
    if (a.attempt != key.attempt || slot == running_.end()) continue;
    const auto order = pruning_->OnReport(slot->second->experiment, key, scores);
    if (!order) {
      // The worker waits for this answer before its next step (ASSIGN await_verdicts).
      if (!slot->second->experiment.spec.pruner.name.empty())
        outbox_.Send(key.worker, wire::Continue{{key.trial_id, key.attempt}, scores.step});
      continue;
    }
    const storage::RecordOutcome outcome = trials_.Prune(key, order->value, order->reason);
    if (outcome.recorded == storage::Recorded::kStale) continue;
    spdlog::info("trial {} {}", key.trial_id, order->reason);
    outbox_.Send(key.worker, wire::Prune{{key.trial_id, key.attempt}});
    std::vector<double> values;
    for (const auto& o : slot->second->history.completed) values.push_back(o.value);
    const Goal goal = slot->second->experiment.spec.objective.goal;
    Finished({key.trial_id, key.attempt}, outcome, Pruning::TunerValue(order->value, goal, values));
  }
}

void Scheduler::Tick(Clock::time_point now) {
  Commit(now);  // collected results first: an expired lease must not discard one
  if (!in_sync_ && experiments_.Ping()) {
    try {
      Recover(now);
      spdlog::info("scheduler: the store answers again; state rebuilt from it");
    } catch (const Error& error) {
      spdlog::warn("scheduler: cannot rebuild the state yet: {}", error.what());
    }
  }
  FlushReports();
  if (in_sync_) NoteAlive(now);
  std::vector<std::string> lost;
  std::vector<std::pair<std::string, std::int64_t>> expired;
  for (const auto& [id, worker] : workers_) {
    if (now - worker->last_seen > options_.lease) {
      lost.push_back(id);
      continue;
    }
    for (const auto& [trial_id, a] : worker->trials)
      if (now - a.last_listed > options_.lease) expired.emplace_back(id, trial_id);
  }
  for (const auto& [worker_id, trial_id] : expired)
    Expire(worker_id, trial_id, "the worker stopped reporting this trial");
  for (const auto& id : lost) DropWorker(id, "no heartbeat within the lease");
  FillAll(now);
}

void Scheduler::FillAll(Clock::time_point now) {
  for (const auto& [id, worker] : workers_)
    if (Usable(*worker, now)) Fill(id);
  Commit(now);
}

void Scheduler::Fill(const std::string& worker_id) {
  const auto it = to_fill_.find(worker_id);
  if (it == to_fill_.end()) {
    to_fill_.emplace(worker_id, trigger_);
  } else if (!it->second) {
    it->second = trigger_;
  }
}

Scheduler::ExperimentSlot* Scheduler::NextExperiment(const WorkerSlot& worker) {
  // Round robin: start after the experiment served last, wrap around once.
  std::vector<ExperimentSlot*> order;
  for (auto it = running_.upper_bound(next_turn_); it != running_.end(); ++it)
    order.push_back(it->second.get());
  for (auto it = running_.begin(); it != running_.end() && it->first <= next_turn_; ++it)
    order.push_back(it->second.get());
  for (ExperimentSlot* slot : order) {
    const ExperimentSpec& spec = slot->experiment.spec;
    if (slot->paused || slot->running >= spec.parallelism) continue;
    if (worker.only_experiment != 0 && worker.only_experiment != slot->experiment.id) continue;
    if (!worker.kinds.count(slot->served)) continue;
    if (slot->queued == 0 && (slot->created >= spec.max_trials || slot->exhausted)) continue;
    next_turn_ = slot->experiment.id;
    return slot;
  }
  return nullptr;
}

void Scheduler::Place(Clock::time_point now) {
  std::map<std::string, std::optional<Clock::time_point>> to_fill;
  to_fill.swap(to_fill_);
  // 1. Which experiment each free slot serves, as if they were filled one at a time: the
  //    slots' counts include the planned trials (undone if the store does not answer).
  struct Plan {
    std::string worker;
    ExperimentSlot* slot;
    bool claim;
    std::optional<Clock::time_point> trigger;
  };
  std::vector<Plan> plans;
  std::map<ExperimentSlot*, int> wanted;  // new trials by experiment
  for (const auto& [worker_id, trigger] : to_fill) {
    const auto w = workers_.find(worker_id);
    if (w == workers_.end()) continue;
    int planned = 0;
    while (Usable(*w->second, now) && w->second->free() > planned) {
      ExperimentSlot* slot = NextExperiment(*w->second);
      if (!slot) break;
      ++planned;
      ++slot->running;
      const bool claim = slot->queued > 0;
      if (claim) {
        --slot->queued;
      } else {
        ++slot->created;
        ++wanted[slot];
      }
      plans.push_back({worker_id, slot, claim, trigger});
    }
  }
  if (plans.empty()) return;
  // 2. Each experiment's tuner proposes its new trials in one call.
  std::map<ExperimentSlot*, std::vector<Params>> proposed;
  std::vector<std::int64_t> exhausted;
  for (const auto& [slot, n] : wanted) {
    // The history is lent with the pending trials added, not copied: the cost of a batch
    // must not grow with the study.
    tuners::History& history = slot->history;
    for (const auto& [id, params] : slot->pending) history.pending.push_back(params);
    std::vector<tuners::Suggestion> suggestions;
    try {
      suggestions = slot->tuner->Suggest(history, n);
    } catch (const std::exception& e) {
      spdlog::error("experiment {}: the tuner failed: {}", slot->experiment.id, e.what());
      suggestions.clear();
    }
    history.pending.clear();
    if (static_cast<int>(suggestions.size()) < n) {
      slot->exhausted = true;
      exhausted.push_back(slot->experiment.id);
      spdlog::info("experiment {}: the search space is exhausted", slot->experiment.id);
    }
    auto& params = proposed[slot];
    for (auto& suggestion : suggestions) {
      if (!suggestion.note.empty())
        spdlog::info("experiment {}: {}", slot->experiment.id, suggestion.note);
      params.push_back(std::move(suggestion.params));
    }
  }
  // Slots the tuner had nothing for stay free.
  std::vector<storage::Placement> placements;
  std::vector<const Plan*> placed;
  std::map<ExperimentSlot*, std::size_t> used;
  for (const Plan& plan : plans) {
    if (!plan.claim) {
      const auto& params = proposed[plan.slot];
      std::size_t& k = used[plan.slot];
      if (k == params.size()) {
        --plan.slot->running;
        --plan.slot->created;
        continue;
      }
      placements.push_back({plan.slot->experiment.id, plan.worker, false, params[k++]});
    } else {
      placements.push_back({plan.slot->experiment.id, plan.worker, true, {}});
    }
    placed.push_back(&plan);
  }
  // 3. One transaction for all of them; 4. memory, then the ASSIGNs.
  std::vector<std::optional<Trial>> trials;
  try {
    const WriteTimer timer(stats_, SchedulerStats::kPlace, placements.size());
    if (!placements.empty()) trials = trials_.PlaceAll(placements);
  } catch (const Error& error) {
    spdlog::warn("scheduler: cannot hand out {} trials: {}", placements.size(), error.what());
    for (const Plan* plan : placed) {
      --plan->slot->running;
      if (plan->claim) {
        ++plan->slot->queued;
      } else {
        --plan->slot->created;
      }
    }
    StoreFailed();
    return;
  }
  for (std::size_t i = 0; i < placed.size(); ++i) {
    ExperimentSlot& slot = *placed[i]->slot;
    if (trials[i]) {
      Assign(placed[i]->worker, slot, *trials[i], placed[i]->trigger, now);
      continue;
    }
    --slot.running;
    if (placed[i]->claim) {
      slot.queued = 0;  // out of sync: the store is the truth
    } else {
      --slot.created;
    }
  }
  for (const std::int64_t id : exhausted) {
    const auto it = running_.find(id);
    if (it == running_.end() || !it->second->pending.empty()) continue;
    try {
      if (experiments_.FinishIfDone(id, true)) Forget(id);
    } catch (const Error& error) {
      spdlog::warn("experiment {}: cannot complete it yet: {}", id, error.what());
      StoreFailed();
    }
  }
}

void Scheduler::Assign(const std::string& worker_id, ExperimentSlot& slot, const Trial& trial,
                       const std::optional<Clock::time_point>& trigger, Clock::time_point now) {
  const ExperimentSpec& spec = slot.experiment.spec;
  slot.pending[trial.id] = trial.params;
  pruning_->OnAssigned(slot.experiment, trial);
  workers_.at(worker_id)->trials[trial.id] = {trial.attempt, slot.experiment.id,
                                              std::max(now, options_.clock())};
  owner_[trial.id] = worker_id;
  wire::Assign assign;
  assign.trial = {trial.id, trial.attempt};
  assign.experiment_id = slot.experiment.id;
  assign.number = trial.number;
  assign.params = trial.params;
  assign.training = spec.training;
  assign.objective = spec.objective;
  assign.api_url = options_.api_url;
  assign.experiment_name = spec.name;
  assign.await_verdicts = !spec.pruner.name.empty();
  if (options_.dataset_capability && spec.training.dataset.rfind("sha256:", 0) == 0)
    assign.dataset_capability = options_.dataset_capability(spec.training.dataset.substr(7));
  outbox_.Send(worker_id, assign);
  ++stats_.assigned;
  if (trigger)
    stats_.dispatch_seconds.Observe(
        std::chrono::duration<double>(options_.clock() - *trigger).count());
}

}  // namespace krige::service
