// tests/bench/run dashboard [--quick]: the dashboard at 100 000 trials. Starts a throwaway
// PostgreSQL and a krige-server (no workers), bulk-loads completed trials through the storage
// layer (storage::pg::BulkLoadTrials) into an experiment of 1 000 trials (the baseline) and
// one of 100 000, and has headless Chromium (dashboard_bench.js) time, from navigation, the
// optimization history and the parallel coordinates drawn, and the latency of a live update
// (a trial completed while the page is open, until the page has drawn it).
// Goals: at 100 000 trials both plots within 2 s of navigation; a live update within 1 s.
//   dashboard_bench --insert DATABASE_URL EXPERIMENT_ID   (used by the .js: one more trial)
//   dashboard_bench --load DATABASE_URL EXPERIMENT_ID N   (N trials, for a look by hand)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>

#include "bench_common.hpp"
#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "krige/storage/feed.hpp"
#include "test_env.hpp"

namespace kt = krige::testing;
using krige::storage::pg::LoadedTrial;

namespace {

std::vector<LoadedTrial> Trials(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* kernels[] = {"rbf", "poly", "linear"};
  std::vector<LoadedTrial> out(n);
  for (auto& t : out) {
    const double logc = -2 + 5 * u(rng), logg = -5 + 5 * u(rng);
    const int k = static_cast<int>(3 * u(rng));
    const int degree = 2 + static_cast<int>(3 * u(rng));
    const double dropout = 0.5 * u(rng);
    t.params = {{"C", std::pow(10, logc)},
                {"gamma", std::pow(10, logg)},
                {"kernel", std::string(kernels[k])},
                {"degree", static_cast<std::int64_t>(degree)},
                {"dropout", dropout}};
    t.value = 0.9 - 0.02 * (logc - 1) * (logc - 1) - 0.01 * (logg + 3) * (logg + 3) - 0.03 * k +
              0.05 * dropout + 0.02 * u(rng);
    if (u(rng) < 0.02) {
      t.state = krige::TrialState::kFailed;
      t.value.reset();
    }
  }
  return out;
}

const char* kSpec = R"({
  "name": "dashboard-bench",
  "objective": {"metric": "accuracy", "goal": "maximize"},
  "tuner": {"name": "random", "seed": 1},
  "max_trials": 1000000,
  "parallelism": 1,
  "space": {
    "C": {"type": "float", "low": 0.01, "high": 1000, "log": true},
    "gamma": {"type": "float", "low": 1e-5, "high": 1, "log": true},
    "kernel": {"type": "categorical", "values": ["rbf", "poly", "linear"]},
    "degree": {"type": "int", "low": 2, "high": 4},
    "dropout": {"type": "float", "low": 0, "high": 0.5}},
  "training": {"kind": "command", "command": ["true"]}})";

double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--insert") {
    auto db = krige::storage::pg::OpenDatabase(argv[2], 1);
    static std::uint64_t seed = std::chrono::steady_clock::now().time_since_epoch().count();
    auto one = Trials(1, seed);
    one[0].state = krige::TrialState::kCompleted;
    one[0].value = 0.5;
    krige::storage::pg::BulkLoadTrials(*db, std::stoll(argv[3]), one);
    // When the trial was committed (ms since the epoch): a live update is timed from here.
    std::printf("committed_ms=%lld\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()));
    return 0;
  }
  if (argc == 5 && std::string(argv[1]) == "--load") {  // for a look by hand
    auto db = krige::storage::pg::OpenDatabase(argv[2], 1);
    krige::storage::pg::BulkLoadTrials(*db, std::stoll(argv[3]), Trials(std::stoi(argv[4]), 7));
    return 0;
  }
  std::string name = "dashboard";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") quick = true;
  }
  const int navigations = quick ? 1 : 3;
  const int live = quick ? 3 : 10;
  kt::TempDir dir;
  std::system(("chmod 755 " + dir.path()).c_str());
  const auto [rc, out] = kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster start " +
                                        dir.path() + "/pg >/dev/null && " + kt::SourceDir() +
                                        "/scripts/pg-cluster createdb " + dir.path() + "/pg krige");
  if (rc != 0) {
    std::cerr << "cannot start PostgreSQL\n";
    return 1;
  }
  const std::string url = out.substr(0, out.find('\n'));
  int status = 0;
  {
    auto server = kt::StartServer(url, dir.path() + "/server.log", kt::Auth::kOff);
    auto client = krige::Client::Connect(server.http, std::chrono::seconds(60));
    auto db = krige::storage::pg::OpenDatabase(url, 1);
    struct Row {
      int trials;
      double load_s;
      // live: from the trial's commit to the page drawing it; live_with_insert: from the start
      // of the process that inserts it (its start-up and connection included).
      std::vector<double> history, parcoords, loaded, live, live_with_insert;
      int points = 0;
    };
    std::vector<Row> rows;
    for (const int n : {1000, 100000}) {
      auto spec = krige::SpecFromJson(krige::ParseJson(kSpec));
      spec.name = "dashboard-bench-" + std::to_string(n);
      const auto e = client.CreateExperiment(spec);
      const auto trials = Trials(n, 7);
      const auto t0 = std::chrono::steady_clock::now();
      krige::storage::pg::BulkLoadTrials(*db, e.id, trials);
      Row row{n, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
      const std::string cmd = "node " + kt::SourceDir() + "/tests/bench/dashboard_bench.js " +
                              server.http + " " + std::to_string(e.id) + " " +
                              std::to_string(navigations) + " " + std::to_string(live) + " " +
                              argv[0] + " --insert " + url + " " + std::to_string(e.id);
      const auto [brc, json] = kt::RunCommand(cmd);
      if (brc != 0) {
        std::cerr << "dashboard_bench.js failed (" << brc << "): " << json << "\n";
        status = 1;
        break;
      }
      const auto j = krige::ParseJson(json.substr(json.find('{')));
      row.history = j["history_ms"].get<std::vector<double>>();
      row.parcoords = j["parcoords_ms"].get<std::vector<double>>();
      row.loaded = j["loaded_ms"].get<std::vector<double>>();
      row.live = j["live_ms"].get<std::vector<double>>();
      row.live_with_insert = j["live_with_insert_ms"].get<std::vector<double>>();
      row.points = j.value("points", 0);
      rows.push_back(row);
    }
    if (status == 0) {
      using krige::bench::Median;
      std::printf("%-8s %8s %8s %10s %10s %10s %14s %16s\n", "trials", "load s", "points",
                  "data ms", "history ms", "parcoords", "live ms med/max", "+insert med/max");
      krige::Json table = krige::Json::array();
      for (const auto& r : rows) {
        std::printf("%-8d %8.2f %8d %10.0f %10.0f %10.0f %7.0f/%-7.0f %8.0f/%-7.0f\n", r.trials,
                    r.load_s, r.points, Median(r.loaded), Median(r.history), Median(r.parcoords),
                    Median(r.live), Max(r.live), Median(r.live_with_insert),
                    Max(r.live_with_insert));
        table.push_back({{"trials", r.trials},
                         {"bulk_load_seconds", r.load_s},
                         {"points_drawn", r.points},
                         {"data_loaded_ms", r.loaded},
                         {"history_drawn_ms", r.history},
                         {"parcoords_drawn_ms", r.parcoords},
                         {"live_update_ms", r.live},
                         {"live_update_with_insert_process_ms", r.live_with_insert}});
      }
      const Row& big = rows.back();
      const double plots = std::max(Max(big.history), Max(big.parcoords));
      const double latency = Max(big.live);
      krige::Json goals = krige::Json::array();
      goals.push_back(
          {{"name",
            "100k trials: history and parallel coordinates drawn after navigation (ms, worst)"},
           {"target", 2000},
           {"value", plots},
           {"bound", "max"},
           {"met", plots <= 2000}});
      goals.push_back(
          {{"name", "100k trials: live update drawn after a trial completes (ms, worst)"},
           {"target", 1000},
           {"value", latency},
           {"bound", "max"},
           {"met", latency <= 1000}});
      for (const auto& g : goals)
        std::printf("goal: %s: %.0f (target %d) %s\n", g["name"].get<std::string>().c_str(),
                    g["value"].get<double>(), g["target"].get<int>(),
                    g["met"].get<bool>() ? "MET" : "NOT MET");
      std::printf("baseline: 1 000 trials drew both plots at %.0f ms\n",
                  std::max(Median(rows.front().history), Median(rows.front().parcoords)));
      std::ofstream(name + ".json")
          << krige::Json{{"name", name}, {"quick", quick}, {"results", table}, {"goals", goals}}
                 .dump(2)
          << "\n";
    }
  }
  kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster destroy " + dir.path() + "/pg");
  return status;
}
