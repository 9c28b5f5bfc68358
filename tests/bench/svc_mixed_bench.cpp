// gp against random search through the real stack: a throwaway PostgreSQL, krige-server and
// two krige-worker processes on 127.0.0.1, tuning an RBF/poly/linear SVC on breast_cancer
// (C and gamma log-scale, kernel categorical, gamma only for rbf and poly, degree only for poly;
// libsvm ignores gamma for the linear kernel, as scikit-learn does), 30 trials per
// experiment, 10 seeds per tuner. Prints a table and writes NAME.json (goal: gp's median best
// CV accuracy above random's).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"

using namespace std::chrono_literals;
namespace kt = krige::testing;

namespace {

const char* const kSpec = R"(
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

krige::ExperimentSpec SvcSpec(const std::string& tuner, std::uint64_t seed, int trials) {
  auto spec = krige::SpecFromJson(krige::YamlToJson(kSpec));
  spec.name = "svc-mixed-" + tuner + "-" + std::to_string(seed);
  spec.tuner.name = tuner;
  spec.tuner.seed = seed;
  spec.max_trials = trials;
  spec.training.dataset = kt::SourceDir() + "/examples/data/breast_cancer.csv";
  return spec;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "svc_mixed";
  int seeds = 10, trials = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    if (a == "--quick") seeds = 4;
  }
  kt::TempDir dir;
  std::system(("chmod 755 " + dir.path()).c_str());
  const auto [pg_rc, pg_out] = kt::RunCommand(
      kt::SourceDir() + "/scripts/pg-cluster start " + dir.path() + "/pg >/dev/null && " +
      kt::SourceDir() + "/scripts/pg-cluster createdb " + dir.path() + "/pg krige");
  if (pg_rc != 0) {
    std::cerr << "cannot start PostgreSQL\n";
    return 1;
  }
  const std::string url = pg_out.substr(0, pg_out.find('\n'));
  int rc = 0;
  {
    kt::ChildProcess server({kt::BinDir() + "/krige-server", "--database-url", url, "--http",
                             "127.0.0.1:0", "--zmq", "tcp://127.0.0.1:*"},
                            dir.path() + "/server.log");
    const std::string line = server.WaitForLine("krige-server listening", 30s);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("http=(\\S+) zmq=(\\S+)"))) {
      std::cerr << server.Log();
      return 1;
    }
    kt::ChildProcess w0({kt::BinDir() + "/krige-worker", "--connect", m[2], "--slots", "1"},
                        dir.path() + "/w0.log");
    kt::ChildProcess w1({kt::BinDir() + "/krige-worker", "--connect", m[2], "--slots", "1"},
                        dir.path() + "/w1.log");
    krige::Client client = krige::Client::Connect(m[1], 60s);

    std::map<std::string, std::vector<double>> best;
    std::map<std::string, std::vector<std::int64_t>> ids;
    const auto start = std::chrono::steady_clock::now();
    for (int seed = 1; seed <= seeds; ++seed)
      for (const std::string tuner : {"gp", "random"})
        ids[tuner].push_back(client.CreateExperiment(SvcSpec(tuner, seed, trials)).id);
    for (auto& [tuner, list] : ids) {
      for (const auto id : list) {
        krige::Experiment e = client.GetExperiment(id);
        while (e.state == krige::ExperimentState::kRunning) {
          std::this_thread::sleep_for(500ms);
          e = client.GetExperiment(id);
        }
        best[tuner].push_back(e.best && e.best->value ? *e.best->value : 0.0);
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const double gp = Median(best["gp"]), random = Median(best["random"]);
    std::printf("svc on breast_cancer, %d trials, %d seeds, 2 workers (%.0f s)\n", trials, seeds,
                seconds);
    std::printf("%-8s %-10s %-10s %-10s\n", "tuner", "median", "min", "max");
    for (const auto& [tuner, values] : best)
      std::printf("%-8s %-10.5f %-10.5f %-10.5f\n", tuner.c_str(), Median(values),
                  *std::min_element(values.begin(), values.end()),
                  *std::max_element(values.begin(), values.end()));
    krige::Json out;
    out["trials"] = trials;
    out["seeds"] = seeds;
    out["seconds"] = seconds;
    out["best_accuracy"] = best;
    out["goals"] =
        krige::Json::array({{{"name", "gp median best accuracy > random median best accuracy"},
                             {"target", random},
                             {"value", gp},
                             {"met", gp > random}}});
    std::ofstream(name + ".json") << out.dump(2) << "\n";
    std::printf("goal gp > random: %s (%.5f vs %.5f)\n", gp > random ? "met" : "NOT met", gp,
                random);
  }
  kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster destroy " + dir.path() + "/pg");
  return rc;
}
