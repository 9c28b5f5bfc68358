// /api/v1/runs: experiment tracking (create, log a batch, end, get, metric history, search,
// artifacts) and /api/v1/tracking/experiments. Decode -> one service call -> encode; every
// decoding problem is a 400 naming its field path.
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>

#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"
#include "krige/limits.hpp"

namespace krige::web {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Bad(const std::string& field, const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message, field);
}

const Json* Find(const Json& body, const char* key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::int64_t Int(const Json& j, const std::string& field) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d)) && d >= -9.0e15 && d <= 9.0e15)
      return static_cast<std::int64_t>(d);
  }
  Bad(field, "must be an integer");
}

std::string Text(const Json& j, const std::string& field) {
  if (!j.is_string()) Bad(field, "must be a string");
  return j.get<std::string>();
}

// A param or tag value: a string; numbers and booleans are taken as their JSON text.
std::string ValueText(const Json& j, const std::string& field) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number() || j.is_boolean()) return j.dump();
  Bad(field, "must be a string (or a number or boolean, stored as text)");
}

// {"k": "v", ...} or [{"key": "k", "value": "v"}, ...] (MLflow's shape).
service::KeyValues Pairs(const Json& body, const char* key) {
  service::KeyValues out;
  const Json* j = Find(body, key);
  if (!j) return out;
  const std::string field = key;
  if (j->is_object()) {
    if (j->size() > limits::kRunParams) Bad(field, "too many entries");
    for (const auto& [k, v] : j->items()) out.emplace_back(k, ValueText(v, field + "." + k));
  } else if (j->is_array()) {
    if (j->size() > limits::kRunParams) Bad(field, "too many entries");
    for (std::size_t i = 0; i < j->size(); ++i) {
      const Json& e = (*j)[i];
      const std::string f = field + "[" + std::to_string(i) + "]";
      if (!e.is_object() || !e.contains("key") || !e.contains("value"))
        Bad(f, "must be {\"key\": ..., \"value\": ...}");
      out.emplace_back(Text(e.at("key"), f + ".key"), ValueText(e.at("value"), f + ".value"));
    }
  } else {
    Bad(field, "must be an object of strings or a list of {key, value}");
  }
  return out;
}

Json Object(const Json& body) {
  if (!body.is_object()) Bad("body", "must be a JSON object");
  return body;
}

Json ExperimentJson(const TrackingExperiment& e) {
  return ToJson(e);
}

Json ArtifactJson(const service::ArtifactInfo& a) {
  return {{"path", a.path}, {"size", a.size}};
}

// The batch shape the SDK sends, read without building a JSON document (which costs about as
// much as storing the points): {"metrics": [{"key": "loss", "value": 0.5, "step": 3,
// "timestamp": 1700000000000}, ...], "params": ..., "tags": ...} with ASCII keys without
// escapes, numbers or "NaN"/"Infinity"/"-Infinity" as values, integer steps and timestamps,
// every point valid. Anything else (a problem to report, an unusual spelling) makes Parse
// return false, and the general decoder below reads the body and names every problem; so
// both accept and store the same batches.
class FastBatch {
 public:
  explicit FastBatch(const std::string& text) : s_(text) {}

  bool Parse(service::LogBatch& batch, std::int64_t now) {
    Ws();
    if (!Eat('{')) return false;
    Ws();
    if (Eat('}')) return End();
    while (true) {
      std::string name;
      if (!PlainString(name, 64)) return false;
      Ws();
      if (!Eat(':')) return false;
      Ws();
      if (name == "metrics") {
        if (!Metrics(batch.metrics, now)) return false;
      } else if (name == "params" || name == "tags") {
        const std::size_t begin = at_;
        if (!Skip()) return false;
        try {
          pairs_[name] = ParseJson(s_.substr(begin, at_ - begin));
        } catch (const Error&) {
          return false;
        }
      } else {
        return false;  // not a field of a batch: the general decoder says what it makes of it
      }
      if (!seen_.insert(name).second) return false;
      Ws();
      if (Eat('}')) break;
      if (!Eat(',')) return false;
      Ws();
    }
    if (!End()) return false;
    try {
      batch.params = Pairs(pairs_, "params");
      batch.tags = Pairs(pairs_, "tags");
    } catch (const Error&) {
      return false;
    }
    return true;
  }

 private:
  bool End() {
    Ws();
    return at_ == s_.size();
  }
  void Ws() {
    while (at_ < s_.size() &&
           (s_[at_] == ' ' || s_[at_] == '\n' || s_[at_] == '\r' || s_[at_] == '\t'))
      ++at_;
  }
  bool Eat(char c) {
    if (at_ < s_.size() && s_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  // "text" of printable ASCII without escapes.
  bool PlainString(std::string& out, std::size_t max) {
    if (!Eat('"')) return false;
    const std::size_t begin = at_;
    while (at_ < s_.size() && s_[at_] != '"') {
      const unsigned char c = static_cast<unsigned char>(s_[at_]);
      if (c < 0x20 || c >= 0x7f || c == '\\' || at_ - begin >= max) return false;
      ++at_;
    }
    if (at_ >= s_.size()) return false;
    out.assign(s_, begin, at_ - begin);
    ++at_;
    return true;
  }
  // The extent of a JSON number (its grammar checked); from_chars reads it.
  bool NumberText(bool integer_only, std::size_t& begin) {
    begin = at_;
    Eat('-');
    if (Eat('0')) {
    } else if (at_ < s_.size() && s_[at_] >= '1' && s_[at_] <= '9') {
      while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_]))) ++at_;
    } else {
      return false;
    }
    if (integer_only) return at_ < s_.size() && s_[at_] != '.' && s_[at_] != 'e' && s_[at_] != 'E';
    if (Eat('.')) {
      if (at_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[at_]))) return false;
      while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_]))) ++at_;
    }
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (at_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[at_]))) return false;
      while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_]))) ++at_;
    }
    return true;
  }
  bool Integer(std::int64_t& out) {
    std::size_t begin = 0;
    if (!NumberText(true, begin)) return false;
    const auto r = std::from_chars(s_.data() + begin, s_.data() + at_, out);
    return r.ec == std::errc() && r.ptr == s_.data() + at_;
  }
  bool Value(double& out) {
    if (at_ < s_.size() && s_[at_] == '"') {
      std::string word;
      if (!PlainString(word, 16)) return false;
      if (word == "NaN")
        out = std::numeric_limits<double>::quiet_NaN();
      else if (word == "Infinity")
        out = std::numeric_limits<double>::infinity();
      else if (word == "-Infinity")
        out = -std::numeric_limits<double>::infinity();
      else
        return false;
      return true;
    }
    std::size_t begin = 0;
    if (!NumberText(false, begin)) return false;
    const auto r = std::from_chars(s_.data() + begin, s_.data() + at_, out);
    return r.ec == std::errc() && r.ptr == s_.data() + at_ && std::isfinite(out);
  }
  bool Metrics(std::vector<MetricPoint>& out, std::int64_t now) {
    if (!Eat('[')) return false;
    Ws();
    if (Eat(']')) return true;
    out.reserve(std::min<std::size_t>(s_.size() / 48, limits::kLogBatchMetrics));
    static const std::string kAny = "metrics[]";
    std::vector<FieldProblem> problems;
    while (true) {
      if (out.size() >= limits::kLogBatchMetrics) return false;
      MetricPoint& p = out.emplace_back();
      p.timestamp = now;
      bool key = false, value = false;
      if (!Eat('{')) return false;
      Ws();
      if (!Eat('}')) {
        while (true) {
          if (!PlainString(field_, 16)) return false;
          Ws();
          if (!Eat(':')) return false;
          Ws();
          if (field_ == "key") {
            if (!PlainString(p.key, limits::kRunKeyBytes)) return false;
            key = true;
          } else if (field_ == "value") {
            if (!Value(p.value)) return false;
            value = true;
          } else if (field_ == "step") {
            if (!Integer(p.step)) return false;
          } else if (field_ == "timestamp") {
            if (!Integer(p.timestamp)) return false;
          } else {
            return false;
          }
          Ws();
          if (Eat('}')) break;
          if (!Eat(',')) return false;
          Ws();
        }
      }
      if (!key || !value) return false;
      CheckMetricPoint(p, kAny, problems);
      if (!problems.empty()) return false;
      Ws();
      if (Eat(']')) return true;
      if (!Eat(',')) return false;
      Ws();
    }
  }
  // Past one JSON value (params or tags; ParseJson then checks it).
  bool Skip() {
    if (at_ >= s_.size()) return false;
    if (s_[at_] == '"') return SkipString();
    if (s_[at_] == '{' || s_[at_] == '[') {
      int depth = 0;
      while (at_ < s_.size()) {
        const char c = s_[at_];
        if (c == '"') {
          if (!SkipString()) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if ((c == '}' || c == ']') && --depth == 0) {
          ++at_;
          return true;
        }
        ++at_;
      }
      return false;
    }
    const std::size_t begin = at_;
    while (at_ < s_.size() &&
           std::string_view(",}] \n\r\t").find(s_[at_]) == std::string_view::npos)
      ++at_;
    return at_ > begin;
  }
  bool SkipString() {
    ++at_;
    while (at_ < s_.size() && s_[at_] != '"') at_ += s_[at_] == '\\' ? 2 : 1;
    if (at_ >= s_.size()) return false;
    ++at_;
    return true;
  }

  const std::string& s_;
  std::size_t at_ = 0;
  std::string field_;
  std::set<std::string> seen_;
  Json pairs_ = Json::object();
};

}  // namespace

http::Handler CreateRun(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const Json body = Object(BodyJson(request));
    service::CreateRunRequest r;
    if (const Json* j = Find(body, "experiment_id")) r.experiment_id = Int(*j, "experiment_id");
    if (const Json* j = Find(body, "experiment_name"))
      r.experiment_name = Text(*j, "experiment_name");
    if (const Json* j = Find(body, "name")) r.name = Text(*j, "name");
    if (const Json* j = Find(body, "parent_run_id")) r.parent_run_id = Int(*j, "parent_run_id");
    if (const Json* j = Find(body, "start_time")) r.start_time = Int(*j, "start_time");
    r.params = Pairs(body, "params");
    r.tags = Pairs(body, "tags");
    r.experiment_tags = Pairs(body, "experiment_tags");
    const service::CreatedRun created = runs.CreateRun(r);
    http::Response response = JsonResponse(201, {{"run", ToJson(created.run)}});
    response.headers["Location"] = "/api/v1/runs/" + std::to_string(created.run.id);
    return response;
  };
}

namespace {
service::LogBatch DecodeBatch(const http::Request& request);
}

http::Handler LogRun(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    service::LogBatch batch;
    if (!FastBatch(request.body).Parse(batch, NowMs())) batch = DecodeBatch(request);
    runs.Log(id, batch);
    return JsonResponse(200, {{"logged",
                               {{"metrics", batch.metrics.size()},
                                {"params", batch.params.size()},
                                {"tags", batch.tags.size()}}}});
  };
}

namespace {

// The general decoder of a batch: every problem named by its field path.
service::LogBatch DecodeBatch(const http::Request& request) {
  {
    const Json body = Object(BodyJson(request));
    service::LogBatch batch;
    if (const Json* metrics = Find(body, "metrics")) {
      if (!metrics->is_array()) Bad("metrics", "must be a list of {key, value, step, timestamp}");
      if (metrics->size() > limits::kLogBatchMetrics)
        Bad("metrics", "at most " + std::to_string(limits::kLogBatchMetrics) +
                           " points per batch (send more batches)");
      batch.metrics.reserve(metrics->size());
      const std::int64_t now = NowMs();
      std::vector<FieldProblem> problems;
      for (std::size_t i = 0; i < metrics->size(); ++i) {
        const Json& m = (*metrics)[i];
        const std::string f = "metrics[" + std::to_string(i) + "]";
        try {
          if (!m.is_object()) Bad(f, "must be {key, value, step, timestamp}");
          MetricPoint p;
          const Json* key = Find(m, "key");
          if (!key) Bad(f + ".key", "is required");
          p.key = Text(*key, f + ".key");
          const Json* value = Find(m, "value");
          if (!value) Bad(f + ".value", "is required (NaN as \"NaN\")");
          p.value = MetricValueFromJson(*value, f + ".value");
          const Json* step = Find(m, "step");
          p.step = step ? Int(*step, f + ".step") : 0;
          const Json* ts = Find(m, "timestamp");
          p.timestamp = ts ? Int(*ts, f + ".timestamp") : now;
          if (problems.size() < 100) CheckMetricPoint(p, f, problems);
          batch.metrics.push_back(std::move(p));
        } catch (const Error& e) {
          if (problems.size() < 100) problems.push_back({e.field(), e.what()});
        }
      }
      if (!problems.empty()) throw ValidationError(std::move(problems));
    }
    batch.params = Pairs(body, "params");
    batch.tags = Pairs(body, "tags");
    return batch;
  }
}

}  // namespace

http::Handler EndRun(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const Json body = Object(BodyJson(request));
    const Json* status = Find(body, "status");
    const RunStatus s =
        status ? RunStatusFromName(Text(*status, "status"), "status") : RunStatus::kFinished;
    std::optional<std::int64_t> end_time;
    if (const Json* j = Find(body, "end_time")) end_time = Int(*j, "end_time");
    return JsonResponse(200, {{"run", ToJson(runs.End(id, s, end_time))}});
  };
}

http::Handler GetRun(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    return JsonResponse(200, {{"run", ToJson(runs.GetRun(PathId(request, "id")))}});
  };
}

http::Handler GetTrialRun(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    return JsonResponse(200, {{"run", ToJson(runs.GetTrialRun(PathId(request, "id")))}});
  };
}

http::Handler GetMetricHistory(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const std::string key = request.path_params.at("key");
    const int limit = QueryInt(request, "limit", 1, limits::kMetricHistoryPage, 1000);
    const auto cursor = QueryParam(request, "cursor");
    const service::MetricPage page = runs.History(id, key, limit, cursor.value_or(""));
    Json points = Json::array();
    for (const auto& p : page.points)
      points.push_back(
          {{"value", MetricValueToJson(p.value)}, {"step", p.step}, {"timestamp", p.timestamp}});
    return JsonResponse(200, {{"run_id", id},
                              {"key", key},
                              {"points", std::move(points)},
                              {"next_cursor", page.next_cursor}});
  };
}

http::Handler SearchRuns(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const Json body = Object(BodyJson(request));
    service::RunSearch search;
    if (const Json* ids = Find(body, "experiment_ids")) {
      if (!ids->is_array() || ids->size() > limits::kRunSearchExperiments)
        Bad("experiment_ids",
            "must be a list of at most " + std::to_string(limits::kRunSearchExperiments) + " ids");
      for (std::size_t i = 0; i < ids->size(); ++i)
        search.experiment_ids.push_back(
            Int((*ids)[i], "experiment_ids[" + std::to_string(i) + "]"));
    }
    if (const Json* names = Find(body, "experiment_names")) {
      if (!names->is_array() || names->size() > limits::kRunSearchExperiments)
        Bad("experiment_names", "must be a list of at most " +
                                    std::to_string(limits::kRunSearchExperiments) + " names");
      for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string f = "experiment_names[" + std::to_string(i) + "]";
        const std::string name = Text((*names)[i], f);
        const auto found = runs.FindExperiment(name);
        if (!found) throw Error(ErrorCode::kNotFound, "no experiment named \"" + name + "\"", f);
        search.experiment_ids.push_back(found->id);
      }
    }
    if (const Json* j = Find(body, "filter")) search.filter = Text(*j, "filter");
    if (const Json* order = Find(body, "order_by")) {
      if (!order->is_array() || order->size() > limits::kRunOrderBy)
        Bad("order_by", "must be a list of at most " + std::to_string(limits::kRunOrderBy) +
                            " clauses such as \"metrics.loss ASC\"");
      for (std::size_t i = 0; i < order->size(); ++i)
        search.order_by.push_back(Text((*order)[i], "order_by[" + std::to_string(i) + "]"));
    }
    if (const Json* j = Find(body, "limit")) {
      const std::int64_t limit = Int(*j, "limit");
      if (limit < 1 || limit > limits::kRunSearchPage)
        Bad("limit", "must be 1 to " + std::to_string(limits::kRunSearchPage));
      search.limit = static_cast<int>(limit);
    }
    if (const Json* j = Find(body, "cursor")) search.cursor = Text(*j, "cursor");
    const service::RunPage page = runs.Search(search);
    Json out = Json::array();
    for (const auto& r : page.runs) out.push_back(ToJson(r));
    return JsonResponse(200, {{"runs", std::move(out)}, {"next_cursor", page.next_cursor}});
  };
}

http::Handler PutArtifact(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const service::ArtifactInfo info =
        runs.PutArtifact(id, request.path_params.at("path"), request.body);
    return JsonResponse(201, {{"artifact", ArtifactJson(info)}});
  };
}

http::Handler GetArtifact(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    http::Response response;
    response.body = runs.GetArtifact(id, request.path_params.at("path"));
    response.content_type = "application/octet-stream";
    return response;
  };
}

http::Handler ListArtifacts(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    Json out = Json::array();
    for (const auto& a : runs.ListArtifacts(PathId(request, "id"))) out.push_back(ArtifactJson(a));
    return JsonResponse(200, {{"artifacts", std::move(out)}});
  };
}

http::Handler GetTrackingExperiment(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::string text = request.path_params.at("id");
    // By id, or by name when the segment is not a number.
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
      return JsonResponse(
          200, {{"experiment", ExperimentJson(runs.GetExperiment(PathId(request, "id")))}});
    const auto found = runs.FindExperiment(text);
    if (!found) throw Error(ErrorCode::kNotFound, "no experiment named \"" + text + "\"", "id");
    return JsonResponse(200, {{"experiment", ExperimentJson(*found)}});
  };
}

http::Handler ListTrackingExperiments(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const int limit = QueryInt(request, "limit", 1, limits::kRunSearchPage, 500);
    Json out = Json::array();
    for (const auto& e : runs.ListExperiments(limit)) {
      Json j = ExperimentJson(e.experiment);
      j["runs"] = e.runs;
      out.push_back(std::move(j));
    }
    return JsonResponse(200, {{"experiments", std::move(out)}});
  };
}

// Every run of one experiment (those matching ?filter=, in ?order_by= order, as the search
// pages them), a row each: the attributes, then a column per param, per metric (its latest
// value) and per tag that any of them has.
http::Handler RunsCsv(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const TrackingExperiment experiment = runs.GetExperiment(id);
    service::RunSearch search;
    search.experiment_ids = {experiment.id};
    search.filter = QueryParam(request, "filter").value_or("");
    if (const auto order = QueryParam(request, "order_by")) search.order_by = {*order};
    search.limit = limits::kRunSearchPage;
    std::vector<RunInfo> all;
    do {
      service::RunPage page = runs.Search(search);
      for (auto& r : page.runs) all.push_back(std::move(r));
      search.cursor = page.next_cursor;
    } while (!search.cursor.empty());
    std::set<std::string> params, metrics, tags;
    for (const auto& r : all) {
      for (const auto& [k, v] : r.params) params.insert(k);
      for (const auto& [k, v] : r.latest_metrics) metrics.insert(k);
      for (const auto& [k, v] : r.tags) tags.insert(k);
    }
    std::string out = "run_id,name,status,start_time,end_time,parent_run_id,trial_id";
    for (const auto& k : params) out += "," + CsvCell("param_" + k, true);
    for (const auto& k : metrics) out += "," + CsvCell("metric_" + k, true);
    for (const auto& k : tags) out += "," + CsvCell("tag_" + k, true);
    out += "\r\n";
    const auto opt = [](const std::optional<std::int64_t>& v) {
      return v ? std::to_string(*v) : std::string();
    };
    for (const auto& r : all) {
      out += std::to_string(r.id) + "," + CsvCell(r.name, true) + "," + RunStatusName(r.status) +
             "," + std::to_string(r.start_time) + "," + opt(r.end_time) + "," +
             opt(r.parent_run_id) + "," + opt(r.trial_id);
      for (const auto& k : params) {
        const auto it = r.params.find(k);
        out += "," + (it == r.params.end() ? std::string() : CsvCell(it->second, true));
      }
      for (const auto& k : metrics) {
        const auto it = r.latest_metrics.find(k);
        out += "," + (it == r.latest_metrics.end() ? std::string() : CsvNumber(it->second.value));
      }
      for (const auto& k : tags) {
        const auto it = r.tags.find(k);
        out += "," + (it == r.tags.end() ? std::string() : CsvCell(it->second, true));
      }
      out += "\r\n";
    }
    http::Response response;
    response.content_type = "text/csv; charset=utf-8";
    response.headers["Content-Disposition"] =
        "attachment; filename=\"tracking-experiment-" + std::to_string(id) + "-runs.csv\"";
    response.body = std::move(out);
    return response;
  };
}

http::Handler TagTrackingExperiment(service::RunService& runs) {
  return [&runs](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const Json body = Object(BodyJson(request));
    return JsonResponse(
        200, {{"experiment", ExperimentJson(runs.SetExperimentTags(id, Pairs(body, "tags")))}});
  };
}

}  // namespace krige::web
