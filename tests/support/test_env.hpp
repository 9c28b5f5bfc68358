// Test helpers shared by the pg and e2e suites: a database per test, and child processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace krige::testing {

// Paths handed to tests by CMake (tests/CMakeLists.txt).
std::string BinDir();     // built programs
std::string SourceDir();  // the repository (examples/, migrations/)

// A fresh, empty database in the ctest run's throwaway cluster; dropped by the destructor.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// A child process whose stdout and stderr go to a log file; killed (SIGKILL) by the destructor.
// It runs in `cwd` when given (else the test's working directory).
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
               const std::string& cwd = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Kill(int signal);
  // Waits for the exit; returns the exit code (128+signal when killed), or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  // Polls the log for a line containing `needle`; returns that line, or "" on timeout.
  std::string WaitForLine(const std::string& needle, std::chrono::milliseconds timeout) const;
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int status_ = -1;
};

// A krige-server started by StartServer, with the addresses it printed.
struct ServerProcess {
  std::unique_ptr<ChildProcess> process;
  std::string http;   // http://127.0.0.1:PORT
  std::string zmq;    // tcp://127.0.0.1:PORT
  std::string token;  // Auth::kOn: the first admin token (read from its token file); else ""
};

// Every test decides: kOff runs the server with `--auth off` (tests of something else);
// kOn keeps tokens on and passes --token-file (next to the log), so a fresh database gets its
// first admin token there, returned in ServerProcess::token. On a database that has tokens
// already, no new one is made and `token` is the file's previous content, if any.
enum class Auth { kOff, kOn };

// Starts krige-server on `database_url`, HTTP on a free port of 127.0.0.1 and ZeroMQ on `zmq`
// (default: a free port), and waits for its listening line; throws std::runtime_error quoting
// the log when the line does not come.
ServerProcess StartServer(const std::string& database_url, const std::string& log_path, Auth auth,
                          const std::vector<std::string>& extra_args = {},
                          const std::string& zmq = "tcp://127.0.0.1:*");

// A unique scratch directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A self-signed certificate for 127.0.0.1, ::1, localhost and `extra_ips`, valid for a day,
// made with openssl in `dir`: PEM files cert.pem (also the CA file that trusts it) and key.pem.
struct Certificate {
  std::string cert;
  std::string key;
};
Certificate MakeSelfSignedCertificate(const std::string& dir,
                                      const std::vector<std::string>& extra_ips = {});

// Runs a command through /bin/sh, returns (exit code, stdout).
std::pair<int, std::string> RunCommand(const std::string& command);

}  // namespace krige::testing
