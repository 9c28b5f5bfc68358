#include "commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "format.hpp"
#include "krige/client.hpp"
#include "krige/sha256.hpp"
#include "stack.hpp"

namespace krige::cli {
namespace {

using namespace std::chrono_literals;

constexpr auto kPollInterval = 500ms;
constexpr int kMaxPollFailures = 20;  // 10 s of an unreachable server while watching
constexpr int kDefaultWorkers = 2;

LocalStack MakeLocalStack() {
  DataDirEnv env;
  env.krige_home = std::getenv("KRIGE_HOME");
  env.xdg_data_home = std::getenv("XDG_DATA_HOME");
  env.home = std::getenv("HOME");
  env.is_root = ::geteuid() == 0;
  return LocalStack(ChooseDataDir(env), ExecutableDir());
}

std::string Dashboard(const std::string& server_url) {
  std::string url = server_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/";
}

// The server to talk to: --server / KRIGE_SERVER, else the local stack (started when
// `autostart`, otherwise it must be running).
std::string ResolveServer(const Globals& g, bool autostart, std::ostream& log) {
  if (!g.server.empty()) return g.server;
  LocalStack stack = MakeLocalStack();
  if (auto running = stack.Running()) return running->server_url;
  if (!autostart)
    throw Error(ErrorCode::kUnavailable,
                "no server: start the local stack with `krige up`, or pass --server URL "
                "(or set KRIGE_SERVER)");
  log << "krige: no server configured; starting the local stack\n";
  const StackInfo info = stack.Up(kDefaultWorkers, log);
  log << "krige: local stack up, dashboard: " << Dashboard(info.server_url) << "\n";
  return info.server_url;
}

// A client for `server` with --token / KRIGE_TOKEN, else krige::DefaultToken.
Client Connect(const Globals& g, const std::string& server) {
  return Client::Connect(server, std::chrono::seconds(30),
                         g.token.empty() ? std::nullopt : std::optional<std::string>(g.token),
                         g.cacert);
}

void PrintProblems(const ValidationError& e, std::ostream& err) {
  err << "krige: the spec is invalid:\n";
  for (const auto& p : e.problems())
    err << "  " << (p.field.empty() ? "" : p.field + ": ") << p.message << "\n";
}

// Runs `body`, translating the error tree into messages and exit codes.
template <typename Body>
int Guard(std::ostream& err, Body body) {
  try {
    return body();
  } catch (const ValidationError& e) {
    PrintProblems(e, err);
    return kExitInvalid;
  } catch (const Error& e) {
    err << "krige: " << e.what() << "\n";
    if (e.code() == ErrorCode::kUnauthenticated)
      err << "krige: pass a token with --token or KRIGE_TOKEN (`krige token create` makes "
             "one; the local stack keeps its admin token in "
          << DefaultTokenFile() << ")\n";
    return e.code() == ErrorCode::kInvalidArgument ? kExitInvalid : kExitFailed;
  } catch (const std::exception& e) {
    err << "krige: " << e.what() << "\n";
    return kExitFailed;
  }
}

// Uploads the spec's local dataset unless the server has those bytes already, and names it
// by hash, so workers on any machine can fetch it.
void UploadDataset(const Client& client, ExperimentSpec& spec, std::ostream& progress) {
  const std::filesystem::path path(spec.training.dataset);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::kInvalidArgument,
                "cannot read the dataset " + path.string() +
                    " (krige run uploads it; name an uploaded one by sha256: or name:)",
                "training.dataset");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string data = std::move(bytes).str();
  const std::string sha256 = Sha256Hex(data);
  if (client.FindDataset(sha256)) {
    progress << "dataset " << path.filename().string()
             << " is on the server as sha256:" << sha256.substr(0, 12) << "...\n";
  } else {
    const DatasetInfo stored = client.UploadDataset(path.filename().string(), data);
    if (stored.sha256 != sha256)
      throw Error(ErrorCode::kInternal,
                  "the server stored the dataset as " + stored.sha256 + ", expected " + sha256);
    progress << "dataset " << path.filename().string() << " uploaded (" << data.size()
             << " bytes) as sha256:" << sha256.substr(0, 12) << "...\n";
  }
  spec.training.dataset = "sha256:" + sha256;
}

std::string ValueOrDash(const std::optional<double>& v) {
  return v ? FormatValue(*v) : "-";
}

}  // namespace

int Up(const Globals& g, int workers, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    if (!g.server.empty())
      err << "krige: note: --server/KRIGE_SERVER is ignored by `up` (it starts the local stack)\n";
    LocalStack stack = MakeLocalStack();
    if (auto running = stack.Running()) {
      out << "krige: local stack already running (data: " << stack.data_dir() << ")\n";
      out << "dashboard: " << Dashboard(running->server_url) << "\n";
      return kExitOk;
    }
    const StackInfo info = stack.Up(workers, err);
    out << "krige: local stack up: server pid " << info.pids.front() << ", " << workers
        << " worker(s), data in " << stack.data_dir() << "\n";
    out << "dashboard: " << Dashboard(info.server_url) << "\n";
    return kExitOk;
  });
}

int Down(const Globals&, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    MakeLocalStack().Down(out);
    return kExitOk;
  });
}

int Run(const Globals& g, const std::string& spec_path, bool json, std::ostream& out,
        std::ostream& err) {
  std::ostream& progress = json ? err : out;
  return Guard(err, [&] {
    ExperimentSpec spec = LoadSpecFile(spec_path);
    const std::string cwd = std::filesystem::current_path().string();
    ResolveDatasetPath(spec, spec_path, cwd);
    ResolveSpecDir(spec, spec_path, cwd);
    const std::string server = ResolveServer(g, /*autostart=*/true, err);
    const Client client = Connect(g, server);
    if (DatasetIsPath(spec)) UploadDataset(client, spec, progress);
    const Experiment created = client.CreateExperiment(spec);
    progress << "experiment #" << created.id << " \"" << created.spec.name << "\" submitted to "
             << server << " (Ctrl-C stops watching; the experiment keeps running)\n"
             << std::flush;

    std::string last_line;
    int failures = 0;
    while (true) {
      Json j;
      try {
        j = client.GetExperimentJson(created.id);
        failures = 0;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnavailable || ++failures >= kMaxPollFailures) throw;
        std::this_thread::sleep_for(kPollInterval);
        continue;
      }
      const Experiment e = ExperimentFromJson(j);
      const std::string line = FormatProgress(e);
      if (line != last_line) {
        progress << line << "\n" << std::flush;
        last_line = line;
      }
      switch (e.state) {
        case ExperimentState::kRunning:
        case ExperimentState::kPaused:
          std::this_thread::sleep_for(kPollInterval);
          continue;
        case ExperimentState::kCompleted:
          if (json) out << j.dump(2) << "\n";
          if (!e.best) {
            err << "krige: experiment #" << e.id << " completed without a successful trial\n";
            return kExitFailed;
          }
          if (!json) {
            out << FormatBest(e, *e.best);
            out << "dashboard: " << Dashboard(server) << "\n";
          }
          return kExitOk;
        case ExperimentState::kFailed:
        case ExperimentState::kStopped:
          if (json) out << j.dump(2) << "\n";
          err << "krige: experiment #" << e.id << " " << ExperimentStateName(e.state) << ": "
              << EndReason(j) << "\n";
          return kExitFailed;
      }
    }
  });
}

int Ls(const Globals& g, int limit, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAME", "STATE", "TRIALS", "OBJECTIVE", "BEST", "CREATED"}};
    for (const Experiment& e : client.ListExperiments(limit)) {
      const TrialCounts& c = e.counts;
      rows.push_back({std::to_string(e.id), e.spec.name, std::string(ExperimentStateName(e.state)),
                      std::to_string(c.completed + c.failed + c.pruned) + "/" +
                          std::to_string(e.spec.max_trials),
                      e.spec.objective.metric +
                          (e.spec.objective.goal == Goal::kMaximize ? " (max)" : " (min)"),
                      e.best ? ValueOrDash(e.best->value) : "-", e.created_at});
    }
    if (rows.size() == 1) {
      out << "no experiments yet (submit one with `krige run SPEC`)\n";
      return kExitOk;
    }
    out << FormatTable(rows);
    return kExitOk;
  });
}

int Show(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const Experiment e = client.GetExperiment(id);
    const TrialCounts& c = e.counts;
    out << "experiment #" << e.id << " \"" << e.spec.name << "\"\n";
    out << "  state:     " << ExperimentStateName(e.state) << "\n";
    out << "  objective: " << e.spec.objective.metric << " ("
        << (e.spec.objective.goal == Goal::kMaximize ? "maximize" : "minimize") << ")\n";
    out << "  tuner:     " << e.spec.tuner.name << " (seed " << e.spec.tuner.seed << ")\n";
    out << "  trials:    " << c.total() << " of " << e.spec.max_trials << " (queued=" << c.queued
        << " running=" << c.running << " completed=" << c.completed << " failed=" << c.failed
        << " pruned=" << c.pruned << ")\n";
    if (!e.created_at.empty()) out << "  created:   " << e.created_at << "\n";
    if (!e.finished_at.empty()) out << "  finished:  " << e.finished_at << "\n";
    if (e.best)
      out << FormatBest(e, *e.best);
    else
      out << "no completed trial yet\n";
    const auto top = client.ListTrials(id, TrialSort::kValue, 10);
    if (!top.empty()) {
      out << "top " << top.size() << " trials by " << e.spec.objective.metric << ":\n";
      std::vector<std::vector<std::string>> rows = {{"#", "VALUE", "STATE", "PARAMS"}};
      for (const Trial& t : top)
        rows.push_back({std::to_string(t.number), ValueOrDash(t.value),
                        std::string(TrialStateName(t.state)), FormatParams(t.params)});
      out << FormatTable(rows);
    }
    return kExitOk;
  });
}

int Best(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const Experiment e = client.GetExperiment(id);
    const auto best = client.Best(id);
    if (!best) {
      err << "krige: experiment #" << id << " has no completed trial yet\n";
      return kExitFailed;
    }
    out << FormatBest(e, *best);
    return kExitOk;
  });
}

int TokenCreate(const Globals& g, const std::string& role, const std::string& name,
                std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const CreatedToken created = client.CreateToken(name, TokenRoleFromName(role));
    err << "token #" << created.info.id << " \"" << created.info.name << "\" ("
        << RoleName(created.info.role) << ") created; it is shown only this once:\n";
    out << created.secret << "\n";
    return kExitOk;
  });
}

int TokenLs(const Globals& g, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"}};
    const auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    for (const TokenInfo& t : client.ListTokens())
      rows.push_back({std::to_string(t.id), t.name, std::string(RoleName(t.role)), t.created_at,
                      or_dash(t.last_used_at), or_dash(t.revoked_at)});
    out << FormatTable(rows);
    return kExitOk;
  });
}

int TokenRevoke(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const TokenInfo t = client.RevokeToken(id);
    out << "token #" << t.id << " \"" << t.name << "\" revoked at " << t.revoked_at << "\n";
    return kExitOk;
  });
}

}  // namespace krige::cli
