#include "stack.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "krige/client.hpp"

namespace krige::cli {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kServerStartTimeout = 30s;
constexpr auto kStopGrace = 5s;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (const auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs a program to completion and returns its stdout (stderr is passed through).
std::string RunCapture(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], 1);
    // stdout of `krige` may be the --json result; diagnostics of helpers go to stderr.
    auto argv = Argv(args);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "krige: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(ErrorCode::kUnavailable, "`" + Join(args) + "` failed (see the messages above)");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  const auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// Starts a program in its own session, stdin from /dev/null, stdout+stderr to `log_path`.
pid_t SpawnDetached(const std::vector<std::string>& args, const std::string& log_path) {
  // Truncated here, before the fork, so that the caller never reads the previous run's log.
  const int log =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0)
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot write " + log_path + ": " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    throw Error(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    auto argv = Argv(args);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "krige: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(log);
  return pid;
}

// True when `pid` is a live (not zombie) process whose program is one of ours, so that a pid
// recycled since stack.json was written is never signalled.
bool IsOurProcess(int pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  if (stat[close + 2] == 'Z' || stat[close + 2] == 'X') return false;
  // argv[0], or argv[1] when a script runs through its interpreter.
  std::istringstream cmdline(ReadFile("/proc/" + std::to_string(pid) + "/cmdline"));
  std::string arg;
  for (int i = 0; i < 2 && std::getline(cmdline, arg, '\0'); ++i) {
    const std::string base = fs::path(arg).filename().string();
    if (base == "krige-server" || base == "krige-worker") return true;
  }
  return false;
}

void ReapIfChild(int pid) {
  int status;
  ::waitpid(pid, &status, WNOHANG);
}

std::string NowIso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Writes a secret to a file only its owner can read.
void WriteSecretFile(const std::string& path, const std::string& secret) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string text = secret + "\n";
  const bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) ::close(fd);
  if (!ok)
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot write " + path + ": " + std::strerror(errno));
}

void MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::kFailedPrecondition, "cannot create " + dir + ": " + ec.message());
  // The postgres system user must be able to pass through when we run as root.
  if (::geteuid() == 0) ::chmod(dir.c_str(), 0755);
}

}  // namespace

std::string ExecutableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorCode::kInternal, "cannot find the krige executable: " + ec.message());
  return exe.parent_path().string();
}

LocalStack::LocalStack(std::string data_dir, std::string bin_dir)
    : data_dir_(std::move(data_dir)), bin_dir_(std::move(bin_dir)) {}

std::string LocalStack::Path(const std::string& name) const {
  return (fs::path(data_dir_) / name).string();
}

std::string LocalStack::Program(const std::string& name) const {
  const std::string path = (fs::path(bin_dir_) / name).string();
  if (::access(path.c_str(), X_OK) != 0)
    throw Error(ErrorCode::kFailedPrecondition,
                name + " not found next to krige (looked for " + path + ")");
  return path;
}

std::optional<StackInfo> LocalStack::ReadState() const {
  const std::string path = Path("stack.json");
  if (!fs::exists(path)) return std::nullopt;
  try {
    return StackInfoFromJson(ParseJson(ReadFile(path)));
  } catch (const Error&) {
    return StackInfo{};  // unreadable: treated as stale
  }
}

std::optional<StackInfo> LocalStack::Running() const {
  auto info = ReadState();
  if (!info || info->server_url.empty()) return std::nullopt;
  try {
    if (Client::Connect(info->server_url, 2s).Healthy()) return info;
  } catch (const Error&) {
  }
  return std::nullopt;
}

void LocalStack::StopProcesses(const StackInfo& info, std::ostream& log) const {
  std::vector<int> live;
  for (int pid : info.pids)
    if (IsOurProcess(pid) && ::kill(pid, SIGTERM) == 0) live.push_back(pid);
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (!live.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    std::vector<int> still;
    for (int pid : live) {
      ReapIfChild(pid);
      if (IsOurProcess(pid)) still.push_back(pid);
    }
    live.swap(still);
  }
  for (int pid : live) {
    log << "krige: process " << pid << " ignored SIGTERM for 5 s; sending SIGKILL\n";
    ::kill(pid, SIGKILL);
    ReapIfChild(pid);
  }
}

StackInfo LocalStack::Up(int workers, std::ostream& log) {
  if (auto info = Running()) return *info;
  MakeDirs(data_dir_);
  if (auto stale = ReadState()) {
    log << "krige: cleaning up a stale local stack in " << data_dir_ << "\n";
    StopProcesses(*stale, log);
    fs::remove(Path("stack.json"));
  }
  const std::string server = Program("krige-server");
  const std::string worker = Program("krige-worker");
  const std::string pg = Program("krige-pg-cluster");

  log << "krige: starting PostgreSQL in " << Path("pg") << "\n";
  RunCapture({pg, "start", Path("pg")});
  const std::string database_url = RunCapture({pg, "createdb", Path("pg"), "krige"});

  // Auth stays on: at its first start the server writes the first admin token to DATA/token,
  // where the CLI and the SDK find it (krige::DefaultToken).
  const std::string server_log = Path("server.log");
  const std::string token_file = Path("token");
  const pid_t server_pid =
      SpawnDetached({server, "--database-url", database_url, "--http", "127.0.0.1:0", "--zmq",
                     "tcp://127.0.0.1:*", "--token-file", token_file},
                    server_log);
  std::optional<Listening> listening;
  const auto deadline = std::chrono::steady_clock::now() + kServerStartTimeout;
  while (!listening) {
    listening = FindListeningLine(ReadFile(server_log));
    if (listening) break;
    int status = 0;
    const bool exited = ::waitpid(server_pid, &status, WNOHANG) == server_pid;
    const bool late = std::chrono::steady_clock::now() > deadline;
    if (exited || late) {
      if (!exited) {
        ::kill(server_pid, SIGKILL);
        ::waitpid(server_pid, &status, 0);
      }
      throw Error(ErrorCode::kUnavailable,
                  std::string("krige-server ") +
                      (exited ? "exited" : "did not report listening within 30 s") +
                      "; last lines of " + server_log + ":\n" + Tail(ReadFile(server_log), 20));
    }
    std::this_thread::sleep_for(50ms);
  }

  if (!fs::exists(token_file)) {
    // The database has tokens but the file is gone (deleted by hand): a new admin token.
    log << "krige: " << token_file << " is missing; creating a new admin token\n";
    WriteSecretFile(token_file, RunCapture({server, "--database-url", database_url, "token",
                                            "create", "--role", "admin", "--name", "krige up"}));
  }

  StackInfo info;
  info.server_url = listening->http;
  info.zmq = listening->zmq;
  info.pids.push_back(server_pid);
  for (int i = 0; i < workers; ++i)
    // The local workers run the user's own command trials (examples/command).
    info.pids.push_back(
        SpawnDetached({worker, "--connect", info.zmq, "--slots", "1", "--allow-commands"},
                      Path("worker-" + std::to_string(i) + ".log")));
  info.started_at = NowIso8601();

  const std::string tmp = Path("stack.json.tmp");
  {
    std::ofstream out(tmp);
    out << ToJson(info).dump(2) << "\n";
    if (!out) throw Error(ErrorCode::kInternal, "cannot write " + tmp);
  }
  fs::rename(tmp, Path("stack.json"));
  return info;
}

void LocalStack::Down(std::ostream& log) {
  if (auto info = ReadState()) {
    StopProcesses(*info, log);
    fs::remove(Path("stack.json"));
    log << "krige: local stack stopped\n";
  } else {
    log << "krige: no local stack recorded in " << data_dir_ << "\n";
  }
  if (fs::exists(Path("pg"))) RunCapture({Program("krige-pg-cluster"), "stop", Path("pg")});
}

}  // namespace krige::cli
