// dispatch: how many trials a second krige completes when the objective costs nothing, on a
// durable store (fsync and synchronous_commit on), and whether the rate holds as the study
// grows; against Optuna with RDBStorage on the same PostgreSQL cluster.
//   krige: krige-server, 4 worker processes x 16 slots of a no-op C++ objective (noop_worker),
//          random search, 20 000 trials (--quick: 5 000), timed from the POST to `completed`;
//          then SQL: exactly that many completed trials, no number twice.
//   Optuna: 2 processes, 2 000 trials (--quick: 500), RandomSampler (dispatch_peer.py).
// Goals: >= 5 000 trials/s; >= 30x Optuna's rate; flat: the first 2 000 trials' completion
// rate at most 1.2x the last 2 000's.
//   tests/bench/run dispatch [--quick] [--trials N] [--peer-trials N]
#include <sys/stat.h>

#include <sstream>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"

namespace {

namespace kt = krige::testing;
using krige::Json;
using Clock = std::chrono::steady_clock;

// Seconds since the epoch of every completed trial's finished_at, in order.
std::vector<double> FinishTimes(const std::string& url, std::int64_t experiment) {
  const auto [rc, out] = kt::RunCommand(
      "psql -qAt '" + url +
      "' -c \"SELECT extract(epoch FROM finished_at) FROM trials WHERE experiment_id = " +
      std::to_string(experiment) + " AND state = 'completed' ORDER BY finished_at\"");
  if (rc != 0) throw std::runtime_error("psql failed");
  std::vector<double> times;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) times.push_back(std::stod(line));
  return times;
}

std::string Sql(const std::string& url, const std::string& query) {
  const auto [rc, out] = kt::RunCommand("psql -qAt '" + url + "' -c \"" + query + "\"");
  if (rc != 0) throw std::runtime_error("psql failed: " + query);
  return out.substr(0, out.find('\n'));
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "dispatch";
  int trials = 20000;
  int peer_trials = 2000;
  constexpr int kWorkers = 4;
  constexpr int kSlots = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") trials = 5000, peer_trials = 500;
    if (a == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    if (a == "--peer-trials" && i + 1 < argc) peer_trials = std::stoi(argv[++i]);
  }
  const int window = std::min(2000, trials / 4);
  kt::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the postgres user runs the cluster in it when root
  Json out;
  double krige_rate = 0, first_rate = 0, last_rate = 0;
  bool exact = false;
  {
    krige::bench::LocalStack stack(dir.path(), 0);
    std::vector<std::unique_ptr<kt::ChildProcess>> workers;
    for (int i = 0; i < kWorkers; ++i)
      workers.push_back(std::make_unique<kt::ChildProcess>(
          std::vector<std::string>{KRIGE_NOOP_WORKER, "--connect", stack.zmq(), "--slots",
                                   std::to_string(kSlots), "--id", "noop" + std::to_string(i)},
          dir.path() + "/noop" + std::to_string(i) + ".log"));
    for (int i = 0; i < kWorkers; ++i)
      if (stack.server()
              .WaitForLine("worker noop" + std::to_string(i) + " joined", std::chrono::seconds(30))
              .empty())
        throw std::runtime_error("worker " + std::to_string(i) + " did not join");
    krige::ExperimentSpec spec = krige::SpecFromJson(krige::ParseJson(R"({
      "name": "dispatch", "objective": {"metric": "x", "goal": "minimize"},
      "tuner": {"name": "random", "seed": 1},
      "space": {"x": {"type": "float", "low": 0, "high": 1}},
      "training": {"kind": "function", "function": "noop"}})"));
    spec.max_trials = trials;
    spec.parallelism = kWorkers * kSlots;
    const auto start = Clock::now();
    const std::int64_t id = stack.client().CreateExperiment(spec).id;
    krige::Experiment e = stack.client().GetExperiment(id);
    while (e.state == krige::ExperimentState::kRunning) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      e = stack.client().GetExperiment(id);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    krige_rate = trials / seconds;
    const int completed =
        std::stoi(Sql(stack.database_url(), "SELECT count(*) FROM trials WHERE experiment_id = " +
                                                std::to_string(id) + " AND state = 'completed'"));
    const int numbers = std::stoi(Sql(stack.database_url(),
                                      "SELECT count(DISTINCT number) FROM trials WHERE "
                                      "experiment_id = " +
                                          std::to_string(id)));
    const int rows =
        std::stoi(Sql(stack.database_url(),
                      "SELECT count(*) FROM trials WHERE experiment_id = " + std::to_string(id)));
    exact = completed == trials && numbers == trials && rows == trials;
    const auto times = FinishTimes(stack.database_url(), id);
    if (static_cast<int>(times.size()) >= 2 * window) {
      first_rate = (window - 1) / std::max(1e-9, times[window - 1] - times[0]);
      last_rate =
          (window - 1) / std::max(1e-9, times[times.size() - 1] - times[times.size() - window]);
    }
    out["krige"] = {{"trials", trials},
                    {"workers", kWorkers},
                    {"slots", kSlots},
                    {"seconds", seconds},
                    {"trials_per_second", krige_rate},
                    {"state", krige::ExperimentStateName(e.state)},
                    {"completed", completed},
                    {"distinct_numbers", numbers},
                    {"rows", rows},
                    {"first_window_rate", first_rate},
                    {"last_window_rate", last_rate},
                    {"window", window}};

    // Optuna on the same cluster, in its own database.
    const std::string optuna_url =
        kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster createdb " + dir.path() +
                       "/pg optuna")
            .second;
    const auto [rc, peer] =
        kt::RunCommand("/usr/bin/python3 " + kt::SourceDir() + "/tests/bench/dispatch_peer.py '" +
                       optuna_url.substr(0, optuna_url.find('\n')) + "' " +
                       std::to_string(peer_trials) + " 2 2>" + dir.path() + "/peer.err");
    if (rc != 0) {
      std::ifstream err(dir.path() + "/peer.err");
      std::cerr << err.rdbuf();
      throw std::runtime_error("the Optuna peer failed");
    }
    out["optuna"] = krige::ParseJson(peer.substr(0, peer.find('\n')));
  }
  const double optuna_rate = out["optuna"]["trials_per_second"].get<double>();
  const double ratio = krige_rate / optuna_rate;
  const double flat = first_rate / std::max(1e-9, last_rate);

  std::printf("\n%-44s %12s %10s\n", "", "trials/s", "trials");
  std::printf("%-44s %12.0f %10d\n", "krige (4 processes x 16 slots, random)", krige_rate, trials);
  std::printf("%-44s %12.0f %10d\n", "  first trials completed", first_rate, window);
  std::printf("%-44s %12.0f %10d\n", "  last trials completed", last_rate, window);
  std::printf("%-44s %12.0f %10d\n", "Optuna RDBStorage (2 processes, random)", optuna_rate,
              out["optuna"]["trials"].get<int>());
  std::printf("exactly %d trials completed, no number twice: %s\n", trials, exact ? "yes" : "NO");

  Json goals = Json::array();
  goals.push_back({{"name", "krige trials/s"},
                   {"target", 5000},
                   {"value", krige_rate},
                   {"met", krige_rate >= 5000}});
  goals.push_back({{"name", "krige trials/s / Optuna trials/s"},
                   {"target", 30},
                   {"value", ratio},
                   {"met", ratio >= 30}});
  goals.push_back({{"name", "first-window rate / last-window rate"},
                   {"target", 1.2},
                   {"value", flat},
                   {"met", flat <= 1.2}});
  goals.push_back({{"name", "exactly the trials asked for, no number twice"},
                   {"target", true},
                   {"value", exact},
                   {"met", exact}});
  krige::bench::WriteGoals(out, goals, name);
  return exact ? 0 : 1;
}
