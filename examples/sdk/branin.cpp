// Tunes a C++ function with krige from an outside project: krige::Optimize runs the trials in
// this process (two slots) while the server's gp tuner picks each next point.
//
//   branin --api http://127.0.0.1:8080 --connect tcp://127.0.0.1:5555 [--token T]
//          [--trials 30] [--slots 2] [--seed 1]
//
// The Branin function has its minimum 0.397887 at (-pi, 12.275), (pi, 2.275) and
// (9.42478, 2.475). The last line printed is "best <value> x=<x> y=<y> experiment <id>".
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

#include "krige/client.hpp"
#include "krige/error.hpp"
#include "krige/optimize.hpp"
#include "krige/spec_builder.hpp"

namespace {

double Branin(double x, double y) {
  const double pi = std::acos(-1.0);
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double u = y - b * x * x + c * x - 6;
  return u * u + 10 * (1 - t) * std::cos(x) + 10;
}

int Usage() {
  std::cerr << "usage: branin --api URL --connect tcp://HOST:PORT [--token T] [--trials N] "
               "[--slots N] [--seed S]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string api, connect;
  std::optional<std::string> token;
  int trials = 30, slots = 2;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage();
    const char* value = argv[++i];
    if (flag == "--api") {
      api = value;
    } else if (flag == "--connect") {
      connect = value;
    } else if (flag == "--token") {
      token = value;
    } else if (flag == "--trials") {
      trials = std::atoi(value);
    } else if (flag == "--slots") {
      slots = std::atoi(value);
    } else if (flag == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else {
      return Usage();
    }
  }
  if (api.empty() || connect.empty()) return Usage();

  // The objective, registered under the name the spec's training names.
  krige::Objectives objectives;
  objectives.functions["branin"] = [](const krige::TrialContext& trial) {
    const double x = krige::AsDouble(trial.params.at("x"));
    const double y = krige::AsDouble(trial.params.at("y"));
    const double loss = Branin(x, y);
    return krige::TrialOutput{loss, {{"loss", loss}}, {}};
  };

  krige::OptimizeOptions options;
  options.worker.connect = connect;
  options.local_slots = slots;
  options.progress = [trials](const krige::Experiment& e) {
    std::cout << "experiment " << e.spec.name << " (" << e.id << "): " << e.counts.completed << "/"
              << trials << " trials done";
    if (e.best && e.best->value) std::cout << ", best " << *e.best->value;
    if (!e.waiting.empty()) std::cout << ", " << e.waiting;
    std::cout << "\n";
  };

  try {
    const krige::Client client = krige::Client::Connect(api, std::chrono::seconds(30), token);
    const krige::Experiment done =
        krige::Optimize(client,
                        krige::Spec("branin from C++")
                            .Minimize("loss")
                            .Tuner("gp", seed)
                            .MaxTrials(trials)
                            .Parallelism(slots)
                            .Space(krige::SearchSpace().Float("x", -5, 10).Float("y", 0, 15))
                            .Function("branin"),
                        objectives, options);
    if (done.state != krige::ExperimentState::kCompleted || !done.best || !done.best->value) {
      std::cerr << "experiment " << done.id << " ended " << krige::ExperimentStateName(done.state)
                << " without a best trial\n";
      return 1;
    }
    const krige::Trial& best = *done.best;
    std::cout << std::setprecision(17) << "best " << *best.value
              << " x=" << krige::AsDouble(best.params.at("x"))
              << " y=" << krige::AsDouble(best.params.at("y")) << " experiment " << done.id << "\n";
  } catch (const krige::Error& e) {
    std::cerr << "branin: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
