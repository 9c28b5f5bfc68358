#include "wire.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "krige/codec.hpp"
#include "krige/limits.hpp"

namespace krige::wire {
namespace {

Json RefJson(const TrialRef& r) {
  return {{"trial_id", r.trial_id}, {"attempt", r.attempt}};
}

// Decoding helpers: each throws std::invalid_argument naming the key, which Decode turns into
// a malformed-message error (counted and dropped by the dispatcher).
[[noreturn]] void Bad(const std::string& key, const std::string& why) {
  throw std::invalid_argument(key + " " + why);
}

std::int64_t Int(const Json& j, const char* key, std::int64_t low, std::int64_t high) {
  const Json& v = j.at(key);
  if (!v.is_number_integer()) Bad(key, "must be an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(high))
    Bad(key, "is out of range");
  const auto i = v.get<std::int64_t>();
  if (i < low || i > high) Bad(key, "is out of range");
  return i;
}

double Finite(const Json& v, const std::string& key) {
  if (!v.is_number()) Bad(key, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) Bad(key, "must be finite");  // JSON overflow: 1e400
  return d;
}

// An identifier: kept exactly, so refused when it is not storable text.
std::string Id(const Json& j, const char* key) {
  const auto text = j.at(key).get<std::string>();
  if (text.empty()) Bad(key, "must not be empty");
  const std::string problem = TextProblem(text, limits::kNameBytes);
  if (!problem.empty()) Bad(key, problem);
  return text;
}

// Informational text (host names, error messages): kept, but cut and cleaned rather than
// refused, so that a worker's FAIL with a long traceback is still recorded.
std::string Info(const Json& j, const char* key, std::size_t max_bytes) {
  if (!j.contains(key) || j[key].is_null()) return {};
  return SanitizeText(j.at(key).get_ref<const std::string&>(), max_bytes);
}

TrialRef RefFrom(const Json& j) {
  return {Int(j, "trial_id", 1, std::numeric_limits<std::int64_t>::max()),
          static_cast<int>(Int(j, "attempt", 1, std::numeric_limits<int>::max()))};
}

std::map<std::string, double> Scores(const Json& j, const std::string& key) {
  if (!j.is_object()) Bad(key, "must be an object of numbers");
  if (j.size() > kMaxMetrics) Bad(key, "has too many entries");
  std::map<std::string, double> out;
  for (const auto& item : j.items()) {
    if (!TextProblem(item.key(), limits::kNameBytes).empty()) Bad(key, "has a malformed name");
    out[item.key()] = Finite(item.value(), key + "." + item.key());
  }
  return out;
}

StepScores Step(const Json& j) {
  StepScores s;
  s.step = static_cast<int>(Int(j, "step", 0, std::numeric_limits<int>::max()));
  s.values = Scores(j.at("values"), "values");
  return s;
}

int Slots(const Json& j, int low) {
  return static_cast<int>(Int(j, "slots", low, kMaxSlots));
}

// HELLO and HEARTBEAT: what the worker runs. Absent: nothing (a worker must say).
std::vector<std::string> Kinds(const Json& j) {
  std::vector<std::string> kinds;
  if (!j.contains("kinds")) return kinds;
  const Json& list = j.at("kinds");
  if (!list.is_array() || list.size() > kMaxKinds) Bad("kinds", "must be a list of at most 256");
  for (const auto& k : list) {
    if (!k.is_string()) Bad("kinds", "must be strings");
    const auto& text = k.get_ref<const std::string&>();
    if (text.empty() || !TextProblem(text, limits::kNameBytes).empty())
      Bad("kinds", "has a malformed entry");
    kinds.push_back(text);
  }
  return kinds;
}

std::int64_t Only(const Json& j) {
  return j.contains("experiment")
             ? Int(j, "experiment", 0, std::numeric_limits<std::int64_t>::max())
             : 0;
}

Json Body(const Hello& m) {
  Json j = {{"worker_id", m.worker_id},
            {"slots", m.slots},
            {"hostname", m.hostname},
            {"version", m.version},
            {"kinds", m.kinds}};
  if (m.experiment != 0) j["experiment"] = m.experiment;
  return j;
}
Json Body(const Ready& m) {
  return {{"slots", m.slots}};
}
Json Body(const Assign& m) {
  Json j = RefJson(m.trial);
  j["experiment_id"] = m.experiment_id;
  j["number"] = m.number;
  j["params"] = ToJson(m.params);
  j["training"] = ToJson(m.training);
  j["objective"] = {{"metric", m.objective.metric},
                    {"goal", m.objective.goal == Goal::kMaximize ? "maximize" : "minimize"}};
  if (!m.api_url.empty()) j["api_url"] = m.api_url;
  if (!m.dataset_capability.empty()) j["dataset_capability"] = m.dataset_capability;
  if (!m.experiment_name.empty()) j["experiment_name"] = m.experiment_name;
  if (m.await_verdicts) j["await_verdicts"] = true;
  return j;
}
Json Body(const Heartbeat& m) {
  Json running = Json::array();
  for (const auto& r : m.running) running.push_back(RefJson(r));
  Json j = {{"slots", m.slots}, {"running", running}, {"kinds", m.kinds}};
  if (m.experiment != 0) j["experiment"] = m.experiment;
  return j;
}
Json Body(const Report& m) {
  Json j = RefJson(m.trial);
  j["scores"] = ToJson(m.scores);
  return j;
}
Json Body(const Prune& m) {
  return RefJson(m.trial);
}
Json Body(const Continue& m) {
  Json j = RefJson(m.trial);
  j["step"] = m.step;
  return j;
}
Json Body(const Result& m) {
  Json j = RefJson(m.trial);
  j["value"] = m.value;
  j["metrics"] = m.metrics;
  j["steps"] = Json::array();
  for (const auto& s : m.steps) j["steps"].push_back(ToJson(s));
  j["seconds"] = m.seconds;
  return j;
}
Json Body(const Fail& m) {
  Json j = RefJson(m.trial);
  j["error"] = m.error;
  return j;
}
Json Body(const Ack& m) {
  Json j = RefJson(m.trial);
  j["accepted"] = m.accepted;
  return j;
}
Json Body(const Bye&) {
  return Json::object();
}

const char* Name(const Hello&) {
  return "HELLO";
}
const char* Name(const Ready&) {
  return "READY";
}
const char* Name(const Assign&) {
  return "ASSIGN";
}
const char* Name(const Heartbeat&) {
  return "HEARTBEAT";
}
const char* Name(const Report&) {
  return "REPORT";
}
const char* Name(const Prune&) {
  return "PRUNE";
}
const char* Name(const Continue&) {
  return "CONTINUE";
}
const char* Name(const Result&) {
  return "RESULT";
}
const char* Name(const Fail&) {
  return "FAIL";
}
const char* Name(const Ack&) {
  return "ACK";
}
const char* Name(const Bye&) {
  return "BYE";
}

Message DecodeBody(const std::string& type, const Json& j) {
  if (type == "HELLO") {
    Hello m;
    m.worker_id = Id(j, "worker_id");
    m.slots = Slots(j, 1);
    m.hostname = Info(j, "hostname", kMaxInfoBytes);
    m.version = Info(j, "version", kMaxInfoBytes);
    m.kinds = Kinds(j);
    m.experiment = Only(j);
    return m;
  }
  if (type == "READY") return Ready{Slots(j, 0)};
  if (type == "ASSIGN") {
    Assign m;
    m.trial = RefFrom(j);
    m.experiment_id = Int(j, "experiment_id", 1, std::numeric_limits<std::int64_t>::max());
    m.number = j.contains("number")
                   ? static_cast<int>(Int(j, "number", 0, std::numeric_limits<int>::max()))
                   : 0;
    m.params = ParamsFromJson(j.at("params"));
    m.training = TrainingFromJson(j.at("training"));
    m.objective.metric = j.at("objective").at("metric").get<std::string>();
    m.objective.goal = j.at("objective").at("goal").get<std::string>() == "maximize"
                           ? Goal::kMaximize
                           : Goal::kMinimize;
    m.api_url = j.value("api_url", "");
    m.dataset_capability = j.value("dataset_capability", "");
    m.experiment_name = Info(j, "experiment_name", limits::kNameBytes);
    if (j.contains("await_verdicts")) {
      if (!j["await_verdicts"].is_boolean()) Bad("await_verdicts", "must be a boolean");
      m.await_verdicts = j["await_verdicts"].get<bool>();
    }
    return m;
  }
  if (type == "HEARTBEAT") {
    Heartbeat m;
    m.slots = Slots(j, 1);
    const Json& running = j.at("running");
    if (!running.is_array() || running.size() > kMaxRunning) Bad("running", "is too long");
    for (const auto& r : running) m.running.push_back(RefFrom(r));
    m.kinds = Kinds(j);
    m.experiment = Only(j);
    return m;
  }
  if (type == "REPORT") return Report{RefFrom(j), Step(j.at("scores"))};
  if (type == "PRUNE") return Prune{RefFrom(j)};
  if (type == "CONTINUE")
    return Continue{RefFrom(j),
                    static_cast<int>(Int(j, "step", 0, std::numeric_limits<int>::max()))};
  if (type == "RESULT") {
    Result m;
    m.trial = RefFrom(j);
    m.value = Finite(j.at("value"), "value");
    m.metrics = Scores(j.at("metrics"), "metrics");
    const Json& steps = j.at("steps");
    if (!steps.is_array() || steps.size() > kMaxSteps) Bad("steps", "is too long");
    for (const auto& s : steps) m.steps.push_back(Step(s));
    m.seconds = j.contains("seconds") ? Finite(j["seconds"], "seconds") : 0.0;
    if (m.seconds < 0) Bad("seconds", "must be >= 0");
    return m;
  }
  if (type == "FAIL") {
    if (!j.at("error").is_string()) Bad("error", "must be a string");
    return Fail{RefFrom(j), Info(j, "error", kMaxErrorBytes)};
  }
  if (type == "ACK") return Ack{RefFrom(j), j.value("accepted", true)};
  if (type == "BYE") return Bye{};
  throw Error(ErrorCode::kInvalidArgument, "unknown message type \"" + type + "\"");
}

}  // namespace

const char* TypeName(const Message& message) {
  return std::visit([](const auto& m) { return Name(m); }, message);
}

std::vector<std::string> Encode(const Message& message) {
  return std::visit(
      [](const auto& m) {
        return std::vector<std::string>{kProtocol, Name(m), Body(m).dump()};
      },
      message);
}

Message Decode(const std::vector<std::string>& frames) {
  if (frames.size() != 3) {
    throw Error(ErrorCode::kInvalidArgument,
                "expected 3 frames, got " + std::to_string(frames.size()));
  }
  if (frames[0] != kProtocol) throw Error(ErrorCode::kInvalidArgument, "unknown protocol tag");
  try {
    return DecodeBody(frames[1], Json::parse(frames[2]));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, frames[1] + ": malformed body: " + e.what());
  }
}

}  // namespace krige::wire
