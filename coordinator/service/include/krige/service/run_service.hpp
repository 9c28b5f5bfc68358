// Experiment tracking (issue 11): runs, their metrics, params, tags and artifacts. The web
// layer depends on this interface only; coordinator/service/runs.cpp implements it over the
// RunRepository and an artifact directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "krige/run.hpp"

namespace krige::service {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct CreateRunRequest {
  std::optional<std::int64_t> experiment_id;  // either this
  std::string experiment_name;                // or this (created when absent)
  KeyValues experiment_tags;                  // set on the experiment
  std::string name;
  KeyValues params;
  KeyValues tags;
  std::optional<std::int64_t> parent_run_id;
  std::optional<std::int64_t> start_time;  // ms; default now
};

struct CreatedRun {
  RunInfo run;
  bool created = true;
};

struct LogBatch {
  std::vector<MetricPoint> metrics;
  KeyValues params;
  KeyValues tags;
};

struct RunSearch {
  std::vector<std::int64_t> experiment_ids;  // 1..kRunSearchExperiments
  std::string filter;
  std::vector<std::string> order_by;
  int limit = 100;
  std::string cursor;  // "" or a next_cursor
};

struct RunPage {
  std::vector<RunInfo> runs;
  std::string next_cursor;  // "" on the last page
};

struct MetricPage {
  std::vector<MetricPoint> points;  // by (step, timestamp)
  std::string next_cursor;
};

struct ExperimentRuns {
  TrackingExperiment experiment;
  std::int64_t runs = 0;
};

struct ArtifactInfo {
  std::string path;  // relative to the run's directory, '/'-separated
  std::int64_t size = 0;
};

// Thread-safe: called concurrently from the HTTP handler threads. Errors are krige::Error:
// kInvalidArgument (with the field) for a bad input, kNotFound for an unknown run, experiment
// or artifact, kFailedPrecondition for changing a logged param or ending a trial's run (the
// scheduler owns those), kUnavailable when the database is unreachable.
class RunService {
 public:
  virtual ~RunService() = default;
  virtual CreatedRun CreateRun(const CreateRunRequest& request) = 0;
  virtual RunInfo GetRun(std::int64_t id) = 0;
  // The run of a sweep's trial (made with the trial); kNotFound when there is no such trial.
  virtual RunInfo GetTrialRun(std::int64_t trial_id) = 0;
  // Idempotent: a batch sent again changes nothing (points are keyed by run, key, step and
  // timestamp; params must keep their value; tags are set again to the same value).
  virtual void Log(std::int64_t id, const LogBatch& batch) = 0;
  virtual RunInfo End(std::int64_t id, RunStatus status, std::optional<std::int64_t> end_time) = 0;
  virtual MetricPage History(std::int64_t id, const std::string& key, int limit,
                             const std::string& cursor) = 0;
  virtual RunPage Search(const RunSearch& search) = 0;
  virtual TrackingExperiment GetExperiment(std::int64_t id) = 0;
  virtual std::optional<TrackingExperiment> FindExperiment(const std::string& name) = 0;
  // The newest `limit` experiments (1..limits::kRunSearchPage), each with its number of runs.
  virtual std::vector<ExperimentRuns> ListExperiments(int limit) = 0;
  virtual TrackingExperiment SetExperimentTags(std::int64_t id, const KeyValues& tags) = 0;
  // `path` as the route captured it ('/'-joined, percent-decoded segments). A path that could
  // leave the run's directory ("..", absolute, NUL, a symbolic link on the way) is a 400 and
  // nothing is written.
  virtual ArtifactInfo PutArtifact(std::int64_t id, const std::string& path,
                                   const std::string& bytes) = 0;
  virtual std::string GetArtifact(std::int64_t id, const std::string& path) = 0;
  virtual std::vector<ArtifactInfo> ListArtifacts(std::int64_t id) = 0;
};

}  // namespace krige::service
