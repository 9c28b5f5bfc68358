// bayesmark: search quality on real tuning tasks, scored as Bayesmark scores them. Six tasks of
// krige's built-in models on the shared datasets (classification and regression, fixed folds:
// the same CrossValidate for every tuner), 30 trials each, one at a time. krige's auto, tpe and
// random run in-process; Optuna's TPESampler (bayesmark_peer.py, Debian's /usr/bin/python3)
// suggests through ask/tell and krige evaluates its trials, so every tuner faces the same
// objective. Bayesmark's normalized score of a run: 100 x (1 - (loss - best) / (random - best)),
// where loss is the run's best value at the budget (negated for a metric to maximize), best the
// lowest loss any run of the task reached, and random the median of krige random's runs
// (Bayesmark's baseline is random search). 100 is the best seen, 0 is random's median; a task
// where random's median is already the best loss cannot rank tuners and is left out; a run's
// score is at least -100 (twice random's distance to the best), so that a task whose losses
// all lie within a hair of each other cannot outweigh the others.
// Goal (issue 14): auto's mean score over tasks and seeds above Optuna TPE's at 30 trials.
//   tests/bench/run bayesmark [--quick] [--seeds N] [--trials N] [--tasks a,b] [--no-peers]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "bench_common.hpp"
#include "krige/codec.hpp"
#include "krige/training/cross_validation.hpp"
#include "krige/tuners/tuner.hpp"

namespace {

using krige::Json;

struct Task {
  const char* name;
  const char* yaml;  // an experiment spec: objective, space, training (dataset under examples/)
};

const Task kTasks[] = {
    {"svc_breast_cancer", R"(
name: svc_breast_cancer
objective: {metric: accuracy, goal: maximize}
space:
  C: {type: float, low: 1.0e-2, high: 1.0e+3, log: true}
  gamma: {type: float, low: 1.0e-5, high: 1.0, log: true}
training: {dataset: breast_cancer.csv, model: svc, folds: 5, shuffle_seed: 0,
           preprocessing: [standardize]}
)"},
    {"logistic_wine", R"(
name: logistic_wine
objective: {metric: log_loss, goal: minimize}
space:
  C: {type: float, low: 1.0e-3, high: 1.0e+2, log: true}
  penalty: {type: categorical, values: [l2, l1]}
  class_weight: {type: categorical, values: [none, balanced]}
training: {dataset: wine.csv, model: logistic_regression, folds: 5, stratified: true,
           shuffle_seed: 0, preprocessing: [standardize]}
)"},
    {"xgboost_diabetes", R"(
name: xgboost_diabetes
objective: {metric: rmse, goal: minimize}
space:
  n_estimators: {type: int, low: 10, high: 200}
  max_depth: {type: int, low: 1, high: 8}
  learning_rate: {type: float, low: 1.0e-3, high: 1.0, log: true}
  subsample: {type: float, low: 0.5, high: 1.0}
  min_child_weight: {type: float, low: 1.0e-2, high: 10.0, log: true}
training: {dataset: diabetes.csv, task: regression, model: xgboost, folds: 5, shuffle_seed: 0}
)"},
    {"random_forest_wine", R"(
name: random_forest_wine
objective: {metric: log_loss, goal: minimize}
space:
  n_estimators: {type: int, low: 10, high: 150}
  max_depth: {type: int, low: 1, high: 10}
  subsample: {type: float, low: 0.3, high: 1.0}
  colsample_bynode: {type: float, low: 0.2, high: 1.0}
training: {dataset: wine.csv, model: random_forest, folds: 5, stratified: true, shuffle_seed: 0}
)"},
    {"elastic_net_diabetes", R"(
name: elastic_net_diabetes
objective: {metric: rmse, goal: minimize}
space:
  alpha: {type: float, low: 1.0e-4, high: 10.0, log: true}
  l1_ratio: {type: float, low: 0.0, high: 1.0}
training: {dataset: diabetes.csv, task: regression, model: elastic_net, folds: 5,
           shuffle_seed: 0, preprocessing: [standardize]}
)"},
    {"svr_diabetes", R"(
name: svr_diabetes
objective: {metric: rmse, goal: minimize}
space:
  C: {type: float, low: 1.0e-1, high: 1.0e+4, log: true}
  gamma: {type: float, low: 1.0e-4, high: 1.0, log: true}
  epsilon: {type: float, low: 1.0e-2, high: 50.0, log: true}
training: {dataset: diabetes.csv, task: regression, model: svr, folds: 5, shuffle_seed: 0,
           preprocessing: [standardize]}
)"},
};

// Optuna as a child process: JSON lines both ways (bayesmark_peer.py).
class Peer {
 public:
  Peer() {
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(to[0], 0);
      dup2(from[1], 1);
      close(to[1]);
      close(from[0]);
      execl("/usr/bin/python3", "python3", KRIGE_BENCH_DIR "/bayesmark_peer.py", nullptr);
      _exit(127);
    }
    close(to[0]);
    close(from[1]);
    in_ = fdopen(to[1], "w");
    out_ = fdopen(from[0], "r");
  }
  ~Peer() {
    fclose(in_);
    fclose(out_);
    waitpid(pid_, nullptr, 0);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void Send(const Json& message) {
    const std::string line = message.dump() + "\n";
    if (fputs(line.c_str(), in_) < 0 || fflush(in_) != 0)
      throw std::runtime_error("the Optuna peer is gone");
  }
  Json Receive() {
    std::string line;
    for (int c; (c = fgetc(out_)) != EOF && c != '\n';) line += static_cast<char>(c);
    if (line.empty()) throw std::runtime_error("the Optuna peer answered nothing");
    return krige::ParseJson(line);
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

// The loss of a value: what Bayesmark minimizes.
double Loss(const krige::ExperimentSpec& spec, double value) {
  return spec.objective.goal == krige::Goal::kMaximize ? -value : value;
}

// One run: `trials` evaluations suggested by `tuner` (a krige tuner's name, or "optuna_tpe"),
// one at a time; the best loss after each.
std::vector<double> Run(const krige::ExperimentSpec& spec, const std::string& tuner, int seed,
                        int trials, Peer* peer) {
  auto evaluate = [&](const krige::Params& p) {
    return krige::training::CrossValidate(spec.training, p, spec.objective.metric, {})
        .metrics.at(spec.objective.metric);
  };
  std::vector<double> best;
  double b = INFINITY;
  if (tuner == "optuna_tpe") {
    peer->Send(
        {{"cmd", "new"},
         {"space", krige::ToJson(spec)["space"]},
         {"direction", spec.objective.goal == krige::Goal::kMaximize ? "maximize" : "minimize"},
         {"seed", seed}});
    for (int i = 0; i < trials; ++i) {
      peer->Send({{"cmd", "ask"}});
      const krige::Params p = krige::ParamsFromJson(peer->Receive().at("params"));
      const double v = evaluate(p);
      peer->Send({{"cmd", "tell"}, {"value", v}});
      best.push_back(b = std::min(b, Loss(spec, v)));
    }
    return best;
  }
  krige::tuners::TunerContext c;
  c.space = spec.space;
  c.goal = spec.objective.goal;
  c.seed = static_cast<std::uint64_t>(seed);
  const auto t = krige::tuners::DefaultRegistry().Create(tuner, c);
  krige::tuners::History h;
  for (int i = 0; i < trials; ++i) {
    const auto s = t->Suggest(h, 1);
    if (s.empty()) break;
    const double v = evaluate(s[0].params);
    h.completed.push_back({s[0].params, v});
    best.push_back(b = std::min(b, Loss(spec, v)));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "bayesmark";
  int seeds = 10, trials = 30;
  bool peers = true;
  std::vector<std::string> task_names;
  for (const auto& t : kTasks) task_names.push_back(t.name);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--quick") seeds = 3;
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    if (a == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    if (a == "--tasks" && i + 1 < argc) task_names = krige::bench::SplitCommas(argv[++i]);
    if (a == "--no-peers") peers = false;
  }
  std::vector<std::string> tuners = {"auto", "tpe", "random"};
  if (peers) tuners.push_back("optuna_tpe");

  struct Job {
    const Task* task;
    krige::ExperimentSpec spec;
    std::string tuner;
    int seed;
    std::vector<double> best;
  };
  std::vector<Job> jobs;
  for (const auto& task_name : task_names) {
    const Task* task = nullptr;
    for (const auto& t : kTasks)
      if (task_name == t.name) task = &t;
    if (!task) {
      std::fprintf(stderr, "bayesmark: unknown task %s\n", task_name.c_str());
      return 2;
    }
    krige::ExperimentSpec spec = krige::SpecFromJson(krige::YamlToJson(task->yaml));
    spec.training.dataset = KRIGE_SOURCE_DIR "/examples/data/" + spec.training.dataset;
    for (const auto& tuner : tuners)
      for (int s = 1; s <= seeds; ++s) jobs.push_back({task, spec, tuner, s, {}});
  }

  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::string error;
  std::vector<std::thread> pool;
  for (int t = 0; t < 2; ++t)
    pool.emplace_back([&] {
      std::unique_ptr<Peer> peer;
      for (std::size_t j; (j = next++) < jobs.size();) {
        try {
          if (jobs[j].tuner == "optuna_tpe" && !peer) peer = std::make_unique<Peer>();
          jobs[j].best = Run(jobs[j].spec, jobs[j].tuner, jobs[j].seed, trials, peer.get());
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(error_mutex);
          error = std::string(jobs[j].task->name) + " " + jobs[j].tuner + ": " + e.what();
        }
      }
    });
  for (auto& t : pool) t.join();
  if (!error.empty()) {
    std::fprintf(stderr, "bayesmark: %s\n", error.c_str());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Scores at the budget, per task and tuner.
  Json out;
  out["trials"] = trials;
  out["seeds"] = seeds;
  out["seconds"] = seconds;
  std::map<std::string, std::map<std::string, double>> mean_score;  // task -> tuner -> mean
  std::map<std::string, double> overall;  // tuner -> mean over the tasks scored
  int scored = 0;
  std::printf("%-22s", "task (mean score)");
  for (const auto& tuner : tuners) std::printf(" %11s", tuner.c_str());
  std::printf("   best loss   random median\n");
  for (const auto& task_name : task_names) {
    double best = INFINITY;
    std::vector<double> random_losses;
    for (const auto& j : jobs) {
      if (j.task->name != task_name || j.best.empty()) continue;
      best = std::min(best, j.best.back());
      if (j.tuner == "random") random_losses.push_back(j.best.back());
    }
    const double random = krige::bench::Median(random_losses);
    const double span = random - best;
    std::printf("%-22s", task_name.c_str());
    // Random search's median already reached the best loss: the task cannot tell tuners apart
    // (the score is undefined), so it is shown and left out of the means.
    if (!(span > 1e-12 * std::max(1.0, std::fabs(best)))) {
      for (std::size_t i = 0; i < tuners.size(); ++i) std::printf(" %11s", "-");
      std::printf("   %9.5g   %9.5g   (random's median is the best: left out)\n", best, random);
      out["tasks"][task_name] = {
          {"best_loss", best}, {"random_median_loss", random}, {"left_out", true}};
      continue;
    }
    ++scored;
    for (const auto& tuner : tuners) {
      std::vector<double> scores, losses;
      for (const auto& j : jobs)
        if (j.task->name == task_name && j.tuner == tuner && !j.best.empty()) {
          losses.push_back(j.best.back());
          scores.push_back(std::max(-100.0, 100 * (1 - (j.best.back() - best) / span)));
        }
      const double mean = std::accumulate(scores.begin(), scores.end(), 0.0) / scores.size();
      mean_score[task_name][tuner] = mean;
      overall[tuner] += mean;
      out["tasks"][task_name][tuner] = {{"mean_score", mean},
                                        {"scores", scores},
                                        {"best_losses", losses},
                                        {"median_loss", krige::bench::Median(losses)}};
      std::printf(" %11.1f", mean);
    }
    out["tasks"][task_name]["best_loss"] = best;
    out["tasks"][task_name]["random_median_loss"] = random;
    std::printf("   %9.5g   %9.5g\n", best, random);
  }
  for (auto& [tuner, sum] : overall) sum /= std::max(1, scored);
  std::printf("%-22s", "mean over tasks");
  for (const auto& tuner : tuners) std::printf(" %11.1f", overall[tuner]);
  std::printf("\n%zu runs in %.0f s\n", jobs.size(), seconds);
  out["mean_score"] = overall;

  Json goals = Json::array();
  out["tasks_scored"] = scored;
  if (peers && scored > 0) {
    const double a = overall["auto"], o = overall["optuna_tpe"];
    goals.push_back({{"name", "auto's mean normalized score above Optuna TPE's, " +
                                  std::to_string(trials) + " trials"},
                     {"target", o},
                     {"value", a},
                     {"met", a > o}});
  }
  krige::bench::WriteGoals(out, goals, name);
  return 0;
}
