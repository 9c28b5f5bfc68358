#include "krige/run.hpp"

#include <cmath>
#include <limits>

#include "krige/error.hpp"
#include "krige/limits.hpp"

namespace krige {
namespace {

Json StringMap(const std::map<std::string, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

std::map<std::string, std::string> StringMapFromJson(const Json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

std::optional<std::int64_t> OptionalInt(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kScheduled:
      return "scheduled";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kKilled:
      return "killed";
  }
  return "running";
}

RunStatus RunStatusFromName(const std::string& name, const std::string& field) {
  for (RunStatus s : {RunStatus::kScheduled, RunStatus::kRunning, RunStatus::kFinished,
                      RunStatus::kFailed, RunStatus::kKilled})
    if (name == RunStatusName(s)) return s;
  throw Error(ErrorCode::kInvalidArgument,
              "a run status is one of scheduled, running, finished, failed, killed (not \"" +
                  name.substr(0, 64) + "\")",
              field);
}

Json MetricValueToJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

double MetricValueFromJson(const Json& j, const std::string& field) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw Error(ErrorCode::kInvalidArgument,
              "a metric value is a number or \"NaN\", \"Infinity\", \"-Infinity\"", field);
}

void CheckMetricPoint(const MetricPoint& p, const std::string& field,
                      std::vector<FieldProblem>& problems) {
  // Most keys are short ASCII: checked cheaply first.
  bool plain = !p.key.empty() && p.key.size() <= limits::kRunKeyBytes;
  for (unsigned char c : p.key) plain = plain && c >= 0x20 && c < 0x7f;
  if (!plain) {
    std::string problem =
        p.key.empty() ? "must not be empty" : TextProblem(p.key, limits::kRunKeyBytes);
    if (problem.empty())
      for (unsigned char c : p.key)
        if (c < 0x20 || c == 0x7f) problem = "control characters are not allowed";
    if (!problem.empty()) problems.push_back({field + ".key", problem});
  }
  if (p.step < 0 || p.step > limits::kMetricStepMax)
    problems.push_back({field + ".step", "a step is an integer from 0 to 2^53"});
  if (p.timestamp < 0 || p.timestamp > limits::kMetricStepMax)
    problems.push_back({field + ".timestamp", "milliseconds since the Unix epoch, 0 to 2^53"});
}

Json ToJson(const MetricPoint& p) {
  return {{"key", p.key},
          {"value", MetricValueToJson(p.value)},
          {"step", p.step},
          {"timestamp", p.timestamp}};
}

Json ToJson(const RunInfo& r) {
  Json latest = Json::object();
  for (const auto& [k, p] : r.latest_metrics)
    latest[k] = {
        {"value", MetricValueToJson(p.value)}, {"step", p.step}, {"timestamp", p.timestamp}};
  return {{"id", r.id},
          {"experiment_id", r.experiment_id},
          {"experiment_name", r.experiment_name},
          {"trial_id", r.trial_id ? Json(*r.trial_id) : Json()},
          {"parent_run_id", r.parent_run_id ? Json(*r.parent_run_id) : Json()},
          {"name", r.name},
          {"status", RunStatusName(r.status)},
          {"start_time", r.start_time},
          {"end_time", r.end_time ? Json(*r.end_time) : Json()},
          {"params", StringMap(r.params)},
          {"tags", StringMap(r.tags)},
          {"metrics", std::move(latest)}};
}

RunInfo RunInfoFromJson(const Json& j) {
  try {
    RunInfo r;
    r.id = j.at("id").get<std::int64_t>();
    r.experiment_id = j.at("experiment_id").get<std::int64_t>();
    r.experiment_name = j.value("experiment_name", "");
    r.trial_id = OptionalInt(j, "trial_id");
    r.parent_run_id = OptionalInt(j, "parent_run_id");
    r.name = j.value("name", "");
    r.status = RunStatusFromName(j.at("status").get<std::string>());
    r.start_time = j.value("start_time", std::int64_t{0});
    r.end_time = OptionalInt(j, "end_time");
    if (j.contains("params")) r.params = StringMapFromJson(j.at("params"));
    if (j.contains("tags")) r.tags = StringMapFromJson(j.at("tags"));
    if (j.contains("metrics") && j.at("metrics").is_object())
      for (const auto& [k, v] : j.at("metrics").items())
        r.latest_metrics[k] =
            MetricPoint{k, MetricValueFromJson(v.at("value"), "metrics." + k),
                        v.value("step", std::int64_t{0}), v.value("timestamp", std::int64_t{0})};
    return r;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, std::string("malformed run: ") + e.what());
  }
}

Json ToJson(const TrackingExperiment& e) {
  return {{"id", e.id},
          {"name", e.name},
          {"sweep_id", e.sweep_id ? Json(*e.sweep_id) : Json()},
          {"tags", StringMap(e.tags)}};
}

TrackingExperiment TrackingExperimentFromJson(const Json& j) {
  try {
    TrackingExperiment e;
    e.id = j.at("id").get<std::int64_t>();
    e.name = j.at("name").get<std::string>();
    e.sweep_id = OptionalInt(j, "sweep_id");
    if (j.contains("tags")) e.tags = StringMapFromJson(j.at("tags"));
    return e;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, std::string("malformed experiment: ") + e.what());
  }
}

}  // namespace krige
