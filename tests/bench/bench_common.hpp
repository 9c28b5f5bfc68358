// Shared by the benchmarks: the svc_mixed experiment, medians, and a local krige stack
// (throwaway PostgreSQL, krige-server, one-slot workers on 127.0.0.1) for end-to-end timing.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace krige::bench {

// SVC on breast_cancer with a mixed, conditional space: gamma only for rbf and poly (libsvm
// ignores it for linear), degree only for poly. The dataset path is relative to the repo.
inline const char* const kSvcMixedSpec = R"(
name: svc-mixed
objective: {metric: accuracy, goal: maximize}
max_trials: 30
parallelism: 2
space:
  C: {type: float, low: 1.0e-2, high: 1.0e+3, log: true}
  gamma: {type: float, low: 1.0e-5, high: 1.0, log: true, when: {kernel: [rbf, poly]}}
  kernel: {type: categorical, values: [rbf, poly, linear]}
  degree: {type: int, low: 2, high: 4, when: {kernel: poly}}
training:
  dataset: examples/data/breast_cancer.csv
  model: svc
  folds: 5
  shuffle_seed: 0
)";

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// "a,b,c" -> {"a", "b", "c"} (a command line's list).
inline std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t comma; (comma = list.find(',', from)) != std::string::npos; from = comma + 1)
    out.push_back(list.substr(from, comma - from));
  out.push_back(list.substr(from));
  return out;
}

}  // namespace krige::bench

#ifdef KRIGE_BENCH_STACK
#include <signal.h>

#include <regex>

#include <cstdio>
#include <fstream>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"

namespace krige::bench {

// Prints each goal (name, target, value, met) and writes `out` with them to NAME.json.
inline void WriteGoals(krige::Json& out, const krige::Json& goals, const std::string& name) {
  out["goals"] = goals;
  std::printf("\n");
  for (const auto& g : goals)
    std::printf("%-58s target %-8s value %-12s %s\n", g["name"].get<std::string>().c_str(),
                g["target"].dump().c_str(), g["value"].dump().c_str(),
                g["met"].get<bool>() ? "met" : "NOT met");
  std::ofstream(name + ".json") << out.dump(2) << "\n";
}

// Starts the stack in `dir` (which must be reachable by the postgres user when run as root);
// stops everything and deletes the cluster when destroyed.
class LocalStack {
 public:
  LocalStack(const std::string& dir, int workers) : dir_(dir) {
    namespace kt = krige::testing;
    const auto [rc, out] =
        kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster start " + dir + "/pg >/dev/null && " +
                       kt::SourceDir() + "/scripts/pg-cluster createdb " + dir + "/pg krige");
    if (rc != 0) throw std::runtime_error("cannot start PostgreSQL");
    database_url_ = out.substr(0, out.find('\n'));
    auto server = kt::StartServer(database_url_, dir + "/server.log", kt::Auth::kOff);
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    for (int i = 0; i < workers; ++i)
      workers_.push_back(std::make_unique<kt::ChildProcess>(
          std::vector<std::string>{kt::BinDir() + "/krige-worker", "--connect", server.zmq,
                                   "--slots", "1"},
          dir + "/worker" + std::to_string(i) + ".log"));
    client_ = std::make_unique<Client>(Client::Connect(server.http, std::chrono::seconds(60)));
  }
  ~LocalStack() {
    workers_.clear();
    server_.reset();
    krige::testing::RunCommand(krige::testing::SourceDir() + "/scripts/pg-cluster destroy " + dir_ +
                               "/pg");
  }
  // Stops krige-server (SIGTERM) and starts a new one on the same database and log directory
  // (server-N.log), waiting up to `timeout` for its listening line: it recovers the running
  // experiments from the store before it prints it. Returns the seconds that took.
  double RestartServer(std::chrono::seconds timeout) {
    namespace kt = krige::testing;
    client_.reset();
    server_->Kill(SIGTERM);
    server_->Wait(std::chrono::seconds(30));
    server_.reset();
    const auto start = std::chrono::steady_clock::now();
    server_ = std::make_unique<kt::ChildProcess>(
        std::vector<std::string>{kt::BinDir() + "/krige-server", "--database-url", database_url_,
                                 "--http", "127.0.0.1:0", "--zmq", "tcp://127.0.0.1:*", "--auth",
                                 "off"},
        dir_ + "/server-" + std::to_string(++restarts_) + ".log");
    const std::string line = server_->WaitForLine("krige-server listening", timeout);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("http=(\\S+) zmq=(\\S+)")))
      throw std::runtime_error("krige-server did not start again:\n" + server_->Log());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    http_ = m[1];
    zmq_ = m[2];
    client_ = std::make_unique<Client>(Client::Connect(http_, std::chrono::seconds(60)));
    return seconds;
  }
  Client& client() { return *client_; }
  const std::string& http() const { return http_; }
  const std::string& database_url() const { return database_url_; }
  const std::string& zmq() const { return zmq_; }
  const std::string& dir() const { return dir_; }
  const krige::testing::ChildProcess& server() const { return *server_; }
  pid_t server_pid() const { return server_->pid(); }

 private:
  std::string dir_;
  std::string http_;
  std::string zmq_;
  std::string database_url_;
  std::unique_ptr<krige::testing::ChildProcess> server_;
  std::vector<std::unique_ptr<krige::testing::ChildProcess>> workers_;
  std::unique_ptr<Client> client_;
  int restarts_ = 0;
};

}  // namespace krige::bench
#endif

#ifdef KRIGE_BENCH_STORAGE
#include <cmath>
#include <random>

#include "krige/storage/pg.hpp"

namespace krige::bench {

// Loads `n` completed trials (numbers first..first+n-1) into `experiment` through the storage
// layer, 50 000 per transaction: C and gamma log-uniform, kernel one of three, accuracy in
// [0.6, 1) as the value, with an f1 metric. The scheduler learns of them when it restarts.
inline void LoadCompletedTrials(krige::storage::pg::Database& db, std::int64_t experiment, int n,
                                std::mt19937_64& rng, int first = 0) {
  std::uniform_real_distribution<double> u(0, 1);
  const char* kernels[] = {"rbf", "poly", "linear"};
  for (int begin = first; begin < first + n; begin += 50000) {
    std::vector<krige::Trial> batch;
    for (int i = begin; i < std::min(first + n, begin + 50000); ++i) {
      krige::Trial t;
      t.number = i;
      t.state = krige::TrialState::kCompleted;
      t.worker = "bench";
      t.params = {{"C", std::pow(10.0, -3 + 6 * u(rng))},
                  {"gamma", std::pow(10.0, -5 + 5 * u(rng))},
                  {"kernel", std::string(kernels[rng() % 3])}};
      const double accuracy = 0.6 + 0.4 * u(rng);
      t.value = accuracy;
      t.metrics = {{"accuracy", accuracy}, {"f1", accuracy * 0.98}};
      batch.push_back(std::move(t));
    }
    krige::storage::pg::ImportTrials(db, experiment, batch);
  }
}

// The space LoadCompletedTrials fills, as an experiment spec (JSON), random search.
inline const char* const kLoadedSpaceSpec = R"({
  "name": "loaded", "objective": {"metric": "accuracy", "goal": "maximize"},
  "tuner": {"name": "random", "seed": 1}, "max_trials": 1000000,
  "space": {"C": {"type": "float", "low": 0.001, "high": 1000, "log": true},
            "gamma": {"type": "float", "low": 0.00001, "high": 1, "log": true},
            "kernel": {"type": "categorical", "values": ["rbf", "poly", "linear"]}},
  "training": {"kind": "function", "function": "none"}})";

}  // namespace krige::bench
#endif
