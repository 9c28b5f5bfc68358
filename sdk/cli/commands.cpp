#include "commands.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
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

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) {
  g_interrupted = 1;
}

// SIGINT sets a flag while watching (restored afterwards), so Ctrl-C ends the watch politely.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptGuard() { ::sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

// Sleeps `d` unless Ctrl-C comes first; false when it did.
bool SleepUnlessInterrupted(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (g_interrupted) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(50ms, d));
  }
  return !g_interrupted;
}

int TerminalColumns(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// Follows experiment `id` until it ends, drawing progress on `progress` (fd `progress_fd`, a
// terminal or not), and prints the end as `run` does. The event stream (Client::StreamTrials)
// says when trials change and carries each failed trial's error; the experiment is read
// after changes (at most every kRead) and every kSafetyRead regardless (a stop or the end may
// change no trial). A server without the stream (404) is polled every kPollInterval.
int WatchUntilDone(const Client& client, const std::string& server, std::int64_t id, bool json,
                   int progress_fd, std::ostream& progress, std::ostream& out, std::ostream& err) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kRead = 250ms;
  constexpr auto kSafetyRead = 2s;
  constexpr auto kRedraw = 500ms;  // the bar's rate and ETA move with time alone
  const char* term = std::getenv("TERM");
  const bool tty = ::isatty(progress_fd) == 1 && !(term != nullptr && std::string(term) == "dumb");
  InterruptGuard interrupts;
  const auto started = Clock::now();
  std::optional<int> done_at_start;
  std::optional<Experiment> shown;  // the last experiment read
  std::optional<int> exit_code;     // set when it ended
  std::string last_line, last_waiting;
  std::set<int> reported_failures;
  bool list_failures = true;  // from the trial list; the stream reports later ones itself
  int failed_known = 0;
  int failures = 0;
  bool bar_drawn = false;
  auto last_read = Clock::now();
  auto last_draw = Clock::now();
  bool changed = false;
  // Prints a whole line above the bar (which the next read redraws).
  const auto say = [&](const std::string& line) {
    if (bar_drawn) progress << "\r\033[K";
    bar_drawn = false;
    progress << line << "\n" << std::flush;
  };
  const auto draw_bar = [&] {
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    progress << "\r\033[K"
             << FormatProgressBar(*shown, *done_at_start, elapsed, TerminalColumns(progress_fd) - 1)
             << std::flush;
    bar_drawn = true;
    last_draw = Clock::now();
  };
  const auto finish = [&](const Experiment& e, const Json& j) {
    if (bar_drawn) progress << "\n" << std::flush;
    if (e.state == ExperimentState::kCompleted) {
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
    }
    if (json) out << j.dump(2) << "\n";
    err << "krige: experiment #" << e.id << " " << ExperimentStateName(e.state) << ": "
        << EndReason(j) << "\n";
    return kExitFailed;
  };
  // Reads the experiment and shows it; false once it has ended (exit_code set) or on Ctrl-C.
  const auto read = [&]() -> bool {
    if (g_interrupted) return false;
    last_read = Clock::now();
    changed = false;
    Json j;
    try {
      j = client.GetExperimentJson(id);
      failures = 0;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnavailable || ++failures >= kMaxPollFailures) throw;
      return true;  // the server is away: the next read tries again
    }
    const Experiment e = ExperimentFromJson(j);
    shown = e;
    const TrialCounts& c = e.counts;
    if (!done_at_start) done_at_start = c.completed + c.failed + c.pruned;

    // Each failed trial's error, once (newest 200 at most per read: a long list is in
    // `krige trials ID --state failed`).
    if (list_failures && c.failed > failed_known) {
      std::vector<Trial> failed = client.ListTrials(id, TrialSort::kNumberDesc,
                                                    std::min(c.failed, 200), TrialState::kFailed);
      std::reverse(failed.begin(), failed.end());
      for (const Trial& t : failed)
        if (reported_failures.insert(t.number).second) say(FormatFailure(t));
      failed_known = c.failed;
    }
    const std::string waiting = j.contains("waiting") && j["waiting"].is_string()
                                    ? j["waiting"].get<std::string>()
                                    : std::string();
    if (waiting != last_waiting) {
      if (!waiting.empty()) say("waiting: " + waiting);
      last_waiting = waiting;
    }
    if (tty) {
      draw_bar();
    } else {
      const std::string line = FormatProgress(e);
      if (line != last_line) {
        progress << line << "\n" << std::flush;
        last_line = line;
      }
    }
    if (e.state == ExperimentState::kRunning || e.state == ExperimentState::kPaused) return true;
    exit_code = finish(e, j);
    return false;
  };

  bool streamed = true;
  TrialStreamOptions options;
  options.tick = 100ms;
  options.retry = kPollInterval;  // kMaxPollFailures of them: 10 s of an unreachable server
  options.max_failures = kMaxPollFailures;
  options.on_open = [&] {
    const bool go_on = read();  // what happened before this connection's position
    list_failures = false;
    return go_on;
  };
  options.on_tick = [&] {
    if (g_interrupted) return false;
    const auto now = Clock::now();
    if ((changed && now - last_read >= kRead) || now - last_read >= kSafetyRead) return read();
    if (tty && shown && now - last_draw >= kRedraw) draw_bar();
    return true;
  };
  try {
    client.StreamTrials(
        id, std::nullopt,
        [&](const TrialEvent& event) {
          if (g_interrupted) return false;
          if (event.trial.state == TrialState::kFailed &&
              reported_failures.insert(event.trial.number).second)
            say(FormatFailure(event.trial));
          changed = true;
          return true;
        },
        options);
  } catch (const Error& e) {
    // No stream on this server (an older one): poll. An experiment that is gone makes the
    // first read below throw its own 404.
    if (e.code() != ErrorCode::kNotFound || exit_code) throw;
    streamed = false;
  }
  if (!streamed) {
    list_failures = true;
    while (read())
      if (!SleepUnlessInterrupted(kPollInterval)) break;
  }
  if (exit_code) return *exit_code;
  if (bar_drawn) progress << "\n";
  progress << std::flush;
  err << "krige: stopped watching; experiment #" << id << " keeps running.\n"
      << "  watch it again: krige watch " << id << "\n"
      << "  stop it:        krige stop " << id << "\n";
  return kExitInterrupted;
}

}  // namespace

int Run(const Globals& g, const std::string& spec_path, bool json, bool detach, std::ostream& out,
        std::ostream& err) {
  // Messages go to stdout unless stdout is for a machine: the JSON, or the id alone.
  std::ostream& progress = json || detach ? err : out;
  return Guard(err, [&] {
    ExperimentSpec spec = LoadSpecFile(spec_path);
    const std::string cwd = std::filesystem::current_path().string();
    ResolveDatasetPath(spec, spec_path, cwd);
    ResolveSpecDir(spec, spec_path, cwd);
    const std::string server = ResolveServer(g, /*autostart=*/true, err);
    const Client client = Connect(g, server);
    if (DatasetIsPath(spec)) UploadDataset(client, spec, progress);
    const Experiment created = client.CreateExperiment(spec);
    if (detach) {
      err << "experiment #" << created.id << " \"" << created.spec.name << "\" submitted to "
          << server << "; watch it: krige watch " << created.id << "\n";
      out << created.id << "\n" << std::flush;
      return kExitOk;
    }
    progress << "experiment #" << created.id << " \"" << created.spec.name << "\" submitted to "
             << server << " (Ctrl-C stops watching; the experiment keeps running)\n"
             << std::flush;
    return WatchUntilDone(client, server, created.id, json, json ? STDERR_FILENO : STDOUT_FILENO,
                          progress, out, err);
  });
}

int Watch(const Globals& g, std::int64_t id, bool json, std::ostream& out, std::ostream& err) {
  std::ostream& progress = json ? err : out;
  return Guard(err, [&] {
    const std::string server = ResolveServer(g, /*autostart=*/false, err);
    const Client client = Connect(g, server);
    return WatchUntilDone(client, server, id, json, json ? STDERR_FILENO : STDOUT_FILENO, progress,
                          out, err);
  });
}

int Control(const Globals& g, const std::string& verb, std::int64_t id, std::ostream& out,
            std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const Experiment e = verb == "stop"    ? client.Stop(id)
                         : verb == "pause" ? client.Pause(id)
                                           : client.Resume(id);
    out << "experiment #" << e.id << " \"" << e.spec.name << "\": " << ExperimentStateName(e.state)
        << " (" << e.counts.running << " running, "
        << e.counts.completed + e.counts.failed + e.counts.pruned << " of " << e.spec.max_trials
        << " done)\n";
    return kExitOk;
  });
}

int Rm(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    client.Delete(id);
    out << "experiment #" << id << " deleted\n";
    return kExitOk;
  });
}

int Trials(const Globals& g, std::int64_t id, const std::string& state, const std::string& sort,
           int limit, bool json, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    std::optional<TrialState> filter;
    if (!state.empty()) filter = TrialStateFromName(state);
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const auto trials = client.ListTrials(
        id, sort == "value" ? TrialSort::kValue : TrialSort::kNumber, limit, filter);
    if (json) {
      Json list = Json::array();
      for (const Trial& t : trials) list.push_back(ToJson(t));
      out << list.dump(2) << "\n";
      return kExitOk;
    }
    if (trials.empty()) {
      out << "experiment #" << id << " has no " << (state.empty() ? "" : state + " ")
          << "trials yet\n";
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows = {
        {"#", "STATE", "VALUE", "PARAMS", "WORKER", "ERROR"}};
    for (const Trial& t : trials) {
      std::string error = t.error.substr(0, t.error.find('\n'));
      if (error.size() > 60) error = error.substr(0, 57) + "...";
      rows.push_back({std::to_string(t.number), std::string(TrialStateName(t.state)),
                      ValueOrDash(t.value), FormatParams(t.params),
                      t.worker.empty() ? "-" : t.worker, error.empty() ? "-" : error});
    }
    out << FormatTable(rows);
    return kExitOk;
  });
}

int TrialDetail(const Globals& g, std::int64_t experiment_id, int number, bool json,
                std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const Trial t = client.GetTrial(experiment_id, number);
    if (json) {
      out << ToJson(t).dump(2) << "\n";
      return kExitOk;
    }
    out << FormatTrial(client.GetExperiment(experiment_id), t);
    return kExitOk;
  });
}

int Export(const Globals& g, std::int64_t id, const std::string& format, std::ostream& out,
           std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const Experiment e = client.GetExperiment(id);
    const auto trials = client.ListTrials(id, TrialSort::kNumber);
    if (format == "json") {
      Json list = Json::array();
      for (const Trial& t : trials) list.push_back(ToJson(t));
      out << Json{{"experiment", ToJson(e)}, {"trials", std::move(list)}}.dump(2) << "\n";
    } else {
      out << TrialsCsv(e, trials);
    }
    return kExitOk;
  });
}

int Workers(const Globals& g, bool json, std::ostream& out, std::ostream& err) {
  return Guard(err, [&] {
    const Client client = Connect(g, ResolveServer(g, /*autostart=*/false, err));
    const auto workers = client.ListWorkers();
    if (json) {
      Json list = Json::array();
      for (const WorkerInfo& w : workers)
        list.push_back({{"id", w.id},
                        {"hostname", w.hostname},
                        {"slots", w.slots},
                        {"version", w.version},
                        {"state", w.state},
                        {"first_seen", w.first_seen},
                        {"last_seen", w.last_seen},
                        {"trials", {{"running", w.running}, {"done", w.done}}},
                        {"kinds", w.kinds}});
      out << list.dump(2) << "\n";
      return kExitOk;
    }
    if (workers.empty()) {
      out << "no workers (start one: krige-worker --connect tcp://HOST:5555, or krige up)\n";
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows = {
        {"ID", "HOST", "STATE", "SLOTS", "RUNNING", "DONE", "KINDS", "LAST SEEN"}};
    for (const WorkerInfo& w : workers) {
      std::string kinds;
      for (const auto& k : w.kinds) kinds += (kinds.empty() ? "" : ",") + k;
      rows.push_back({w.id, w.hostname.empty() ? "-" : w.hostname, w.state, std::to_string(w.slots),
                      std::to_string(w.running), std::to_string(w.done),
                      kinds.empty() ? "-" : kinds, w.last_seen});
    }
    out << FormatTable(rows);
    return kExitOk;
  });
}

int ValidateSpec(const std::string& spec_path, std::ostream& out, std::ostream& err) {
  try {
    ExperimentSpec spec = LoadSpecFile(spec_path);
    // What the server checks at submission besides the decoder's checks, and what only this
    // machine can: that a dataset path is readable.
    std::vector<FieldProblem> problems = CheckModelHyperparameters(spec);
    ResolveDatasetPath(spec, spec_path, std::filesystem::current_path().string());
    if (DatasetIsPath(spec) && !std::ifstream(spec.training.dataset))
      problems.push_back({"training.dataset", "cannot read " + spec.training.dataset});
    if (!problems.empty()) throw ValidationError(std::move(problems));
    out << spec_path << ": valid (" << spec.space.size() << " parameters, tuner " << spec.tuner.name
        << ", " << spec.max_trials << " trials, " << spec.training.kind;
    if (spec.training.kind == "cv") out << " " << spec.training.model;
    out << ")\n";
    return kExitOk;
  } catch (const ValidationError& e) {
    err << spec_path << ": " << e.problems().size() << " problem"
        << (e.problems().size() == 1 ? "" : "s") << ":\n";
    for (const auto& p : e.problems())
      err << "  " << (p.field.empty() ? "" : p.field + ": ") << p.message << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    err << spec_path << ": " << e.what() << "\n";
    return kExitFailed;
  }
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
