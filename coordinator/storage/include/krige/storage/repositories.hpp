// The coordinator's view of its store. The service layer depends on these interfaces; the
// PostgreSQL implementation lives in coordinator/storage/pg/ (the only place with SQL).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "krige/service/dataset_service.hpp"
#include "krige/service/experiment_service.hpp"
#include "krige/service/worker_service.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige::storage {

// One attempt of one trial: what the wire protocol names, and the worker that speaks of it.
// Results, failures and reports count only from the worker the attempt was assigned to
// (another worker's are stale); Requeue ignores `worker`.
struct TrialKey {
  std::int64_t trial_id = 0;
  int attempt = 0;
  std::string worker;
};

// What happened to a RESULT or FAIL.
enum class Recorded {
  kAccepted,   // recorded now
  kDuplicate,  // the same attempt was recorded before (a resend): acknowledge again
  kStale,      // an older attempt, or a trial no longer running: discarded
};

struct RecordOutcome {
  Recorded recorded = Recorded::kStale;
  std::int64_t experiment_id = 0;
  bool experiment_finished = false;  // this record completed the experiment
};

enum class Requeued { kRequeued, kFailed, kNotRunning };

struct RequeueOutcome {
  Requeued result = Requeued::kNotRunning;
  std::int64_t experiment_id = 0;
  bool experiment_finished = false;
};

// Thread-safe; every method is one transaction. Throws krige::Error: kNotFound for unknown
// ids, kUnavailable when the database cannot be reached, kInternal otherwise.
class ExperimentRepository {
 public:
  virtual ~ExperimentRepository() = default;
  virtual Experiment Create(const ExperimentSpec& spec) = 0;
  virtual std::optional<Experiment> Get(std::int64_t id) = 0;
  virtual service::ExperimentPage List(const service::ExperimentQuery& query) = 0;
  // Experiments the scheduler serves (running or paused), oldest first.
  virtual std::vector<Experiment> ListRunning() = 0;
  // Completes a running experiment with no active trials when it has used its budget, or
  // unconditionally when `exhausted` (its tuner has nothing more to propose).
  virtual bool FinishIfDone(std::int64_t id, bool exhausted) = 0;
  virtual void SetState(std::int64_t id, ExperimentState state) = 0;
  // Moves the experiment from one of `from` to `to` and stores `error` on it ("" clears it),
  // in one transaction; false, changing nothing, when its state is none of `from`. Entering
  // stopped or failed also ends its queued and running trials: failed, with `trial_error`.
  virtual bool Transition(std::int64_t id, const std::vector<ExperimentState>& from,
                          ExperimentState to, const std::string& error,
                          const std::string& trial_error) = 0;
  // Removes the experiment with its trials and their metrics; false when there is none.
  virtual bool Delete(std::int64_t id) = 0;
  virtual bool Ping() = 0;
};

// A RESULT or FAIL to record (TrialRepository::FinishAll): with a `value` the attempt
// completes with its metrics and per-step scores, without one it fails with `error`.
struct Finish {
  TrialKey key;
  std::optional<double> value;
  std::map<std::string, double> metrics;
  std::vector<StepScores> steps;
  std::string error;
};

// A trial to put on a worker (TrialRepository::PlaceAll): the experiment's lowest-numbered
// queued trial (`claim`), or a new one with `params`.
struct Placement {
  std::int64_t experiment_id = 0;
  std::string worker;
  bool claim = false;
  Params params;
};

class TrialRepository {
 public:
  virtual ~TrialRepository() = default;
  // A new trial (next number), running on `worker`, attempt 1.
  virtual Trial CreateRunning(std::int64_t experiment_id, const Params& params,
                              const std::string& worker) = 0;
  // The lowest-numbered queued (requeued) trial of the experiment, now running on `worker`.
  virtual std::optional<Trial> ClaimQueued(std::int64_t experiment_id,
                                           const std::string& worker) = 0;
  // Idempotent on (trial_id, attempt); stores the final metrics and per-step scores, keeps
  // the experiment's best trial, completes the experiment at its budget.
  virtual RecordOutcome Complete(const TrialKey& key, double value,
                                 const std::map<std::string, double>& metrics,
                                 const std::vector<StepScores>& steps) = 0;
  virtual RecordOutcome Fail(const TrialKey& key, const std::string& error) = 0;
  // Group commit: every finish recorded as Complete or Fail would record it, all in one
  // transaction, so that one WAL flush serves the batch. One outcome per finish, in order; a
  // finish repeated within the batch is a duplicate of the first.
  virtual std::vector<RecordOutcome> FinishAll(const std::vector<Finish>& finishes) = 0;
  // Group commit of ClaimQueued and CreateRunning: per placement, in order, the trial now
  // running on its worker, or nullopt (no queued trial to claim; the experiment is not
  // running). One transaction; new trials of one experiment get consecutive numbers.
  virtual std::vector<std::optional<Trial>> PlaceAll(const std::vector<Placement>& placements) = 0;
  // The pruner stopped the running attempt: the trial ends `pruned` with its last reported
  // `value` (never the experiment's best) and `reason` as its error text. Idempotent on
  // (trial_id, attempt) like Complete; completes the experiment at its budget.
  virtual RecordOutcome Prune(const TrialKey& key, double value, const std::string& reason) = 0;
  // The attempt's worker is lost: back to queued with attempt + 1, or failed for good once
  // max_attempts attempts were made.
  virtual RequeueOutcome Requeue(const TrialKey& key, int max_attempts,
                                 const std::string& reason) = 0;
  // Intermediate scores, written in one transaction (group commit); each is ignored unless
  // its attempt is the running one.
  virtual void RecordSteps(const std::vector<std::pair<TrialKey, StepScores>>& steps) = 0;

  virtual std::optional<Trial> Get(std::int64_t trial_id) = 0;
  virtual service::TrialPage List(std::int64_t experiment_id, const service::TrialQuery& q) = 0;
  // A text that changes whenever one of the experiment's trials is added, changed or removed
  // (and stays the same otherwise); kNotFound for an unknown experiment. A List made after
  // reading a version shows at least that version's trials. nullopt: the store cannot tell.
  virtual std::optional<std::string> Version(std::int64_t /*experiment_id*/) {
    return std::nullopt;
  }
  virtual std::optional<Trial> Best(std::int64_t experiment_id) = 0;
  // Every trial of the experiment (no per-step scores): rebuilds the tuner's history.
  virtual std::vector<Trial> ListAll(std::int64_t experiment_id) = 0;
};

struct WorkerInfo {
  std::string id;
  std::string hostname;  // "" keeps the stored one (a worker adopted from its heartbeat)
  int slots = 1;
  std::string version;
  std::vector<std::string> kinds;  // krige::ServedKind names
  std::int64_t only_experiment = 0;
};

class WorkerRepository {
 public:
  virtual ~WorkerRepository() = default;
  // Stored as alive, with its last_seen now.
  virtual void Seen(const WorkerInfo& worker) = 0;
  virtual void MarkLost(const std::string& worker_id) = 0;
  // last_seen = now for these alive workers (the scheduler calls it every few seconds), and
  // every other worker still stored as alive is marked lost: the scheduler knows who is.
  virtual void Alive(const std::vector<std::string>& worker_ids) = 0;
  // The workers stored as alive, with what they run.
  virtual std::vector<WorkerInfo> ListAlive() = 0;
  // Alive workers and those lost within service::kLostShownSeconds, by id, at most
  // query.limit (clamped to 1..1000) after query.cursor ("w:<id>"), with their running and
  // finished trial counts.
  virtual service::WorkerPage List(const service::WorkerQuery& query) = 0;
};

// Datasets by the SHA-256 of their bytes. Thread-safe; every method is one transaction; errors
// as for ExperimentRepository. The caller computes the hash (the store trusts it).
class DatasetRepository {
 public:
  virtual ~DatasetRepository() = default;
  // Inserts the bytes, or, when that hash is stored already, records a new upload of them
  // (name and created_at of this upload). `created` says which.
  virtual service::Upload Put(const std::string& sha256, const std::string& name,
                              const std::string& bytes) = 0;
  virtual std::optional<std::string> Bytes(const std::string& sha256) = 0;
  virtual std::optional<service::Dataset> Find(const std::string& sha256) = 0;
  // The latest upload called `name`.
  virtual std::optional<service::Dataset> FindByName(const std::string& name) = 0;
  // Newest first; only those called `name` when given.
  virtual std::vector<service::Dataset> List(const std::optional<std::string>& name, int limit) = 0;
};

}  // namespace krige::storage
