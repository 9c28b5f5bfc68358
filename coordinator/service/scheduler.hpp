// The scheduler: hands trials to workers within each experiment's parallelism, fairly across
// experiments, records results and reclaims the trials of lost workers. Single-threaded: the
// coordinator's scheduler thread owns it (SchedulerLoop); it never touches a socket, it only
// gives messages to an Outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/metrics/metrics.hpp"
#include "krige/storage/repositories.hpp"
#include "krige/tuners/tuner.hpp"
#include "wire/wire.hpp"

namespace krige::service {

using Clock = std::chrono::steady_clock;

// Where the scheduler's messages go (the ZeroMQ dispatcher, or a test's recorder).
class Pruning;

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void Send(const std::string& worker_id, const wire::Message& message) = 0;
};

struct SchedulerOptions {
  // A trial not listed in its worker's heartbeats for this long is requeued (attempt + 1);
  // a worker silent for this long is forgotten.
  std::chrono::milliseconds lease{10000};
  // A worker silent for this long (workers beat every second) is suspect: it keeps its trials
  // until the lease runs out, but gets no new ones, so that requeued trials go to live workers.
  std::chrono::milliseconds suspect_after{2500};
  // Sent in every ASSIGN (wire::Assign::api_url): where workers fetch datasets.
  std::string api_url{};
  // The capability to download dataset `sha256` (wire::Assign::dataset_capability), for
  // trials whose dataset is "sha256:..."; none when unset.
  std::function<std::string(const std::string& sha256)> dataset_capability{};
  // The time an ASSIGN leaves. An assignment's lease starts then, not when the message that
  // freed the slot arrived: those differ when the scheduler thread has a backlog.
  std::function<Clock::time_point()> clock = [] { return Clock::now(); };
};

// What the scheduler has done, for GET /metrics: written on the scheduler thread, read by
// the scrape on any thread.
struct SchedulerStats {
  // The store writes on the hot path, each one transaction (group commit): the RESULTs and
  // FAILs of a batch of messages, a batch of REPORTs, the trials placed on workers (created or
  // claimed from the queue) after a batch.
  enum Write { kResult, kReports, kPlace, kWrites };
  static constexpr const char* kWriteNames[kWrites] = {"result", "reports", "place"};
  std::atomic<std::uint64_t> results_committed{0};  // RESULTs and FAILs recorded
  std::atomic<std::uint64_t> assigned{0};           // ASSIGNs sent
  std::atomic<std::int64_t> workers{0};             // workers known (connected)
  std::atomic<std::int64_t> running_experiments{0};
  metrics::Histogram write_seconds[kWrites] = {metrics::Histogram(metrics::Histogram::Seconds()),
                                               metrics::Histogram(metrics::Histogram::Seconds()),
                                               metrics::Histogram(metrics::Histogram::Seconds())};
  metrics::Histogram write_rows[kWrites] = {metrics::Histogram(metrics::Histogram::Sizes()),
                                            metrics::Histogram(metrics::Histogram::Sizes()),
                                            metrics::Histogram(metrics::Histogram::Sizes())};
  // From the arrival of a HELLO, READY, RESULT or FAIL to each ASSIGN it let out.
  metrics::Histogram dispatch_seconds{metrics::Histogram::Seconds()};
  void Collect(metrics::Exposition& out) const;
};
// What a user asks of an experiment (REST: POST .../stop|pause|resume, DELETE).
enum class ExperimentControl { kStop, kPause, kResume, kDelete };

// The error of the trials a stop ends (they end failed, as W&B shows a killed run).
inline constexpr const char* kStoppedTrialError = "experiment stopped";

class Scheduler {
 public:
  Scheduler(storage::ExperimentRepository& experiments, storage::TrialRepository& trials,
            storage::WorkerRepository& workers, const tuners::Registry& tuners, Outbox& outbox,
            SchedulerOptions options);
  ~Scheduler();

  // Rebuilds the in-memory state from the store after a (re)start: running experiments, their
  // histories, and the trials that were running (their leases start now). Throws when the
  // store cannot be read; the state is then unchanged.
  void Recover(Clock::time_point now);
  // A store call failed (the database is down, or a commit's outcome is unknown): what this
  // scheduler believes may differ from the store. No work is handed out until Tick has
  // rebuilt the experiments' state from the store (Recover), which it retries every tick.
  void StoreFailed();
  bool in_sync() const { return in_sync_; }
  // One message, handled and committed (Receive, then Commit).
  void OnMessage(const std::string& worker_id, const wire::Message& message, Clock::time_point now);
  // Group commit: Receive applies a message to memory and collects what it asks of the store
  // (RESULTs and FAILs to record, free slots to fill); Commit writes all of it, a transaction
  // for the results and one for the trials placed, and only then sends the ACKs and ASSIGNs.
  // Messages that need the store at once (BYE, a REPORT of a pruned experiment) commit
  // what was collected before them.
  void Receive(const std::string& worker_id, const wire::Message& message, Clock::time_point now);
  void Commit(Clock::time_point now);
  void OnExperimentCreated(std::int64_t experiment_id, Clock::time_point now);
  // Applies a control request; the store changes first, then this scheduler's memory, so the
  // two never disagree. Stop (from running or paused): the experiment ends stopped, its queued
  // and running trials end failed ("experiment stopped") and the workers running them are
  // sent PRUNE (their slots count as busy until they answer). Pause (from running): no new
  // trials; running ones finish and are recorded. Resume (from paused or stopped): the tuner
  // continues from the stored history. Delete (any state): stop, then remove it and its trials.
  // Repeating a transition already made changes nothing. Throws Error(kNotFound) for an
  // unknown id, Error(kFailedPrecondition) for a transition its state does not allow, and the
  // store's errors (the caller then calls StoreFailed).
  void Control(std::int64_t experiment_id, ExperimentControl action, Clock::time_point now);
  // Writes buffered REPORTs, expires leases and hands out work; call a few times per second.
  void Tick(Clock::time_point now);

  std::size_t workers() const { return workers_.size(); }
  const SchedulerStats& stats() const { return stats_; }

 private:
  struct ExperimentSlot;
  struct WorkerSlot;
  struct Assignment {
    int attempt = 0;
    std::int64_t experiment_id = 0;
    Clock::time_point last_listed;
  };

  std::unique_ptr<ExperimentSlot> MakeSlot(const Experiment& experiment) const;
  // A slot with the history of `trials`; their queued ones counted. Running ones are returned
  // in `running` (the caller decides their leases).
  std::unique_ptr<ExperimentSlot> RebuildSlot(const Experiment& experiment,
                                              const std::vector<Trial>& trials,
                                              std::vector<const Trial*>& running) const;
  // Moves a running or paused experiment to stopped or failed (store first), tells the
  // workers of its running trials to stop, and forgets it.
  void End(std::int64_t experiment_id, ExperimentState to, const std::string& error,
           const std::string& trial_error);
  // A trial whose result or failure the store discarded is no longer this worker's.
  void Release(const std::string& worker_id, const wire::TrialRef& ref);
  void AddExperiment(const Experiment& experiment);
  void Handle(const std::string& worker_id, const wire::Message& message, Clock::time_point now);
  bool Usable(const WorkerSlot& worker, Clock::time_point now) const;
  void FlushReports();
  void Prune(const std::vector<std::pair<storage::TrialKey, StepScores>>& stored);
  WorkerSlot& TouchWorker(const std::string& id, int slots, Clock::time_point now);
  // Marks the worker's free slots to be filled at the next Commit.
  void Fill(const std::string& worker_id);
  void FillAll(Clock::time_point now);
  // The next experiment, round robin, that may give `worker` a trial now (counting the trials
  // Place has planned so far); null when none may.
  ExperimentSlot* NextExperiment(const WorkerSlot& worker);
  void CommitFinishes();
  void Place(Clock::time_point now);
  void Assign(const std::string& worker_id, ExperimentSlot& slot, const Trial& trial,
              const std::optional<Clock::time_point>& trigger, Clock::time_point now);
  void OnResult(const std::string& worker_id, const wire::Result& result);
  void OnFail(const std::string& worker_id, const wire::Fail& fail);
  void Finished(const wire::TrialRef& ref, const storage::RecordOutcome& outcome,
                const std::optional<double>& value, const std::string& error = "");
  // Counts a failure towards max_failed_trials; fails the experiment when it is reached.
  // Returns true when the experiment was failed (and forgotten).
  bool CountFailure(std::int64_t experiment_id, const std::string& error);
  // Each returns false, leaving the state as it was, when the store did not answer.
  bool Expire(const std::string& worker_id, std::int64_t trial_id, const std::string& reason);
  bool DropWorker(const std::string& worker_id, const std::string& reason);
  void Forget(std::int64_t experiment_id);
  void NoteWorker(const storage::WorkerInfo& info);
  void NoteAlive(Clock::time_point now);

  storage::ExperimentRepository& experiments_;
  storage::TrialRepository& trials_;
  storage::WorkerRepository& worker_store_;
  const tuners::Registry& tuners_;
  Outbox& outbox_;
  SchedulerOptions options_;

  std::map<std::int64_t, std::unique_ptr<ExperimentSlot>> running_;  // by id: oldest first
  std::map<std::string, std::unique_ptr<WorkerSlot>> workers_;
  std::map<std::int64_t, std::string> owner_;  // running trial -> worker
  std::int64_t next_turn_ = 0;                 // round robin over experiments
  bool in_sync_ = true;                        // false after a failed store call
  Clock::time_point next_alive_{};             // when the workers table is told who is alive
  SchedulerStats stats_;
  // The arrival of the message being handled, when it frees slots (dispatch latency).
  std::optional<Clock::time_point> trigger_;
  // Collected by Receive, written by Commit: RESULTs and FAILs, and the workers whose free
  // slots to fill, each with the arrival of the first message that freed one.
  std::vector<storage::Finish> finishes_;
  std::map<std::string, std::optional<Clock::time_point>> to_fill_;
  // REPORTs waiting for the next Tick: written in one transaction, or dropped when the
  // trial's RESULT (which carries every step) arrives first.
  std::vector<std::pair<storage::TrialKey, StepScores>> reports_;
  std::unique_ptr<Pruning> pruning_;  // early stopping (pruning.hpp)
};

}  // namespace krige::service
