// What the dashboard's plots read: GET /api/v1/experiments/{id}/trials/columns (trials as
// columns, in change order, with `after=SEQ` for the increments), .../trials.csv and
// .../trials/steps (per-step scores of the latest trials). See docs/api.md.
#include <algorithm>
#include <set>
#include <sstream>

#include "decode.hpp"
#include "feed_handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {
namespace {

constexpr const char* kStates[] = {"queued", "running", "completed", "failed", "pruned"};

int StateCode(TrialState s) {
  const auto name = TrialStateName(s);
  for (int i = 0; i < 5; ++i)
    if (name == kStates[i]) return i;
  return 0;
}

constexpr const char* kFields[] = {"id",      "number", "state",      "value",       "params",
                                   "attempt", "worker", "started_at", "finished_at", "error"};

std::set<std::string> Fields(const http::Request& request) {
  std::set<std::string> fields;
  const auto text = QueryParam(request, "fields").value_or("number,state,value,params");
  std::stringstream in(text);
  std::string f;
  while (std::getline(in, f, ',')) {
    if (f.empty()) continue;
    if (std::find(std::begin(kFields), std::end(kFields), f) == std::end(kFields))
      throw Error(ErrorCode::kInvalidArgument,
                  "unknown field \"" + f +
                      "\" (known: id, number, state, value, params, attempt, worker, "
                      "started_at, finished_at, error)",
                  "fields");
    fields.insert(f);
  }
  if (fields.empty()) throw Error(ErrorCode::kInvalidArgument, "fields is empty", "fields");
  return fields;
}

Json Nullable(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

}  // namespace

std::int64_t QuerySeq(const http::Request& request, const std::string& name) {
  const auto text = QueryParam(request, name);
  return text ? ParseSeq(*text, name) : 0;
}

std::int64_t ParseSeq(const std::string& text, const std::string& field) {
  const bool digits =
      !text.empty() && text.size() <= 18 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    throw Error(ErrorCode::kInvalidArgument,
                field + " must be a change sequence number (0 or more), got \"" + text + "\"",
                field);
  return std::stoll(text);
}

Json TrialRowJson(const service::TrialRow& t) {
  Json params = Json::parse(t.params_json, nullptr, false);
  if (params.is_discarded()) params = Json::object();
  return {{"id", t.id},
          {"number", t.number},
          {"state", TrialStateName(t.state)},
          {"value", Nullable(t.value)},
          {"params", std::move(params)},
          {"attempt", t.attempt},
          {"worker", t.worker},
          {"error", t.error},
          {"started_at", t.started_at},
          {"finished_at", t.finished_at},
          {"seq", t.seq}};
}

http::Handler TrialColumns(service::TrialFeed& feed) {
  return [&feed](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    const auto fields = Fields(request);
    const std::int64_t after = QuerySeq(request, "after");
    const int limit = QueryInt(request, "limit", 1, kColumnsLimit, kColumnsLimit);
    const service::TrialChanges changes = feed.Changes(experiment_id, after, limit);
    const auto has = [&](const char* f) { return fields.count(f) > 0; };

    Json columns = Json::object();
    std::vector<Json> cols(std::size(kFields), Json::array());
    std::map<std::string, Json> params;  // name -> column (null where a trial lacks it)
    const std::size_t n = changes.rows.size();
    Json seq = Json::array();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = changes.rows[i];
      seq.push_back(t.seq);
      if (has("id")) cols[0].push_back(t.id);
      if (has("number")) cols[1].push_back(t.number);
      if (has("state")) cols[2].push_back(StateCode(t.state));
      if (has("value")) cols[3].push_back(Nullable(t.value));
      if (has("attempt")) cols[5].push_back(t.attempt);
      if (has("worker")) cols[6].push_back(t.worker);
      if (has("started_at")) cols[7].push_back(t.started_at);
      if (has("finished_at")) cols[8].push_back(t.finished_at);
      if (has("error")) cols[9].push_back(t.error);
      if (has("params")) {
        const Json p = Json::parse(t.params_json, nullptr, false);
        if (!p.is_object()) continue;
        for (const auto& [name, value] : p.items()) {
          auto [it, fresh] = params.try_emplace(name, Json::array());
          if (fresh) it->second = Json(std::vector<Json>(i, nullptr));
          it->second.push_back(value);
        }
        for (auto& [name, column] : params)
          if (column.size() < i + 1) column.push_back(nullptr);
      }
    }
    for (std::size_t f = 0; f < std::size(kFields); ++f)
      if (f != 4 && has(kFields[f])) columns[kFields[f]] = std::move(cols[f]);
    if (has("params")) {
      Json p = Json::object();
      for (auto& [name, column] : params) p[name] = std::move(column);
      columns["params"] = std::move(p);
    }
    columns["seq"] = std::move(seq);
    const std::int64_t last = n ? changes.rows.back().seq : after;
    return JsonResponse(200, {{"experiment_id", experiment_id},
                              {"count", n},
                              {"seq", last},
                              {"more", changes.more},
                              {"states", kStates},
                              {"columns", std::move(columns)}});
  };
}

namespace {

// RFC 4180 quoting; a text cell a spreadsheet would read as a formula gets a leading '.
std::string CsvCell(const std::string& text, bool is_text) {
  std::string v = text;
  if (is_text && !v.empty() && std::string("=+-@\t\r").find(v[0]) != std::string::npos) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvJson(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvCell(v.get<std::string>(), true);
  return CsvCell(v.dump(), false);
}

std::string CsvNumber(double v) {
  return Json(v).dump();
}  // shortest round trip

}  // namespace

http::Handler TrialsCsv(service::TrialFeed& feed) {
  return [&feed](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    std::vector<service::TrialRow> rows;
    std::int64_t after = 0;
    while (true) {
      auto page = feed.Changes(experiment_id, after, kColumnsLimit);
      if (!page.rows.empty()) after = page.rows.back().seq;
      for (auto& r : page.rows) rows.push_back(std::move(r));
      if (!page.more) break;
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.number < b.number; });
    std::vector<Json> params;
    std::set<std::string> names;
    for (const auto& r : rows) {
      Json p = Json::parse(r.params_json, nullptr, false);
      if (!p.is_object()) p = Json::object();
      for (const auto& [name, v] : p.items()) names.insert(name);
      params.push_back(std::move(p));
    }
    std::string out = "number,state,value";
    for (const auto& name : names) out += "," + CsvCell("param_" + name, true);
    out += ",attempt,worker,started_at,finished_at,error\r\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      out += std::to_string(r.number) + "," + std::string(TrialStateName(r.state)) + "," +
             (r.value ? CsvNumber(*r.value) : "");
      for (const auto& name : names)
        out += "," + (params[i].contains(name) ? CsvJson(params[i][name]) : std::string());
      out += "," + std::to_string(r.attempt) + "," + CsvCell(r.worker, true) + "," + r.started_at +
             "," + r.finished_at + "," + CsvCell(r.error, true) + "\r\n";
    }
    http::Response response;
    response.content_type = "text/csv; charset=utf-8";
    response.headers["Content-Disposition"] =
        "attachment; filename=\"experiment-" + std::to_string(experiment_id) + "-trials.csv\"";
    response.body = std::move(out);
    return response;
  };
}

http::Handler TrialSteps(service::TrialFeed& feed) {
  return [&feed](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    const int limit = QueryInt(request, "limit", 1, kStepsTrialsLimit, 200);
    Json trials = Json::array();
    for (const auto& t : feed.Steps(experiment_id, limit)) {
      Json steps = Json::array();
      for (const auto& s : t.steps) steps.push_back(ToJson(s));
      trials.push_back({{"id", t.trial_id},
                        {"number", t.number},
                        {"state", TrialStateName(t.state)},
                        {"steps", std::move(steps)}});
    }
    return JsonResponse(200, {{"trials", std::move(trials)}});
  };
}

}  // namespace krige::web
