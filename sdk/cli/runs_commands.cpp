// `krige runs EXP` and `krige run-show ID`: experiment tracking from the command line.
#include <unistd.h>

#include <cstdlib>
#include <iomanip>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "format.hpp"
#include "krige/tracker.hpp"
#include "stack.hpp"

namespace krige::cli {
namespace {

// --server / KRIGE_SERVER, else the running local stack (never started from here).
std::string Server(const Globals& g) {
  if (!g.server.empty()) return g.server;
  DataDirEnv env;
  env.krige_home = std::getenv("KRIGE_HOME");
  env.xdg_data_home = std::getenv("XDG_DATA_HOME");
  env.home = std::getenv("HOME");
  env.is_root = ::geteuid() == 0;
  LocalStack stack(ChooseDataDir(env), ExecutableDir());
  if (auto running = stack.Running()) return running->server_url;
  throw Error(ErrorCode::kUnavailable,
              "no server: start the local stack with `krige up`, or pass --server URL (or set "
              "KRIGE_SERVER)");
}

Tracker Connect(const Globals& g) {
  return Tracker(Client::Connect(
      Server(g), std::chrono::seconds(30),
      g.token.empty() ? std::nullopt : std::optional<std::string>(g.token), g.cacert));
}

template <typename Body>
int Guard(std::ostream& err, Body body) {
  try {
    return body();
  } catch (const ValidationError& e) {
    for (const auto& p : e.problems())
      err << "krige: " << (p.field.empty() ? "" : p.field + ": ") << p.message << "\n";
    return kExitInvalid;
  } catch (const Error& e) {
    err << "krige: " << e.what() << (e.field().empty() ? "" : " (" + e.field() + ")") << "\n";
    return e.code() == ErrorCode::kInvalidArgument ? kExitInvalid : kExitFailed;
  } catch (const std::exception& e) {
    err << "krige: " << e.what() << "\n";
    return kExitFailed;
  }
}

std::string Value(double v) {
  const Json j = MetricValueToJson(v);
  return j.is_string() ? j.get<std::string>() : FormatValue(v);
}

std::string Pairs(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out.empty() ? "-" : out;
}

std::string Metrics(const RunInfo& r) {
  std::string out;
  for (const auto& [k, p] : r.latest_metrics)
    out += (out.empty() ? "" : " ") + k + "=" + Value(p.value);
  return out.empty() ? "-" : out;
}

// RFC 4180: quoted when it holds a comma, quote or line break.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return s.str();
}

}  // namespace

int Runs(const Globals& g, const RunsOptions& o, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    Tracker tracker = Connect(g);
    RunQuery q;
    const bool numeric =
        !o.experiment.empty() && o.experiment.find_first_not_of("0123456789") == std::string::npos;
    if (numeric)
      q.experiment_ids = {std::stoll(o.experiment)};
    else
      q.experiment_names = {o.experiment};
    q.filter = o.filter;
    q.order_by = o.order_by;
    q.limit = o.limit;
    const std::vector<RunInfo> runs = tracker.SearchRuns(q);
    if (o.json) {
      Json all = Json::array();
      for (const auto& r : runs) all.push_back(ToJson(r));
      out << all.dump(2) << "\n";
      return kExitOk;
    }
    if (o.csv) {
      std::set<std::string> params, metrics, tags;
      for (const auto& r : runs) {
        for (const auto& [k, v] : r.params) params.insert(k);
        for (const auto& [k, v] : r.latest_metrics) metrics.insert(k);
        for (const auto& [k, v] : r.tags) tags.insert(k);
      }
      out << "id,name,status,start_time,end_time";
      for (const auto& k : params) out << "," << Csv("params." + k);
      for (const auto& k : metrics) out << "," << Csv("metrics." + k);
      for (const auto& k : tags) out << "," << Csv("tags." + k);
      out << "\n";
      for (const auto& r : runs) {
        out << r.id << "," << Csv(r.name) << "," << RunStatusName(r.status) << ","
            << Time(r.start_time) << "," << (r.end_time ? Time(*r.end_time) : "");
        for (const auto& k : params) out << "," << (r.params.count(k) ? Csv(r.params.at(k)) : "");
        for (const auto& k : metrics)
          out << "," << (r.latest_metrics.count(k) ? Value(r.latest_metrics.at(k).value) : "");
        for (const auto& k : tags) out << "," << (r.tags.count(k) ? Csv(r.tags.at(k)) : "");
        out << "\n";
      }
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAME", "STATUS", "STARTED", "METRICS", "PARAMS", "TAGS"}};
    for (const auto& r : runs)
      rows.push_back({std::to_string(r.id), r.name.empty() ? "-" : r.name, RunStatusName(r.status),
                      Time(r.start_time), Metrics(r), Pairs(r.params), Pairs(r.tags)});
    out << FormatTable(rows);
    if (runs.empty()) out << "no runs\n";
    return kExitOk;
  });
}

int RunShow(const Globals& g, std::int64_t id, bool json, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    Tracker tracker = Connect(g);
    const RunInfo r = tracker.GetRun(id);
    HttpRequest list;
    list.target = "/api/v1/runs/" + std::to_string(id) + "/artifacts";
    const HttpResponse listed = tracker.client().transport()->Send(list);
    if (listed.status != 200) ThrowHttpError(listed);
    const Json artifacts = Json::parse(listed.body).at("artifacts");
    if (json) {
      Json j = ToJson(r);
      j["artifacts"] = artifacts;
      out << j.dump(2) << "\n";
      return kExitOk;
    }
    out << "run #" << r.id << (r.name.empty() ? "" : " \"" + r.name + "\"") << " of experiment #"
        << r.experiment_id << " \"" << r.experiment_name << "\"\n";
    out << "  status:  " << RunStatusName(r.status) << "\n";
    out << "  started: " << Time(r.start_time) << "\n";
    if (r.end_time) out << "  ended:   " << Time(*r.end_time) << "\n";
    if (r.trial_id) out << "  trial:   " << *r.trial_id << " (a sweep's trial)\n";
    if (r.parent_run_id) out << "  parent:  run #" << *r.parent_run_id << "\n";
    out << "params:\n";
    for (const auto& [k, v] : r.params) out << "  " << k << " = " << v << "\n";
    out << "tags:\n";
    for (const auto& [k, v] : r.tags) out << "  " << k << " = " << v << "\n";
    if (!r.latest_metrics.empty()) {
      std::vector<std::vector<std::string>> rows = {{"METRIC", "LAST", "STEP"}};
      for (const auto& [k, p] : r.latest_metrics)
        rows.push_back({k, Value(p.value), std::to_string(p.step)});
      out << FormatTable(rows);
    }
    out << "artifacts:\n";
    for (const auto& a : artifacts)
      out << "  " << a.at("path").get<std::string>() << " (" << a.at("size").get<std::int64_t>()
          << " bytes)\n";
    return kExitOk;
  });
}

}  // namespace krige::cli
