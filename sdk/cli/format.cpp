#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "krige/error.hpp"

namespace krige::cli {
namespace fs = std::filesystem;

std::string ChooseDataDir(const DataDirEnv& env) {
  const auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  if (set(env.krige_home)) return env.krige_home;
  if (env.is_root) return "/var/lib/krige";
  if (set(env.xdg_data_home)) return (fs::path(env.xdg_data_home) / "krige").string();
  if (set(env.home)) return (fs::path(env.home) / ".local" / "share" / "krige").string();
  throw Error(ErrorCode::kFailedPrecondition,
              "cannot choose a data directory: set KRIGE_HOME (or HOME)");
}

namespace {

fs::path SpecDir(const std::string& spec_path, const std::string& cwd) {
  fs::path spec_file(spec_path);
  if (spec_file.is_relative()) spec_file = fs::path(cwd) / spec_file;
  return spec_file.lexically_normal().parent_path();
}

}  // namespace

bool DatasetIsPath(const ExperimentSpec& spec) {
  const std::string& dataset = spec.training.dataset;
  return spec.training.kind == "cv" && !dataset.empty() && dataset.rfind("sha256:", 0) != 0 &&
         dataset.rfind("name:", 0) != 0;
}

void ResolveDatasetPath(ExperimentSpec& spec, const std::string& spec_path,
                        const std::string& cwd) {
  if (!DatasetIsPath(spec)) return;
  std::string& dataset = spec.training.dataset;
  const fs::path data(dataset);
  if (data.is_absolute()) return;
  dataset = (SpecDir(spec_path, cwd) / data).lexically_normal().string();
}

void ResolveSpecDir(ExperimentSpec& spec, const std::string& spec_path, const std::string& cwd) {
  if (spec.training.kind != "command") return;
  static const std::string kPlaceholder = "{spec_dir}";
  const std::string dir = SpecDir(spec_path, cwd).string();
  for (auto& arg : spec.training.command)
    for (auto at = arg.find(kPlaceholder); at != std::string::npos;
         at = arg.find(kPlaceholder, at + dir.size()))
      arg.replace(at, kPlaceholder.size(), dir);
}

std::string FormatValue(double v) {
  char buf[64];
  const double a = std::fabs(v);
  if (a == 0 || (a >= 1e-3 && a < 1e6))
    std::snprintf(buf, sizeof buf, "%.4f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string FormatParams(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += ", ";
    out += name + "=";
    if (const auto* d = std::get_if<double>(&value)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4g", *d);
      out += buf;
    } else {
      out += ToString(value);
    }
  }
  return out;
}

std::string FormatMetrics(const std::map<std::string, double>& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics) {
    if (!out.empty()) out += ", ";
    out += name + "=" + FormatValue(value);
  }
  return out;
}

std::string FormatProgress(const Experiment& e) {
  const TrialCounts& c = e.counts;
  const int done = c.completed + c.failed + c.pruned;
  const int of = std::max(e.spec.max_trials, c.total());
  std::ostringstream out;
  out << "[" << done << "/" << of << "] completed=" << c.completed << " running=" << c.running
      << " failed=" << c.failed;
  if (c.pruned > 0) out << " pruned=" << c.pruned;
  if (c.queued > 0) out << " queued=" << c.queued;
  if (e.best && e.best->value)
    out << " best=" << FormatValue(*e.best->value) << " (trial #" << e.best->number << ")";
  else
    out << " best=-";
  return out.str();
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "-";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string FormatProgressBar(const Experiment& e, int done_at_start, double elapsed_seconds,
                              int width) {
  constexpr int kBarCells = 20;
  const TrialCounts& c = e.counts;
  const int done = c.completed + c.failed + c.pruned;
  const int of = std::max({e.spec.max_trials, c.total(), 1});
  const int filled = std::min(kBarCells, done * kBarCells / of);
  std::ostringstream out;
  out << "[" << std::string(filled, '#') << std::string(kBarCells - filled, '.') << "] " << done
      << "/" << of;
  if (c.running > 0) out << "  running " << c.running;
  if (c.queued > 0) out << "  queued " << c.queued;
  if (c.failed > 0) out << "  failed " << c.failed;
  if (c.pruned > 0) out << "  pruned " << c.pruned;
  const int finished_here = done - done_at_start;
  if (finished_here > 0 && elapsed_seconds > 0) {
    const double per_second = finished_here / elapsed_seconds;
    char rate[32];
    if (per_second >= 1)
      std::snprintf(rate, sizeof rate, "%.1f/s", per_second);
    else
      std::snprintf(rate, sizeof rate, "%.1f/min", per_second * 60);
    out << "  " << rate;
    if (done < of) out << "  ETA " << FormatDuration((of - done) / per_second);
  }
  if (e.best && e.best->value)
    out << "  best " << FormatValue(*e.best->value) << " (#" << e.best->number << ")";
  std::string line = out.str();
  if (width > 0 && static_cast<int>(line.size()) > width) line.resize(width);
  return line;
}

namespace {

std::string OneLine(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (!out.empty()) out += " | ";
    out += line;
  }
  return out;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

// Shortest text that reads back as the same double.
std::string ExactDouble(double v) {
  char buf[40];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string CsvValue(const ParamValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return ExactDouble(*d);
  return CsvField(ToString(value));
}

}  // namespace

std::string FormatFailure(const Trial& t) {
  std::ostringstream out;
  out << "trial #" << t.number << " failed (attempt " << t.attempt;
  if (!t.worker.empty()) out << " on " << t.worker;
  out << "): " << (t.error.empty() ? std::string("no error message") : OneLine(t.error));
  return out.str();
}

std::string FormatTrial(const Experiment& e, const Trial& t) {
  std::ostringstream out;
  out << "trial #" << t.number << " of experiment #" << e.id << " \"" << e.spec.name << "\"\n";
  out << "  state:    " << TrialStateName(t.state) << " (attempt " << t.attempt << " of "
      << e.spec.max_attempts << ")\n";
  out << "  worker:   " << (t.worker.empty() ? std::string("-") : t.worker) << "\n";
  out << "  value:    " << e.spec.objective.metric << " = "
      << (t.value ? FormatValue(*t.value) : std::string("-")) << "\n";
  out << "  params:   " << (t.params.empty() ? std::string("-") : FormatParams(t.params)) << "\n";
  out << "  metrics:  " << (t.metrics.empty() ? std::string("-") : FormatMetrics(t.metrics))
      << "\n";
  if (!t.created_at.empty()) out << "  created:  " << t.created_at << "\n";
  if (!t.started_at.empty()) out << "  started:  " << t.started_at << "\n";
  if (!t.finished_at.empty()) out << "  finished: " << t.finished_at << "\n";
  if (!t.steps.empty()) {
    std::set<std::string> keys;
    for (const auto& s : t.steps)
      for (const auto& [k, v] : s.values) keys.insert(k);
    std::vector<std::vector<std::string>> rows = {{"STEP"}};
    for (const auto& k : keys) rows[0].push_back(k);
    for (const auto& s : t.steps) {
      std::vector<std::string> row = {std::to_string(s.step)};
      for (const auto& k : keys) {
        const auto it = s.values.find(k);
        row.push_back(it == s.values.end() ? "-" : FormatValue(it->second));
      }
      rows.push_back(std::move(row));
    }
    out << "  steps (per fold or reported step):\n";
    std::istringstream table(FormatTable(rows));
    for (std::string line; std::getline(table, line);) out << "    " << line << "\n";
  }
  if (!t.error.empty()) {
    out << "  error:\n";
    std::istringstream lines(t.error);
    for (std::string line; std::getline(lines, line);) out << "    " << line << "\n";
  }
  return out.str();
}

std::string TrialsCsv(const Experiment& e, const std::vector<Trial>& trials) {
  std::vector<std::string> params;
  for (const auto& p : e.spec.space.params()) params.push_back(p.name);
  std::set<std::string> metrics;
  for (const auto& t : trials) {
    for (const auto& [name, v] : t.params)
      if (std::find(params.begin(), params.end(), name) == params.end()) params.push_back(name);
    for (const auto& [name, v] : t.metrics) metrics.insert(name);
  }
  std::string out = "number,state,value";
  for (const auto& p : params) out += "," + CsvField(p);
  for (const auto& m : metrics) out += "," + CsvField(m);
  out += "\n";
  for (const auto& t : trials) {
    out += std::to_string(t.number) + "," + std::string(TrialStateName(t.state)) + "," +
           (t.value ? ExactDouble(*t.value) : std::string());
    for (const auto& p : params) {
      const auto it = t.params.find(p);
      out += "," + (it == t.params.end() ? std::string() : CsvValue(it->second));
    }
    for (const auto& m : metrics) {
      const auto it = t.metrics.find(m);
      out += "," + (it == t.metrics.end() ? std::string() : ExactDouble(it->second));
    }
    out += "\n";
  }
  return out;
}

std::string FormatBest(const Experiment& e, const Trial& best) {
  std::ostringstream out;
  out << "best trial #" << best.number << ": " << e.spec.objective.metric << " = "
      << (best.value ? FormatValue(*best.value) : std::string("-")) << " ("
      << (e.spec.objective.goal == Goal::kMaximize ? "maximize" : "minimize") << ")\n";
  out << "  params:  " << FormatParams(best.params) << "\n";
  out << "  metrics: " << (best.metrics.empty() ? "-" : FormatMetrics(best.metrics)) << "\n";
  return out.str();
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string EndReason(const Json& j) {
  for (const char* key : {"reason", "error", "message"}) {
    if (!j.contains(key)) continue;
    const Json& v = j[key];
    if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
    if (v.is_object() && v.contains("message") && v["message"].is_string())
      return v["message"].get<std::string>();
  }
  const std::string state = j.value("state", "unknown");
  return "experiment " + std::to_string(j.value("id", std::int64_t{0})) + " ended in state " +
         state;
}

std::optional<Listening> FindListeningLine(const std::string& log) {
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("krige-server listening") == std::string::npos) continue;
    Listening out;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      if (w.rfind("http=", 0) == 0) out.http = w.substr(5);
      if (w.rfind("zmq=", 0) == 0) out.zmq = w.substr(4);
    }
    if (!out.http.empty() && !out.zmq.empty()) return out;
  }
  return std::nullopt;
}

std::string Tail(const std::string& text, int n) {
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  std::size_t pos = end;
  for (int i = 0; i < n; ++i) {
    const auto nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text.substr(0, end);
    pos = nl;
  }
  return text.substr(pos + 1, end - pos - 1);
}

Json ToJson(const StackInfo& info) {
  return {{"server_url", info.server_url},
          {"zmq", info.zmq},
          {"pids", info.pids},
          {"started_at", info.started_at}};
}

StackInfo StackInfoFromJson(const Json& j) {
  try {
    StackInfo info;
    info.server_url = j.at("server_url").get<std::string>();
    info.zmq = j.value("zmq", "");
    info.pids = j.value("pids", std::vector<int>{});
    info.started_at = j.value("started_at", "");
    return info;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, std::string("malformed stack.json: ") + e.what());
  }
}

}  // namespace krige::cli
