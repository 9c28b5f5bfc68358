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

}  // namespace krige::bench

#ifdef KRIGE_BENCH_STACK
#include "krige/client.hpp"
#include "test_env.hpp"

namespace krige::bench {

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
};

}  // namespace krige::bench
#endif
