// Experiment tracking from a user's own code (issue 11), MLflow-style:
//
//   krige::Tracker tracker(client);
//   krige::Run run = tracker.StartRun("exp", {{"lr", "0.1"}}, {{"team", "x"}});
//   for (int step = 0; step < n; ++step) run.LogMetric("loss", loss, step);
//   run.LogArtifact("model.bin", "/tmp/model.bin");
//   run.End(krige::RunStatus::kFinished);
//
// LogMetric, LogParam and SetTag only append to the run's buffer (a mutex and a vector of
// 32-byte records; keys are interned): they never wait for the network. Background threads
// per run (three, each with its own connection when the client speaks HTTP) send the buffer in
// batches (POST /api/v1/runs/{id}/log, up to limits::kLogBatchMetrics points each), several in
// flight at once; params and tags go in order through one of them. A sender retries a batch
// that could not be delivered (server restarting, unreachable, 503) until
// TrackerOptions::retry_for has passed; a retried batch is stored once (the server keys points
// by run, key, step and timestamp). The buffer is bounded (TrackerOptions::max_buffered): only
// when that many points wait for a server that is away does LogMetric block, until there is
// room. Flush(), End() and the destructor of the last handle wait until everything logged is
// stored.
//
// Thread-safety: a Run may be used from several threads at once. Tracker is a cheap value.
// Errors: StartRun, End, Flush, LogArtifact and the queries throw krige::Error as Client does;
// a batch the server refused for good (a 4xx) is dropped and its error rethrown by the next
// Flush() or End(). LogMetric throws Error(kInvalidArgument) at once for a key or step the
// server would refuse.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/client.hpp"
#include "krige/limits.hpp"
#include "krige/run.hpp"

namespace krige {

struct TrackerOptions {
  std::size_t max_batch = limits::kLogBatchMetrics;  // points per request (1..kLogBatchMetrics)
  std::size_t max_buffered = 1000000;  // points held while the server is away; then LogMetric waits
  std::chrono::milliseconds flush_interval{200};  // the longest a point waits before it is sent
  std::chrono::milliseconds retry_for{std::chrono::minutes(5)};  // then a batch is given up
};

struct RunQuery {
  std::vector<std::string> experiment_names;
  std::vector<std::int64_t> experiment_ids;
  std::string filter;                 // e.g. "metrics.accuracy > 0.9 and params.model = 'svc'"
  std::vector<std::string> order_by;  // e.g. {"metrics.loss ASC"}
  int limit = 0;                      // 0: every match (cursor pages are followed)
};

namespace detail {
class RunState;
}

// A handle on one run. Copies share the run; the last one to go ends it (kFinished, or
// kFailed while an exception unwinds) unless End was called. Moved-from handles are empty.
class Run {
 public:
  Run() = default;
  ~Run();
  Run(const Run&) = default;
  Run& operator=(const Run&) = default;
  Run(Run&&) noexcept = default;
  Run& operator=(Run&&) noexcept = default;

  std::int64_t id() const;
  explicit operator bool() const { return static_cast<bool>(state_); }

  // `timestamp_ms` 0: now.
  void LogMetric(const std::string& key, double value, std::int64_t step = 0,
                 std::int64_t timestamp_ms = 0);
  void LogParam(const std::string& key, const std::string& value);
  void SetTag(const std::string& key, const std::string& value);
  // Uploads the file at `local_path` as the artifact `artifact_path` ("plots/loss.png") now,
  // synchronously (PUT /api/v1/runs/{id}/artifacts/{path}).
  void LogArtifact(const std::string& artifact_path, const std::string& local_path);
  // Waits until everything logged so far is stored; rethrows a batch's final error.
  void Flush();
  // Flushes, then records the end (POST /api/v1/runs/{id}/end). Later calls do nothing.
  void End(RunStatus status = RunStatus::kFinished);

  // Points accepted by the server so far, and points given up (a refused or expired batch).
  std::size_t points_sent() const;
  std::size_t points_dropped() const;

 private:
  friend class Tracker;
  explicit Run(std::shared_ptr<detail::RunState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::RunState> state_;
};

class Tracker {
 public:
  explicit Tracker(Client client, TrackerOptions options = {});

  // POST /api/v1/runs: a new run in the experiment named `experiment` (created when absent).
  Run StartRun(const std::string& experiment, const std::map<std::string, std::string>& params = {},
               const std::map<std::string, std::string>& tags = {}, const std::string& name = "",
               std::optional<std::int64_t> parent_run_id = std::nullopt);
  // A handle on a run that exists (one started elsewhere). Its last handle ends it, as
  // StartRun's do.
  Run AttachRun(std::int64_t run_id);
  // The run of a sweep's trial (GET /api/v1/trials/{id}/run): log steps, tags and artifacts
  // to it; its last handle flushes but does not end it (the trial's status is its status).
  Run TrialRun(std::int64_t trial_id);

  RunInfo GetRun(std::int64_t run_id) const;
  // POST /api/v1/runs/search, following cursors up to query.limit runs.
  std::vector<RunInfo> SearchRuns(const RunQuery& query) const;
  // The whole history of one metric, in (step, timestamp) order.
  std::vector<MetricPoint> MetricHistory(std::int64_t run_id, const std::string& key) const;
  std::optional<TrackingExperiment> FindExperiment(const std::string& name_or_id) const;

  const Client& client() const { return client_; }

 private:
  Client client_;
  TrackerOptions options_;
};

}  // namespace krige
