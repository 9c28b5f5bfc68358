// In-memory repositories with the semantics of the PostgreSQL ones (idempotent on
// (trial_id, attempt), bounded requeues, completion at max_trials), for scheduler unit tests.
#pragma once

#include <algorithm>
#include <map>
#include <stdexcept>

#include "krige/storage/repositories.hpp"

namespace krige::testing {

class FakeStore {
 public:
  // ExperimentRepository
  Experiment Create(const ExperimentSpec& spec) {
    Experiment e;
    e.id = ++last_experiment_;
    e.spec = spec;
    experiments_[e.id] = e;
    return e;
  }
  std::optional<Experiment> GetExperiment(std::int64_t id) {
    auto it = experiments_.find(id);
    if (it == experiments_.end()) return std::nullopt;
    Experiment e = it->second;
    e.counts = {};
    for (const auto& [tid, t] : trials_)
      if (t.experiment_id == id) Count(e.counts, t.state);
    return e;
  }
  std::vector<Experiment> ListRunning() {
    std::vector<Experiment> out;
    for (const auto& [id, e] : experiments_)
      if (e.state == ExperimentState::kRunning || e.state == ExperimentState::kPaused)
        out.push_back(*GetExperiment(id));
    return out;
  }
  bool FinishIfDone(std::int64_t id, bool exhausted) {
    Experiment& e = experiments_.at(id);
    if (e.state != ExperimentState::kRunning) return false;
    int created = 0;
    for (const auto& [tid, t] : trials_) {
      if (t.experiment_id != id) continue;
      ++created;
      if (t.state == TrialState::kQueued || t.state == TrialState::kRunning) return false;
    }
    if (created < e.spec.max_trials && !exhausted) return false;
    e.state = ExperimentState::kCompleted;
    return true;
  }
  void SetState(std::int64_t id, ExperimentState state) { experiments_.at(id).state = state; }
  bool Transition(std::int64_t id, const std::vector<ExperimentState>& from, ExperimentState to,
                  const std::string& error, const std::string& trial_error) {
    Experiment& e = experiments_.at(id);
    if (std::find(from.begin(), from.end(), e.state) == from.end()) return false;
    e.state = to;
    e.error = error;
    if (to == ExperimentState::kStopped || to == ExperimentState::kFailed)
      for (auto& [tid, t] : trials_)
        if (t.experiment_id == id &&
            (t.state == TrialState::kQueued || t.state == TrialState::kRunning)) {
          t.state = TrialState::kFailed;
          t.error = trial_error;
        }
    return true;
  }
  bool Delete(std::int64_t id) {
    if (!experiments_.erase(id)) return false;
    for (auto it = trials_.begin(); it != trials_.end();)
      it = it->second.experiment_id == id ? trials_.erase(it) : std::next(it);
    return true;
  }
  bool Ping() { return true; }

  // TrialRepository
  Trial CreateRunning(std::int64_t experiment_id, const Params& params, const std::string& worker) {
    if (experiments_.at(experiment_id).state != ExperimentState::kRunning)
      throw Error(ErrorCode::kFailedPrecondition, "not running");
    Trial t;
    t.id = ++last_trial_;
    t.experiment_id = experiment_id;
    t.number = next_number_[experiment_id]++;
    t.params = params;
    t.state = TrialState::kRunning;
    t.worker = worker;
    trials_[t.id] = t;
    return t;
  }
  std::optional<Trial> ClaimQueued(std::int64_t experiment_id, const std::string& worker) {
    for (auto& [id, t] : trials_) {
      if (t.experiment_id == experiment_id && t.state == TrialState::kQueued) {
        t.state = TrialState::kRunning;
        t.worker = worker;
        return t;
      }
    }
    return std::nullopt;
  }
  storage::RecordOutcome Complete(const storage::TrialKey& key, double value,
                                  const std::map<std::string, double>& metrics,
                                  const std::vector<StepScores>&) {
    return Record(key, TrialState::kCompleted, [&](Trial& t) {
      t.value = value;
      t.metrics = metrics;
    });
  }
  storage::RecordOutcome Fail(const storage::TrialKey& key, const std::string& error) {
    return Record(key, TrialState::kFailed, [&](Trial& t) { t.error = error; });
  }
  storage::RecordOutcome Prune(const storage::TrialKey& key, double value,
                               const std::string& reason) {
    return Record(key, TrialState::kPruned, [&](Trial& t) {
      t.value = value;
      t.error = reason;
    });
  }
  storage::RequeueOutcome Requeue(const storage::TrialKey& key, int max_attempts,
                                  const std::string& reason) {
    storage::RequeueOutcome out;
    if (!trials_.count(key.trial_id)) return out;
    Trial& t = trials_.at(key.trial_id);
    if (t.attempt != key.attempt || t.state != TrialState::kRunning) return out;
    out.experiment_id = t.experiment_id;
    t.error = reason;
    if (t.attempt >= max_attempts) {
      t.state = TrialState::kFailed;
      out.result = storage::Requeued::kFailed;
      out.experiment_finished = FinishIfDone(t.experiment_id, false);
    } else {
      t.state = TrialState::kQueued;
      ++t.attempt;
      t.worker.clear();
      out.result = storage::Requeued::kRequeued;
    }
    return out;
  }
  void RecordSteps(const std::vector<std::pair<storage::TrialKey, StepScores>>& steps) {
    steps_recorded += static_cast<int>(steps.size());
    ++step_batches;
  }
  std::optional<Trial> GetTrial(std::int64_t trial_id) {
    auto it = trials_.find(trial_id);
    if (it == trials_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Trial> Best(std::int64_t) { return std::nullopt; }
  std::vector<Trial> ListAll(std::int64_t experiment_id) {
    std::vector<Trial> out;
    for (const auto& [id, t] : trials_)
      if (t.experiment_id == experiment_id) out.push_back(t);
    return out;
  }

  // WorkerRepository
  void Seen(const storage::WorkerInfo& w) { seen.push_back(w.id); }
  void MarkLost(const std::string& id) { lost.push_back(id); }

  const std::map<std::int64_t, Trial>& trials() const { return trials_; }
  ExperimentState state(std::int64_t id) const { return experiments_.at(id).state; }

  std::vector<std::string> seen, lost;
  int steps_recorded = 0;
  int step_batches = 0;
  int finish_batches = 0;  // FinishAll transactions
  int place_batches = 0;   // PlaceAll transactions

  // Faults. `down`: every call throws kUnavailable, as when PostgreSQL is stopped.
  // `lose_answers`: the next N writes are applied, then throw (the connection died during
  // COMMIT, after the server had committed).
  bool down = false;
  int lose_answers = 0;
  void Enter() const {
    if (down) throw Error(ErrorCode::kUnavailable, "database unavailable: (fake) down");
  }
  template <typename T>
  T Written(T value) {
    if (lose_answers > 0) {
      --lose_answers;
      throw Error(ErrorCode::kUnavailable, "database unavailable: (fake) answer lost");
    }
    return value;
  }

 private:
  static void Count(TrialCounts& c, TrialState s) {
    switch (s) {
      case TrialState::kQueued:
        ++c.queued;
        break;
      case TrialState::kRunning:
        ++c.running;
        break;
      case TrialState::kCompleted:
        ++c.completed;
        break;
      case TrialState::kFailed:
        ++c.failed;
        break;
      case TrialState::kPruned:
        ++c.pruned;
        break;
    }
  }
  template <typename Fn>
  storage::RecordOutcome Record(const storage::TrialKey& key, TrialState state, Fn apply) {
    storage::RecordOutcome out;
    if (!trials_.count(key.trial_id)) return out;  // deleted with its experiment: stale
    Trial& t = trials_.at(key.trial_id);
    out.experiment_id = t.experiment_id;
    if (t.worker != key.worker) return out;  // not the attempt's worker: stale
    if (t.attempt == key.attempt && t.state == TrialState::kRunning) {
      t.state = state;
      apply(t);
      out.recorded = storage::Recorded::kAccepted;
      out.experiment_finished = FinishIfDone(t.experiment_id, false);
    } else if (t.attempt == key.attempt && t.state == state) {
      out.recorded = storage::Recorded::kDuplicate;
    }
    return out;
  }

  std::int64_t last_experiment_ = 0, last_trial_ = 0;
  std::map<std::int64_t, Experiment> experiments_;
  std::map<std::int64_t, Trial> trials_;
  std::map<std::int64_t, int> next_number_;
};

// The three repository interfaces over one FakeStore.
class FakeExperiments : public storage::ExperimentRepository {
 public:
  explicit FakeExperiments(FakeStore& s) : s_(s) {}
  Experiment Create(const ExperimentSpec& spec) override {
    s_.Enter();
    return s_.Written(s_.Create(spec));
  }
  std::optional<Experiment> Get(std::int64_t id) override {
    s_.Enter();
    return s_.GetExperiment(id);
  }
  service::ExperimentPage List(const service::ExperimentQuery&) override { return {}; }
  std::vector<Experiment> ListRunning() override {
    s_.Enter();
    return s_.ListRunning();
  }
  bool FinishIfDone(std::int64_t id, bool exhausted) override {
    s_.Enter();
    return s_.Written(s_.FinishIfDone(id, exhausted));
  }
  void SetState(std::int64_t id, ExperimentState state) override {
    s_.Enter();
    s_.SetState(id, state);
  }
  bool Transition(std::int64_t id, const std::vector<ExperimentState>& from, ExperimentState to,
                  const std::string& error, const std::string& trial_error) override {
    s_.Enter();
    return s_.Written(s_.Transition(id, from, to, error, trial_error));
  }
  bool Delete(std::int64_t id) override {
    s_.Enter();
    return s_.Written(s_.Delete(id));
  }
  bool Ping() override { return !s_.down; }

 private:
  FakeStore& s_;
};

class FakeTrials : public storage::TrialRepository {
 public:
  explicit FakeTrials(FakeStore& s) : s_(s) {}
  Trial CreateRunning(std::int64_t e, const Params& p, const std::string& w) override {
    s_.Enter();
    return s_.Written(s_.CreateRunning(e, p, w));
  }
  std::optional<Trial> ClaimQueued(std::int64_t e, const std::string& w) override {
    s_.Enter();
    return s_.Written(s_.ClaimQueued(e, w));
  }
  storage::RecordOutcome Complete(const storage::TrialKey& k, double v,
                                  const std::map<std::string, double>& m,
                                  const std::vector<StepScores>& steps) override {
    s_.Enter();
    return s_.Written(s_.Complete(k, v, m, steps));
  }
  storage::RecordOutcome Fail(const storage::TrialKey& k, const std::string& e) override {
    s_.Enter();
    return s_.Written(s_.Fail(k, e));
  }
  std::vector<storage::RecordOutcome> FinishAll(
      const std::vector<storage::Finish>& finishes) override {
    s_.Enter();
    ++s_.finish_batches;
    std::vector<storage::RecordOutcome> out;
    for (const auto& f : finishes)
      out.push_back(f.value ? s_.Complete(f.key, *f.value, f.metrics, f.steps)
                            : s_.Fail(f.key, f.error));
    return s_.Written(out);
  }
  std::vector<std::optional<Trial>> PlaceAll(
      const std::vector<storage::Placement>& placements) override {
    s_.Enter();
    ++s_.place_batches;
    std::vector<std::optional<Trial>> out;
    for (const auto& p : placements) {
      if (p.claim) {
        out.push_back(s_.ClaimQueued(p.experiment_id, p.worker));
      } else if (s_.state(p.experiment_id) == ExperimentState::kRunning) {
        out.push_back(s_.CreateRunning(p.experiment_id, p.params, p.worker));
      } else {
        out.push_back(std::nullopt);
      }
    }
    return s_.Written(out);
  }
  storage::RecordOutcome Prune(const storage::TrialKey& k, double v,
                               const std::string& reason) override {
    s_.Enter();
    return s_.Written(s_.Prune(k, v, reason));
  }
  storage::RequeueOutcome Requeue(const storage::TrialKey& k, int max_attempts,
                                  const std::string& reason) override {
    s_.Enter();
    return s_.Written(s_.Requeue(k, max_attempts, reason));
  }
  void RecordSteps(const std::vector<std::pair<storage::TrialKey, StepScores>>& steps) override {
    s_.Enter();
    s_.RecordSteps(steps);
  }
  std::optional<Trial> Get(std::int64_t id) override {
    s_.Enter();
    return s_.GetTrial(id);
  }
  service::TrialPage List(std::int64_t, const service::TrialQuery&) override { return {}; }
  std::optional<Trial> Best(std::int64_t) override { return std::nullopt; }
  std::vector<Trial> ListAll(std::int64_t e) override {
    s_.Enter();
    return s_.ListAll(e);
  }

 private:
  FakeStore& s_;
};

class FakeWorkers : public storage::WorkerRepository {
 public:
  explicit FakeWorkers(FakeStore& s) : s_(s) {}
  void Seen(const storage::WorkerInfo& w) override {
    s_.Enter();
    s_.Seen(w);
  }
  void MarkLost(const std::string& id) override {
    s_.Enter();
    s_.MarkLost(id);
  }
  void Alive(const std::vector<std::string>&) override { s_.Enter(); }
  std::vector<storage::WorkerInfo> ListAlive() override {
    s_.Enter();
    return {};
  }
  service::WorkerPage List(const service::WorkerQuery&) override { return {}; }

 private:
  FakeStore& s_;
};

}  // namespace krige::testing
