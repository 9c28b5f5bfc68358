// memory: the coordinator's resident memory with one very large running experiment. A random
// search experiment (max_trials 1 000 000, the limit) gets 990 000 completed trials
// (--quick: 200 000) bulk-loaded through the storage layer (bench_common.hpp's
// LoadCompletedTrials, as rest's), stays `running`, and krige-server is restarted so that it
// recovers the experiment with its whole history from PostgreSQL (fsync on). One simulated
// worker (sim_workers, 10 ms trials) then connects and trials are dispatched; after --settle
// seconds (default 10) of that, VmRSS and VmHWM are read from /proc/PID/status.
// The experiment is 990 000 and not 1 000 000 trials because max_trials cannot exceed
// 1 000 000 (limits::kMaxTrials) and the experiment must still have trials to hand out.
// Goal: VmRSS <= 256 MB while dispatching.
//   tests/bench/run memory [--quick] [--trials N] [--settle S]
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"

namespace {

namespace kt = krige::testing;
using krige::Json;
using Clock = std::chrono::steady_clock;

std::string Sql(const std::string& url, const std::string& query) {
  const auto [rc, out] = kt::RunCommand("psql -qAt '" + url + "' -c \"" + query + "\"");
  if (rc != 0) throw std::runtime_error("psql failed: " + query);
  return out.substr(0, out.find('\n'));
}

// A "VmRSS:    1234 kB" field of /proc/PID/status, in MB (2^20 bytes).
double StatusMb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream value(line.substr(field.size() + 1));
      double kb = 0;
      value >> kb;
      return kb / 1024;
    }
  throw std::runtime_error("no " + field + " in /proc/" + std::to_string(pid) + "/status");
}

int Completed(const std::string& url, std::int64_t id) {
  return std::stoi(Sql(url, "SELECT count(*) FROM trials WHERE experiment_id = " +
                                std::to_string(id) + " AND state = 'completed'"));
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "memory";
  int trials = 990000;
  int settle = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") trials = 200000, settle = 5;
    if (a == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    if (a == "--settle" && i + 1 < argc) settle = std::stoi(argv[++i]);
  }
  kt::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the postgres user runs the cluster in it when root
  Json out;
  out["trials_loaded"] = trials;
  out["settle_seconds"] = settle;
  double rss_empty = 0, rss_recovered = 0, hwm_recovered = 0, rss = 0, hwm = 0;
  double load_s = 0, recover_s = 0, dispatch_rate = 0;
  int completed_before = 0, completed_after = 0;
  std::string state;
  {
    krige::bench::LocalStack stack(dir.path(), 0);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_empty = StatusMb(stack.server_pid(), "VmRSS");
    auto db = krige::storage::pg::OpenDatabase(stack.database_url(), 2);
    krige::ExperimentSpec spec =
        krige::SpecFromJson(krige::ParseJson(krige::bench::kLoadedSpaceSpec));
    spec.name = "memory";
    spec.training.function = "sleep";  // what sim_workers runs
    const std::int64_t id = stack.client().CreateExperiment(spec).id;
    std::mt19937_64 rng(7);
    auto start = Clock::now();
    krige::bench::LoadCompletedTrials(*db, id, trials, rng);
    load_s = std::chrono::duration<double>(Clock::now() - start).count();
    kt::RunCommand("psql -qAt '" + stack.database_url() + "' -c 'ANALYZE trials' >/dev/null");
    std::printf("%d trials loaded in %.1f s\n", trials, load_s);
    std::fflush(stdout);

    recover_s = stack.RestartServer(std::chrono::seconds(900));
    const pid_t server = stack.server_pid();
    rss_recovered = StatusMb(server, "VmRSS");
    hwm_recovered = StatusMb(server, "VmHWM");
    std::printf("recovered in %.1f s: VmRSS %.1f MB\n", recover_s, rss_recovered);
    std::fflush(stdout);

    kt::ChildProcess sim({KRIGE_SIM_WORKERS, "--connect", stack.zmq(), "--workers", "1", "--prefix",
                          "memory", "--trial-ms", "10", "--out", dir.path() + "/sim.json"},
                         dir.path() + "/sim.log");
    // Dispatching: wait for the first few trials past the loaded ones to complete.
    const auto deadline = Clock::now() + std::chrono::seconds(300);
    while (Completed(stack.database_url(), id) < trials + 3) {
      if (Clock::now() > deadline) throw std::runtime_error("no trials were dispatched");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    completed_before = Completed(stack.database_url(), id);
    start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(settle));
    rss = StatusMb(server, "VmRSS");
    hwm = StatusMb(server, "VmHWM");
    completed_after = Completed(stack.database_url(), id);
    dispatch_rate = (completed_after - completed_before) /
                    std::chrono::duration<double>(Clock::now() - start).count();
    state = krige::ExperimentStateName(stack.client().GetExperiment(id).state);
    sim.Kill(SIGTERM);
    sim.Wait(std::chrono::seconds(30));
  }
  // Trials past the loaded ones completed (the wait above), and it has not ended.
  const bool dispatching = state == "running" && completed_after > trials;
  out["load_seconds"] = load_s;
  out["recover_seconds"] = recover_s;
  out["rss_mb"] = {{"empty_store", rss_empty},
                   {"recovered", rss_recovered},
                   {"dispatching", rss},
                   {"peak", hwm},
                   {"peak_at_recovery", hwm_recovered}};
  out["bytes_per_trial"] = (rss - rss_empty) * 1048576.0 / trials;
  out["dispatch"] = {{"state", state},
                     {"completed_before", completed_before},
                     {"completed_after", completed_after},
                     {"trials_per_second", dispatch_rate}};

  std::printf("\nkrige-server with one running experiment of %d completed trials\n", trials);
  std::printf("%-44s %10s\n", "", "MB");
  std::printf("%-44s %10.1f\n", "VmRSS, empty store", rss_empty);
  std::printf("%-44s %10.1f\n", "VmRSS, recovered (before any worker)", rss_recovered);
  std::printf("%-44s %10.1f\n", "VmRSS, dispatching to one worker", rss);
  std::printf("%-44s %10.1f\n", "VmHWM (peak), at the end", hwm);
  std::printf(
      "%.0f bytes per loaded trial; recovery %.1f s; load %.1f s; dispatch %.2f trials/s "
      "(state %s)\n",
      out["bytes_per_trial"].get<double>(), recover_s, load_s, dispatch_rate, state.c_str());

  Json goals = Json::array();
  goals.push_back({{"name", "VmRSS MB while dispatching"},
                   {"target", 256},
                   {"value", rss},
                   {"met", dispatching && rss <= 256}});
  goals.push_back({{"name", "the experiment still running and dispatching"},
                   {"target", true},
                   {"value", dispatching},
                   {"met", dispatching}});
  krige::bench::WriteGoals(out, goals, name);
  return 0;
}
