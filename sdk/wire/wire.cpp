#include "wire.hpp"

#include "krige/codec.hpp"

namespace krige::wire {
namespace {

Json RefJson(const TrialRef& r) {
  return {{"trial_id", r.trial_id}, {"attempt", r.attempt}};
}
TrialRef RefFrom(const Json& j) {
  return {j.at("trial_id").get<std::int64_t>(), j.at("attempt").get<int>()};
}

Json Body(const Hello& m) {
  return {{"worker_id", m.worker_id},
          {"slots", m.slots},
          {"hostname", m.hostname},
          {"version", m.version}};
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
  return j;
}
Json Body(const Heartbeat& m) {
  Json running = Json::array();
  for (const auto& r : m.running) running.push_back(RefJson(r));
  return {{"slots", m.slots}, {"running", running}};
}
Json Body(const Report& m) {
  Json j = RefJson(m.trial);
  j["scores"] = ToJson(m.scores);
  return j;
}
Json Body(const Prune& m) {
  return RefJson(m.trial);
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
    m.worker_id = j.at("worker_id").get<std::string>();
    m.slots = j.at("slots").get<int>();
    m.hostname = j.value("hostname", "");
    m.version = j.value("version", "");
    if (m.worker_id.empty() || m.slots < 1) throw std::invalid_argument("bad HELLO");
    return m;
  }
  if (type == "READY") {
    Ready m{j.at("slots").get<int>()};
    if (m.slots < 0) throw std::invalid_argument("negative slots");
    return m;
  }
  if (type == "ASSIGN") {
    Assign m;
    m.trial = RefFrom(j);
    m.experiment_id = j.at("experiment_id").get<std::int64_t>();
    m.number = j.value("number", 0);
    m.params = ParamsFromJson(j.at("params"));
    m.training = TrainingFromJson(j.at("training"));
    m.objective.metric = j.at("objective").at("metric").get<std::string>();
    m.objective.goal = j.at("objective").at("goal").get<std::string>() == "maximize"
                           ? Goal::kMaximize
                           : Goal::kMinimize;
    m.api_url = j.value("api_url", "");
    m.dataset_capability = j.value("dataset_capability", "");
    return m;
  }
  if (type == "HEARTBEAT") {
    Heartbeat m;
    m.slots = j.at("slots").get<int>();
    for (const auto& r : j.at("running")) m.running.push_back(RefFrom(r));
    return m;
  }
  if (type == "REPORT") return Report{RefFrom(j), StepScoresFromJson(j.at("scores"))};
  if (type == "PRUNE") return Prune{RefFrom(j)};
  if (type == "RESULT") {
    Result m;
    m.trial = RefFrom(j);
    m.value = j.at("value").get<double>();
    m.metrics = j.at("metrics").get<std::map<std::string, double>>();
    for (const auto& s : j.at("steps")) m.steps.push_back(StepScoresFromJson(s));
    m.seconds = j.value("seconds", 0.0);
    return m;
  }
  if (type == "FAIL") return Fail{RefFrom(j), j.at("error").get<std::string>()};
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
