// gp against random search through the real stack: a throwaway PostgreSQL, krige-server and
// two krige-worker processes on 127.0.0.1, tuning an RBF/poly/linear SVC on breast_cancer
// (bench_common.hpp: C and gamma log-scale, kernel categorical, gamma only for rbf and poly,
// degree only for poly), 30 trials per experiment, 10 seeds per tuner. Prints a table and
// writes NAME.json (goal: gp's median best CV accuracy above random's).
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"

using namespace std::chrono_literals;
namespace kt = krige::testing;
using krige::bench::Median;

int main(int argc, char** argv) {
  std::string name = "svc_mixed";
  int seeds = 10;
  const int trials = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    if (a == "--quick") seeds = 4;
  }
  kt::TempDir dir;
  std::system(("chmod 755 " + dir.path()).c_str());
  krige::bench::LocalStack stack(dir.path(), 2);
  krige::Client& client = stack.client();

  std::map<std::string, std::vector<std::int64_t>> ids;
  const auto start = std::chrono::steady_clock::now();
  for (int seed = 1; seed <= seeds; ++seed) {
    for (const std::string tuner : {"gp", "random"}) {
      auto spec = krige::SpecFromJson(krige::YamlToJson(krige::bench::kSvcMixedSpec));
      spec.name = "svc-mixed-" + tuner + "-" + std::to_string(seed);
      spec.tuner.name = tuner;
      spec.tuner.seed = seed;
      spec.max_trials = trials;
      spec.training.dataset = kt::SourceDir() + "/" + spec.training.dataset;
      ids[tuner].push_back(client.CreateExperiment(spec).id);
    }
  }
  std::map<std::string, std::vector<double>> best;
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
  std::printf("goal gp > random: %s (%.5f vs %.5f)\n", gp > random ? "met" : "NOT met", gp, random);
  return 0;
}
