// krige against scikit-learn's GridSearchCV on the same 100-configuration grid: StandardScaler +
// RBF SVC on breast_cancer, C = logspace(-3, 3, 10) x gamma = logspace(-5, 1, 10), 5 predefined
// folds shared by both. krige runs through the real stack (a throwaway PostgreSQL, krige-server,
// two krige-worker slots on 127.0.0.1); scikit-learn uses n_jobs=2. Wall times are medians of
// the repeats; the goal is krige at most half of scikit-learn's time with the same best
// configuration. Writes NAME.json.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"

using namespace std::chrono_literals;
namespace kt = krige::testing;
using krige::Json;
using krige::bench::Median;

namespace {

Json Axis(const Json& values) {
  Json p = {{"type", "float"}, {"log", true}, {"values", values}};
  p["low"] = *std::min_element(values.begin(), values.end());
  p["high"] = *std::max_element(values.begin(), values.end());
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "gridsearch";
  int repeats = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--repeats" && i + 1 < argc) repeats = std::stoi(argv[++i]);
    if (a == "--quick") repeats = 1;
  }
  kt::TempDir dir;
  std::system(("chmod 755 " + dir.path()).c_str());
  const std::string folds_csv = dir.path() + "/breast_cancer_folds.csv";

  std::cout << "scikit-learn GridSearchCV (n_jobs=2)...\n";
  const auto [peer_rc, peer_out] = kt::RunCommand(
      "/usr/bin/python3 " + kt::SourceDir() + "/tests/bench/gridsearch_peer.py " + kt::SourceDir() +
      "/examples/data/breast_cancer.csv " + folds_csv + " --repeats " + std::to_string(repeats));
  if (peer_rc != 0) {
    std::cerr << "the scikit-learn peer failed:\n" << peer_out;
    return 1;
  }
  const Json peer = Json::parse(peer_out);

  Json out;
  {
    krige::bench::LocalStack stack(dir.path(), 2);
    krige::Client& client = stack.client();

    const Json spec_json = {{"name", "gridsearch-svc"},
                            {"objective", {{"metric", "accuracy"}, {"goal", "maximize"}}},
                            {"tuner", {{"name", "grid"}}},
                            {"max_trials", 100},
                            {"parallelism", 2},
                            {"space", {{"C", Axis(peer["C"])}, {"gamma", Axis(peer["gamma"])}}},
                            {"training",
                             {{"dataset", folds_csv},
                              {"model", "svc"},
                              {"fold_column", "fold"},
                              {"preprocessing", {"standardize"}},
                              {"params", {{"kernel", "rbf"}}}}}};
    const krige::ExperimentSpec spec = krige::SpecFromJson(spec_json);
    std::this_thread::sleep_for(500ms);  // both workers connected
    std::vector<double> seconds;
    krige::Experiment done;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const auto id = client.CreateExperiment(spec).id;
      do {
        std::this_thread::sleep_for(20ms);
        done = client.GetExperiment(id);
      } while (done.state == krige::ExperimentState::kRunning);
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (done.state != krige::ExperimentState::kCompleted || done.counts.completed != 100) {
        std::cerr << "krige's experiment ended " << krige::ToJson(done).dump() << "\n";
        return 1;
      }
    }
    const double krige_s = Median(seconds);
    const double sklearn_s = Median(peer["seconds"].get<std::vector<double>>());
    const krige::Trial& best = *done.best;
    const double krige_C = krige::AsDouble(best.params.at("C"));
    const double krige_gamma = krige::AsDouble(best.params.at("gamma"));
    bool same_best = false;  // krige's best is one of scikit-learn's (possibly tied) best
    for (const auto& t : peer["tied_best"])
      same_best = same_best || (t["C"] == krige_C && t["gamma"] == krige_gamma);
    same_best = same_best && std::abs(*best.value - peer["best_score"].get<double>()) < 1e-9;

    std::printf("\n%-28s %10s %12s %10s %12s\n", "100 configurations x 5 folds", "median s",
                "best acc", "best C", "best gamma");
    std::printf("%-28s %10.2f %12.6f %10.4g %12.4g\n", "krige (2 worker slots)", krige_s,
                *best.value, krige_C, krige_gamma);
    std::printf("%-28s %10.2f %12.6f %10.4g %12.4g\n", "sklearn GridSearchCV n_jobs=2", sklearn_s,
                peer["best_score"].get<double>(), peer["best_params"]["C"].get<double>(),
                peer["best_params"]["gamma"].get<double>());
    std::printf("ratio krige / sklearn: %.3f (goal <= 0.5); same best configuration: %s\n",
                krige_s / sklearn_s, same_best ? "yes" : "no");

    out["krige"] = {{"seconds", seconds},
                    {"median_seconds", krige_s},
                    {"best_accuracy", *best.value},
                    {"best_params", krige::ToJson(best.params)}};
    out["sklearn"] = {{"seconds", peer["seconds"]},
                      {"median_seconds", sklearn_s},
                      {"best_accuracy", peer["best_score"]},
                      {"best_params", peer["best_params"]},
                      {"tied_best", peer["tied_best"]}};
    out["ratio"] = krige_s / sklearn_s;
    out["goals"] = Json::array({{{"name", "krige wall time / GridSearchCV wall time"},
                                 {"target", 0.5},
                                 {"value", krige_s / sklearn_s},
                                 {"met", krige_s / sklearn_s <= 0.5}},
                                {{"name", "same best configuration"},
                                 {"target", true},
                                 {"value", same_best},
                                 {"met", same_best}}});
  }
  std::ofstream(name + ".json") << out.dump(2) << "\n";
  return 0;
}
