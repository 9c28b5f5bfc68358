#include "test_env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace krige::testing {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string AdminUrl() {
  if (const char* url = std::getenv("KRIGE_TEST_DATABASE_URL"); url && *url) return url;
  std::ifstream state(Env("KRIGE_TESTPG_STATE", KRIGE_TESTPG_STATE_DEFAULT));
  std::string dir, url;
  std::getline(state, dir);
  std::getline(state, url);
  if (url.empty()) throw std::runtime_error("no test cluster: the pg_cluster_start fixture failed");
  return url;
}

std::string ReplaceDatabase(const std::string& url, const std::string& db) {
  const auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + db;
}

}  // namespace

std::string BinDir() {
  return Env("KRIGE_BIN_DIR", KRIGE_BIN_DIR_DEFAULT);
}
std::string SourceDir() {
  return Env("KRIGE_SOURCE_DIR", KRIGE_SOURCE_DIR_DEFAULT);
}

TestDatabase::TestDatabase() : admin_url_(AdminUrl()) {
  std::random_device rd;
  name_ = "krige_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000000);
  pqxx::connection c(admin_url_);
  pqxx::nontransaction w(c);
  w.exec0("CREATE DATABASE " + w.quote_name(name_));
  url_ = ReplaceDatabase(admin_url_, name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(admin_url_);
    pqxx::nontransaction w(c);
    w.exec0("DROP DATABASE IF EXISTS " + w.quote_name(name_) + " WITH (FORCE)");
  } catch (...) {
    // The cluster is thrown away at the end of the run anyway.
  }
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::string& cwd)
    : log_path_(log_path) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      std::perror("chdir");
      ::_exit(127);
    }
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    Kill(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void ChildProcess::Kill(int signal) {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, signal);
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || status_ >= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ChildProcess::WaitForLine(const std::string& needle,
                                      std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::istringstream lines(Log());
    for (std::string line; std::getline(lines, line);)
      if (line.find(needle) != std::string::npos) return line;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

ServerProcess StartServer(const std::string& database_url, const std::string& log_path, Auth auth,
                          const std::vector<std::string>& extra_args, const std::string& zmq) {
  std::vector<std::string> argv = {BinDir() + "/krige-server",
                                   "--database-url",
                                   database_url,
                                   "--http",
                                   "127.0.0.1:0",
                                   "--zmq",
                                   zmq};
  const std::string token_file = log_path + ".token";
  if (auth == Auth::kOff) {
    argv.insert(argv.end(), {"--auth", "off"});
  } else {
    argv.insert(argv.end(), {"--auth", "on", "--token-file", token_file});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ServerProcess server;
  server.process = std::make_unique<ChildProcess>(argv, log_path);
  const std::string line =
      server.process->WaitForLine("krige-server listening", std::chrono::seconds(30));
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("http=(\\S+) zmq=(\\S+)")))
    throw std::runtime_error("krige-server did not start:\n" + server.process->Log());
  server.http = m[1];
  server.zmq = m[2];
  if (auth == Auth::kOn) {
    std::ifstream in(token_file);
    std::getline(in, server.token);
  }
  return server;
}

Certificate MakeSelfSignedCertificate(const std::string& dir,
                                      const std::vector<std::string>& extra_ips) {
  Certificate c{dir + "/cert.pem", dir + "/key.pem"};
  std::string names = "IP:127.0.0.1,IP:::1,DNS:localhost";
  for (const auto& ip : extra_ips) names += ",IP:" + ip;
  const auto [code, out] =
      RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                 c.key + " -out " + c.cert + " -addext subjectAltName=" + names + " 2>&1");
  if (code != 0) throw std::runtime_error("openssl could not make a certificate: " + out);
  return c;
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/krige-test.XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::pair<int, std::string> RunCommand(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace krige::testing
