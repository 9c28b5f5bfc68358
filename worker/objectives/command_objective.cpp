#include "objectives/command_objective.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "krige/codec.hpp"
#include "krige/error.hpp"

extern char** environ;

namespace krige::objectives {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kMaxLine = 1 << 20;  // a longer stdout line is not a metric line
constexpr auto kPoll = 50ms;
constexpr auto kDrain = 1s;  // after the program exits, how long its pipes may stay open

bool IsKeyStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/';
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  return v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<MetricLine> ParseJsonLine(std::string_view line) {
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  MetricLine out;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number()) continue;
    if (key == "step") {
      const double step = value.get<double>();
      if (step != std::floor(step) || std::fabs(step) > 1e9) return std::nullopt;
      out.step = static_cast<int>(step);
    } else {
      out.values[key] = value.get<double>();
    }
  }
  if (out.values.empty()) return std::nullopt;
  return out;
}

std::optional<MetricLine> ParsePairsLine(std::string_view line) {
  MetricLine out;
  while (!line.empty()) {
    const auto end = line.find_first_of(" \t");
    std::string_view token = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view() : Trim(line.substr(end));
    if (!token.empty() && token.back() == ',') token.remove_suffix(1);
    if (token.empty()) continue;
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0 || !IsKeyStart(token[0])) return std::nullopt;
    const std::string_view key = token.substr(0, eq);
    for (char c : key)
      if (!IsKeyChar(c)) return std::nullopt;
    const auto value = ParseNumber(token.substr(eq + 1));
    if (!value) return std::nullopt;
    if (key == "step") {
      if (*value != std::floor(*value) || std::fabs(*value) > 1e9) return std::nullopt;
      out.step = static_cast<int>(*value);
    } else {
      out.values[std::string(key)] = *value;
    }
  }
  if (out.values.empty()) return std::nullopt;
  return out;
}

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string SignalName(int sig) {
  const char* name = ::sigabbrev_np(sig);
  return name ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

// A pipe whose ends close on exec (the child gets dup2'ed copies only).
struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw Error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void CloseWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::vector<std::string> Environment(const TrialContext& trial) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : trial.params) env["KRIGE_PARAM_" + name] = ToString(value);
  env["KRIGE_PARAMS"] = ToJson(trial.params).dump();
  env["KRIGE_TRIAL_ID"] = std::to_string(trial.trial_id);
  env["KRIGE_TRIAL_NUMBER"] = std::to_string(trial.number);
  env["KRIGE_ATTEMPT"] = std::to_string(trial.attempt);
  env["KRIGE_OBJECTIVE"] = trial.objective.metric;
  env.emplace("PYTHONUNBUFFERED", "1");
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// One run of the program: spawn, read, enforce the deadline and the stop flag, reap.
class Run {
 public:
  Run(const TrialContext& trial, const CommandOptions& options)
      : trial_(trial), options_(options) {}
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  // Should anything throw half-way, the program does not outlive its trial.
  ~Run() {
    if (pid_ > 0 && !exited_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
  }

  TrialOutput Go() {
    Spawn();
    Loop();
    return Finish();
  }

 private:
  enum class Ending { kNone, kTimeout, kStopped };

  void Spawn() {
    std::vector<std::string> argv = SubstituteArguments(trial_);
    std::vector<std::string> envp = Environment(trial_);
    SpawnSetup setup;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    // The worker blocks SIGINT/SIGTERM in every thread (a dedicated thread takes them); a
    // child inherits that mask and would ignore our SIGTERM. Give it a clean slate.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD})
      sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    posix_spawnattr_setpgroup(&setup.attr, 0);  // its own group: pgid = pid
    posix_spawnattr_setflags(
        &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out_.write, 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err_.write, 2);
    auto args = Pointers(argv);
    auto env = Pointers(envp);
    const int rc =
        ::posix_spawnp(&pid_, args[0], &setup.actions, &setup.attr, args.data(), env.data());
    if (rc != 0)
      throw Error(ErrorCode::kFailedPrecondition,
                  "cannot run \"" + argv[0] + "\": " + std::strerror(rc), "training.command");
    out_.CloseWrite();
    err_.CloseWrite();
    start_ = Clock::now();
    if (options_.on_start) options_.on_start(pid_);
  }

  void Loop() {
    const double timeout = trial_.training.timeout_seconds;
    const auto deadline = start_ + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(timeout > 0 ? timeout : 0));
    Clock::time_point exited_at, term_at;
    bool killed = false;
    while (true) {
      const auto now = Clock::now();
      if (!exited_) {
        const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
        if (r == pid_) {
          exited_ = true;
          exited_at = now;
        }
      }
      if (exited_ && ((out_.read < 0 && err_.read < 0) || now - exited_at >= kDrain)) break;
      if (ending_ == Ending::kNone && !exited_) {
        if (trial_.ShouldStop()) ending_ = Ending::kStopped;
        if (timeout > 0 && now >= deadline) ending_ = Ending::kTimeout;
        if (ending_ != Ending::kNone) {
          ::kill(-pid_, SIGTERM);
          term_at = now;
        }
      }
      if (ending_ != Ending::kNone && !exited_ && !killed && now - term_at >= options_.kill_grace) {
        ::kill(-pid_, SIGKILL);
        killed = true;
      }
      ReadSome();
    }
    // Whatever the program left behind in its group goes with it.
    ::kill(-pid_, SIGKILL);
    if (!out_line_.empty()) Line(out_line_);
  }

  void ReadSome() {
    pollfd fds[2];
    int n = 0;
    if (out_.read >= 0) fds[n++] = {out_.read, POLLIN, 0};
    if (err_.read >= 0) fds[n++] = {err_.read, POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(kPoll);
      return;
    }
    if (::poll(fds, n, static_cast<int>(kPoll.count())) <= 0) return;
    char buf[1 << 16];
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      const bool is_out = fds[i].fd == out_.read;
      if (got <= 0) {
        is_out ? out_.CloseRead() : err_.CloseRead();
        continue;
      }
      if (is_out) {
        Stdout(std::string_view(buf, static_cast<std::size_t>(got)));
      } else {
        err_tail_.append(buf, static_cast<std::size_t>(got));
        if (err_tail_.size() > 2 * options_.stderr_tail)
          err_tail_.erase(0, err_tail_.size() - options_.stderr_tail);
      }
    }
  }

  void Stdout(std::string_view data) {
    while (!data.empty()) {
      const auto nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (out_line_.size() + data.size() <= kMaxLine) {
          out_line_.append(data);
        } else {
          overlong_ = true;  // drop it; not a metric line
          out_line_.clear();
        }
        return;
      }
      if (!overlong_) {
        out_line_.append(data.substr(0, nl));
        Line(out_line_);
      }
      out_line_.clear();
      overlong_ = false;
      data.remove_prefix(nl + 1);
    }
  }

  void Line(const std::string& line) {
    auto parsed = ParseMetricLine(line);
    if (!parsed) return;
    for (const auto& [name, value] : parsed->values) last_[name] = value;
    if (!parsed->step) return;
    StepScores scores{*parsed->step, parsed->values};
    trial_.Report(scores);
    auto& merged = steps_[scores.step];
    merged.step = scores.step;
    for (const auto& [name, value] : scores.values) merged.values[name] = value;
  }

  std::string StderrTail() const {
    std::string tail = err_tail_.size() > options_.stderr_tail
                           ? err_tail_.substr(err_tail_.size() - options_.stderr_tail)
                           : err_tail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    if (tail.empty()) return " (nothing on stderr)";
    return "; stderr (last " + std::to_string(options_.stderr_tail) + " bytes):\n" + tail;
  }

  TrialOutput Finish() {
    if (!exited_) {  // cannot happen: Loop() leaves only after the exit; reap to be sure
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
    switch (ending_) {
      case Ending::kStopped:
        throw Error(ErrorCode::kFailedPrecondition, "stopped");
      case Ending::kTimeout:
        throw Error(ErrorCode::kFailedPrecondition,
                    "timed out after " + FormatSeconds(trial_.training.timeout_seconds) + " s");
      case Ending::kNone:
        break;
    }
    if (WIFSIGNALED(status_))
      throw Error(ErrorCode::kFailedPrecondition,
                  "the command was killed by " + SignalName(WTERMSIG(status_)) + StderrTail());
    if (WIFEXITED(status_) && WEXITSTATUS(status_) != 0)
      throw Error(
          ErrorCode::kFailedPrecondition,
          "the command exited with status " + std::to_string(WEXITSTATUS(status_)) + StderrTail());
    const std::string& metric = trial_.objective.metric;
    const auto it = last_.find(metric);
    if (it == last_.end()) {
      std::string seen;
      for (const auto& [name, v] : last_) seen += (seen.empty() ? "" : ", ") + name;
      throw Error(ErrorCode::kFailedPrecondition,
                  "the command printed no value for the objective \"" + metric +
                      "\" (print a line such as {\"" + metric + "\": 0.9} or " + metric + "=0.9" +
                      (seen.empty() ? "; it printed no metric" : "; it printed: " + seen) + ")");
    }
    TrialOutput out;
    out.value = it->second;
    out.metrics = last_;
    for (auto& [step, scores] : steps_) out.steps.push_back(std::move(scores));
    return out;
  }

  const TrialContext& trial_;
  const CommandOptions& options_;
  Pipe out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  Ending ending_ = Ending::kNone;
  Clock::time_point start_;
  std::string out_line_;
  bool overlong_ = false;
  std::string err_tail_;
  std::map<std::string, double> last_;
  std::map<int, StepScores> steps_;
};

}  // namespace

std::optional<MetricLine> ParseMetricLine(std::string_view line) {
  line = Trim(line);
  if (line.empty()) return std::nullopt;
  if (line.front() == '{') return ParseJsonLine(line);
  return ParsePairsLine(line);
}

std::vector<std::string> SubstituteArguments(const TrialContext& trial) {
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : trial.params) values[name] = ToString(value);
  values["trial_id"] = std::to_string(trial.trial_id);
  values["number"] = std::to_string(trial.number);
  values["attempt"] = std::to_string(trial.attempt);
  std::vector<std::string> out;
  for (const auto& arg : trial.training.command) {
    std::string result;
    std::size_t at = 0;
    while (at < arg.size()) {
      const auto open = arg.find('{', at);
      if (open == std::string::npos) break;
      const auto close = arg.find('}', open + 1);
      if (close == std::string::npos) break;
      const auto it = values.find(arg.substr(open + 1, close - open - 1));
      if (it == values.end()) {  // not ours: keep the brace, look further
        result.append(arg, at, open + 1 - at);
        at = open + 1;
        continue;
      }
      result.append(arg, at, open - at);
      result += it->second;
      at = close + 1;
    }
    result.append(arg, at, std::string::npos);
    out.push_back(std::move(result));
  }
  return out;
}

ObjectiveFn MakeCommandObjective(CommandOptions options) {
  return [options = std::move(options)](const TrialContext& trial) {
    if (trial.training.kind != "command")
      throw Error(ErrorCode::kInvalidArgument,
                  "the command objective cannot run training kind \"" + trial.training.kind + "\"");
    if (trial.training.command.empty())
      throw Error(ErrorCode::kInvalidArgument, "training.command names no program",
                  "training.command");
    return Run(trial, options).Go();
  };
}

}  // namespace krige::objectives
