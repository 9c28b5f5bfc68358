// Early stopping through the real stack (throwaway PostgreSQL, krige-server, two one-slot
// krige-worker processes on 127.0.0.1) against Optuna's TPE with its pruners (pruning_peer.py).
//
// (a) svc (rbf) on breast_cancer, 10-fold CV: gp alone, and gp with median, asha, hyperband and
//     folds; Optuna TPE with MedianPruner, SuccessiveHalvingPruner and WilcoxonPruner's rule.
// (b) xgboost on digits, 3-fold CV, training.resource n_estimators (60 rounds, a report every
//     10): gp alone and with median, asha, hyperband; TPE with MedianPruner and
//     SuccessiveHalvingPruner.
// Each configuration: `seeds` experiments of `trials` trials (parallelism 1 each, all seeds at
// once on the two workers). Worker CPU-seconds: the workers are started for the configuration
// and stopped after it, and getrusage(RUSAGE_CHILDREN) counts what they used (user + system).
// Optuna's: time.process_time() inside its objective. Score: the median over seeds of the best
// completed trial's CV accuracy.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"

using namespace std::chrono_literals;
namespace kt = krige::testing;
using krige::Json;
using krige::bench::Median;

namespace {

double ChildrenCpu() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec * 1e-6;
}

// The system part of ChildrenCpu (page faults, polls, sends), shown beside it.
double ChildrenSystemCpu() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

long ChildrenPageFaults() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_minflt + u.ru_majflt;
}

struct Problem {
  std::string name;
  int samples;  // one test sample's worth of accuracy is 1 / samples
  Json spec;
  std::vector<std::pair<std::string, Json>> pruners;  // krige: name -> pruner spec (null: none)
  std::map<std::string, std::string> matching;        // krige pruner -> Optuna's
};

Problem Svc() {
  Problem p{"svc", 569, Json::object(), {}, {}};
  p.spec = {{"objective", {{"metric", "accuracy"}, {"goal", "maximize"}}},
            {"space",
             {{"C", {{"type", "float"}, {"low", 1e-3}, {"high", 1e3}, {"log", true}}},
              {"gamma", {{"type", "float"}, {"low", 1e-5}, {"high", 10}, {"log", true}}}}},
            {"training",
             {{"dataset", kt::SourceDir() + "/examples/data/breast_cancer.csv"},
              {"model", "svc"},
              {"folds", 10},
              {"shuffle_seed", 0}}}};
  p.pruners = {{"none", nullptr},
               {"median", {{"name", "median"}}},
               {"asha", {{"name", "asha"}, {"min_resource", 1}, {"reduction_factor", 3}}},
               {"hyperband", {{"name", "hyperband"}, {"min_resource", 1}, {"reduction_factor", 3}}},
               {"folds", {{"name", "folds"}}}};
  p.matching = {{"median", "median"}, {"asha", "successive_halving"}, {"folds", "wilcoxon"}};
  return p;
}

Problem Xgboost() {
  Problem p{"xgboost", 1797, Json::object(), {}, {}};
  p.spec = {
      {"objective", {{"metric", "accuracy"}, {"goal", "maximize"}}},
      {"space",
       {{"max_depth", {{"type", "int"}, {"low", 2}, {"high", 6}}},
        {"learning_rate", {{"type", "float"}, {"low", 0.01}, {"high", 0.5}, {"log", true}}},
        {"subsample", {{"type", "float"}, {"low", 0.5}, {"high", 1.0}}},
        {"colsample_bytree", {{"type", "float"}, {"low", 0.3}, {"high", 1.0}}},
        {"min_child_weight", {{"type", "float"}, {"low", 0.5}, {"high", 20}, {"log", true}}}}},
      {"training",
       {{"dataset", kt::SourceDir() + "/examples/data/digits.csv"},
        {"model", "xgboost"},
        {"folds", 3},
        {"shuffle_seed", 0},
        {"preprocessing", {"none"}},
        {"resource", "n_estimators"},
        {"report_every", 10},
        {"params", {{"n_estimators", 60}, {"tree_method", "hist"}}}}}};
  p.pruners = {{"none", nullptr},
               {"median", {{"name", "median"}}},
               {"asha", {{"name", "asha"}, {"min_resource", 10}, {"reduction_factor", 3}}},
               {"hyperband",
                {{"name", "hyperband"},
                 {"min_resource", 10},
                 {"max_resource", 60},
                 {"reduction_factor", 3}}}};
  p.matching = {{"median", "median"}, {"asha", "successive_halving"}};
  return p;
}

struct Run {
  double cpu = 0, system_cpu = 0;
  long page_faults = 0;
  std::vector<double> best;
  int trials = 0, pruned = 0;
  // Per trial, for studying where the CPU went: seed, number, params, state, steps run, value.
  Json detail = Json::array();
};

}  // namespace

int main(int argc, char** argv) {
  std::string name = "pruning";
  int seeds = 5, trials = 50;
  bool peers = true;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    if (a == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    if (a == "--problem" && i + 1 < argc) only.push_back(argv[++i]);
    if (a == "--no-peers") peers = false;
    if (a == "--quick") seeds = 2, trials = 20;
  }
  std::vector<Problem> problems;
  for (Problem p : {Svc(), Xgboost()})
    if (only.empty() || std::find(only.begin(), only.end(), p.name) != only.end())
      problems.push_back(std::move(p));

  kt::TempDir dir;
  std::system(("chmod 755 " + dir.path()).c_str());
  const auto [rc, db] = kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster start " + dir.path() +
                                       "/pg >/dev/null && " + kt::SourceDir() +
                                       "/scripts/pg-cluster createdb " + dir.path() + "/pg krige");
  if (rc != 0) {
    std::fprintf(stderr, "cannot start PostgreSQL\n");
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, std::map<std::string, Run>> krige_runs;
  {
    auto server =
        kt::StartServer(db.substr(0, db.find('\n')), dir.path() + "/server.log", kt::Auth::kOff);
    krige::Client client = krige::Client::Connect(server.http, std::chrono::seconds(60));
    int batch = 0;
    for (const Problem& p : problems) {
      for (const auto& [pruner, pruner_spec] : p.pruners) {
        const double before = ChildrenCpu(), system_before = ChildrenSystemCpu();
        const long faults_before = ChildrenPageFaults();
        std::vector<std::unique_ptr<kt::ChildProcess>> workers;
        for (int w = 0; w < 2; ++w)
          workers.push_back(std::make_unique<kt::ChildProcess>(
              std::vector<std::string>{kt::BinDir() + "/krige-worker", "--connect", server.zmq,
                                       "--slots", "1"},
              dir.path() + "/worker" + std::to_string(batch) + "-" + std::to_string(w) + ".log"));
        ++batch;
        std::vector<std::int64_t> ids;
        for (int seed = 1; seed <= seeds; ++seed) {
          Json spec = p.spec;
          spec["name"] = p.name + "-gp-" + pruner + "-" + std::to_string(seed);
          spec["tuner"] = {{"name", "gp"}, {"seed", seed}};
          spec["max_trials"] = trials;
          spec["parallelism"] = 1;
          if (!pruner_spec.is_null()) spec["pruner"] = pruner_spec;
          ids.push_back(client.CreateExperiment(krige::SpecFromJson(spec)).id);
        }
        Run& run = krige_runs[p.name][pruner];
        for (const auto id : ids) {
          krige::Experiment e = client.GetExperiment(id);
          while (e.state == krige::ExperimentState::kRunning) {
            std::this_thread::sleep_for(300ms);
            e = client.GetExperiment(id);
          }
          run.best.push_back(e.best && e.best->value ? *e.best->value : 0.0);
          run.trials += e.counts.total();
          run.pruned += e.counts.pruned;
        }
        for (auto& w : workers) w->Kill(SIGTERM);
        for (auto& w : workers) w->Wait(std::chrono::seconds(30));
        run.cpu = ChildrenCpu() - before;
        run.system_cpu = ChildrenSystemCpu() - system_before;
        run.page_faults = ChildrenPageFaults() - faults_before;
        // Read once the workers are gone, so it costs them nothing.
        for (std::size_t i = 0; i < ids.size(); ++i)
          for (const krige::Trial& t : client.ListTrials(ids[i]))
            run.detail.push_back({{"seed", i + 1},
                                  {"number", t.number},
                                  {"params", krige::ToJson(t.params)},
                                  {"state", std::string(krige::TrialStateName(t.state))},
                                  {"steps", client.GetTrial(ids[i], t.number).steps.size()},
                                  {"value", t.value ? Json(*t.value) : Json()}});
        std::fprintf(stderr,
                     "%s gp+%s: %.2f worker CPU s (%.2f system, %ld page faults), median best "
                     "%.5f, %d/%d pruned\n",
                     p.name.c_str(), pruner.c_str(), run.cpu, run.system_cpu, run.page_faults,
                     Median(run.best), run.pruned, run.trials);
      }
    }
  }
  kt::RunCommand(kt::SourceDir() + "/scripts/pg-cluster destroy " + dir.path() + "/pg");

  Json optuna = Json::object();
  if (peers) {
    std::string list;
    for (const Problem& p : problems) list += " " + p.name;
    const auto [prc, out] = kt::RunCommand(
        "/usr/bin/python3 " + kt::SourceDir() + "/tests/bench/pruning_peer.py --data " +
        kt::SourceDir() + "/examples/data --seeds " + std::to_string(seeds) + " --trials " +
        std::to_string(trials) + " --problems" + list);
    if (prc == 0) {
      optuna = Json::parse(out);
    } else {
      std::fprintf(stderr, "pruning_peer.py failed (%d); no Optuna figures\n", prc);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("pruning: %d seeds x %d trials per configuration (%.0f s)\n", seeds, trials, seconds);
  std::printf("%-8s %-28s %12s %12s %10s\n", "problem", "method", "worker CPU s", "median best",
              "pruned");
  Json goals = Json::array();
  Json table = Json::object();
  for (const Problem& p : problems) {
    const Run& base = krige_runs[p.name]["none"];
    const double base_best = Median(base.best);
    for (const auto& [pruner, run] : krige_runs[p.name]) {
      std::printf("%-8s %-28s %12.1f %12.5f %5d/%-4d\n", p.name.c_str(),
                  ("krige gp+" + pruner).c_str(), run.cpu, Median(run.best), run.pruned,
                  run.trials);
      table[p.name]["gp+" + pruner] = {{"cpu", run.cpu},       {"system_cpu", run.system_cpu},
                                       {"best", run.best},     {"pruned", run.pruned},
                                       {"trials", run.trials}, {"trial_detail", run.detail}};
      if (pruner == "none") continue;
      goals.push_back({{"name", p.name + ": gp+" + pruner + " worker CPU <= 60% of gp alone"},
                       {"target", 0.6 * base.cpu},
                       {"value", run.cpu},
                       {"met", run.cpu <= 0.6 * base.cpu}});
      const double tolerance = 1.0 / p.samples;
      goals.push_back(
          {{"name", p.name + ": gp+" + pruner + " median best within one test sample of gp alone"},
           {"target", base_best - tolerance},
           {"value", Median(run.best)},
           {"met", Median(run.best) >= base_best - tolerance - 1e-12}});
    }
    if (!optuna.contains(p.name)) continue;
    for (const auto& [peer, r] : optuna[p.name].items()) {
      const double cpu = [&] {
        double s = 0;
        for (double v : r["cpu"]) s += v;
        return s;
      }();
      const double best = Median(r["best"].get<std::vector<double>>());
      std::printf("%-8s %-28s %12.1f %12.5f\n", p.name.c_str(), ("optuna tpe+" + peer).c_str(), cpu,
                  best);
      table[p.name]["optuna tpe+" + peer] = {{"cpu", cpu}, {"best", r["best"]}};
    }
    for (const auto& [ours, theirs] : p.matching) {
      if (!optuna[p.name].contains(theirs)) continue;
      const Run& run = krige_runs[p.name][ours];
      double cpu = 0;
      for (double v : optuna[p.name][theirs]["cpu"]) cpu += v;
      const double best = Median(optuna[p.name][theirs]["best"].get<std::vector<double>>());
      goals.push_back(
          {{"name", p.name + ": gp+" + ours + " less worker CPU than optuna tpe+" + theirs},
           {"target", cpu},
           {"value", run.cpu},
           {"met", run.cpu < cpu}});
      goals.push_back({{"name", p.name + ": gp+" + ours + " median best >= optuna tpe+" + theirs},
                       {"target", best},
                       {"value", Median(run.best)},
                       {"met", Median(run.best) >= best}});
    }
  }
  for (const auto& g : goals)
    std::printf("goal %-70s %s (%.5g vs %.5g)\n", g["name"].get<std::string>().c_str(),
                g["met"].get<bool>() ? "met" : "NOT met", g["value"].get<double>(),
                g["target"].get<double>());
  Json out;
  out["seeds"] = seeds;
  out["trials"] = trials;
  out["seconds"] = seconds;
  out["results"] = table;
  out["goals"] = goals;
  std::ofstream(name + ".json") << out.dump(2) << "\n";
  return 0;
}
