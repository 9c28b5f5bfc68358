// What the dashboard's plots read: GET /api/v1/experiments/{id}/trials/columns (trials as
// columns, in change order, with `after=SEQ` for the increments), .../trials.csv and
// .../trials/steps (per-step scores of the latest trials). See docs/api.md.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "decode.hpp"
#include "feed_handlers.hpp"
#include "json_members.hpp"
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

namespace {

// The columns are written as JSON text directly (100 000 trials: a few MB): nlohmann values
// for each cell cost several times more.
void AppendNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, result.ptr);
}

void AppendInt(std::string& out, std::int64_t v) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, result.ptr);
}

void AppendString(std::string& out, const std::string& v) {
  out += Json(v).dump(-1, ' ', false, Json::error_handler_t::replace);
}

struct Column {
  std::string text = "[";
  std::size_t cells = 0;
  void Next() {
    if (cells++ > 0) text += ',';
  }
};

}  // namespace

http::Handler TrialColumns(service::TrialFeed& feed) {
  return [&feed](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    const auto fields = Fields(request);
    const std::int64_t after = QuerySeq(request, "after");
    const int limit = QueryInt(request, "limit", 1, kColumnsLimit, kColumnsLimit);
    const auto has = [&](const char* f) { return fields.count(f) > 0; };
    service::ChangeFields read;
    read.params = has("params");
    read.details =
        has("attempt") || has("worker") || has("error") || has("started_at") || has("finished_at");
    const service::TrialChanges changes = feed.Changes(experiment_id, after, limit, read);

    std::vector<Column> cols(std::size(kFields));
    Column seq;
    std::map<std::string, Column, std::less<>> params;  // name -> column (null where absent)
    std::vector<JsonMember> members;
    const std::size_t n = changes.rows.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = changes.rows[i];
      seq.Next();
      AppendInt(seq.text, t.seq);
      const auto cell = [&](int f) -> std::string& {
        cols[f].Next();
        return cols[f].text;
      };
      if (has("id")) AppendInt(cell(0), t.id);
      if (has("number")) AppendInt(cell(1), t.number);
      if (has("state")) AppendInt(cell(2), StateCode(t.state));
      if (has("value")) {
        if (t.value)
          AppendNumber(cell(3), *t.value);
        else
          cell(3) += "null";
      }
      if (has("attempt")) AppendInt(cell(5), t.attempt);
      if (has("worker")) AppendString(cell(6), t.worker);
      if (has("started_at")) AppendString(cell(7), t.started_at);
      if (has("finished_at")) AppendString(cell(8), t.finished_at);
      if (has("error")) AppendString(cell(9), t.error);
      if (has("params")) {
        const auto column = [&](std::string_view name) -> Column& {
          auto it = params.find(name);
          if (it == params.end()) it = params.emplace(std::string(name), Column{}).first;
          Column& c = it->second;
          while (c.cells < i) {  // a parameter first seen now: null for the trials before
            c.Next();
            c.text += "null";
          }
          c.Next();
          return c;
        };
        if (ScanMembers(t.params_json, members)) {
          for (const auto& [name, value] : members) column(name).text += value;
        } else {
          const Json p = Json::parse(t.params_json, nullptr, false);
          if (p.is_object()) {
            for (const auto& [name, value] : p.items()) {
              Column& c = column(name);
              if (value.is_number_float())
                AppendNumber(c.text, value.get<double>());
              else
                c.text += value.dump(-1, ' ', false, Json::error_handler_t::replace);
            }
          }
        }
        for (auto& [name, c] : params)
          while (c.cells < i + 1) {
            c.Next();
            c.text += "null";
          }
      }
    }
    std::string out = "{\"experiment_id\":";
    AppendInt(out, experiment_id);
    out += ",\"count\":";
    AppendInt(out, static_cast<std::int64_t>(n));
    out += ",\"seq\":";
    AppendInt(out, n ? changes.rows.back().seq : after);
    out += changes.more ? ",\"more\":true" : ",\"more\":false";
    out += ",\"states\":[\"queued\",\"running\",\"completed\",\"failed\",\"pruned\"]";
    out += ",\"columns\":{\"seq\":" + seq.text + "]";
    for (std::size_t f = 0; f < std::size(kFields); ++f) {
      if (f == 4 || !has(kFields[f])) continue;
      out += ",\"" + std::string(kFields[f]) + "\":" + cols[f].text + "]";
    }
    if (has("params")) {
      out += ",\"params\":{";
      bool first = true;
      for (auto& [name, c] : params) {
        if (!first) out += ',';
        first = false;
        AppendString(out, name);
        out += ':' + c.text + ']';
      }
      out += '}';
    }
    out += "}}";
    http::Response response;
    response.body = std::move(out);
    return response;
  };
}

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
