// Experiment tracking's values (issue 11): runs, their params, tags and metric points, and the
// JSON codec of each, shared by the server, the SDK's Tracker, the CLI and the tests.
//
// JSON of a metric value: a number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON
// has no literal for them; this is protobuf's JSON mapping, which MLflow's REST API uses).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "krige/codec.hpp"
#include "krige/error.hpp"

namespace krige {

enum class RunStatus { kScheduled, kRunning, kFinished, kFailed, kKilled };
const char* RunStatusName(RunStatus status);  // "scheduled", "running", "finished", ...
// Throws Error(kInvalidArgument) naming `field` for any other text.
RunStatus RunStatusFromName(const std::string& name, const std::string& field = "status");

struct MetricPoint {
  std::string key;
  double value = 0;            // any double, NaN and infinities included
  std::int64_t step = 0;       // >= 0
  std::int64_t timestamp = 0;  // milliseconds since the Unix epoch
};

struct RunInfo {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  std::string experiment_name;
  std::optional<std::int64_t> trial_id;  // set for a sweep's trial
  std::optional<std::int64_t> parent_run_id;
  std::string name;
  RunStatus status = RunStatus::kRunning;
  std::int64_t start_time = 0;           // ms since the epoch
  std::optional<std::int64_t> end_time;  // ms since the epoch
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  std::map<std::string, MetricPoint> latest_metrics;  // by key: the point of largest (step, ts)
};

struct TrackingExperiment {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> sweep_id;  // the sweep (krige experiment) it mirrors
  std::map<std::string, std::string> tags;
};

// A metric value as JSON (see the file comment) and back; a value that is neither a number nor
// one of the three strings throws Error(kInvalidArgument) naming `field`.
Json MetricValueToJson(double value);
double MetricValueFromJson(const Json& j, const std::string& field);

// Appends what the server would refuse in `point` (its key: 1 to limits::kRunKeyBytes of text
// without control characters; step and timestamp: 0 to 2^53) to `problems`, each named
// `field` + ".key" / ".step" / ".timestamp". The one check of a point, used by the server and
// the SDK alike.
void CheckMetricPoint(const MetricPoint& point, const std::string& field,
                      std::vector<FieldProblem>& problems);

Json ToJson(const MetricPoint& point);
Json ToJson(const RunInfo& run);
RunInfo RunInfoFromJson(const Json& j);
Json ToJson(const TrackingExperiment& experiment);
TrackingExperiment TrackingExperimentFromJson(const Json& j);

}  // namespace krige
