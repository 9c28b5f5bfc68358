// A user's own worker, as the SDK documents it: krige::Worker with one named C++ objective.
//   function_worker --connect tcp://127.0.0.1:5555 --id ID [--only-experiment N]
// Objective "quadratic": (x - 0.3)^2; its metrics carry what TrialContext said about the
// experiment, so a test can check it.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "krige/worker.hpp"

int main(int argc, char** argv) {
  krige::WorkerOptions options;
  options.slots = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--connect")) options.connect = argv[i + 1];
    if (!std::strcmp(argv[i], "--id")) options.id = argv[i + 1];
    if (!std::strcmp(argv[i], "--only-experiment"))
      options.only_experiment = std::atoll(argv[i + 1]);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  krige::Objectives objectives;
  objectives.functions["quadratic"] = [](const krige::TrialContext& trial) {
    const double x = krige::AsDouble(trial.params.at("x"));
    const double loss = (x - 0.3) * (x - 0.3);
    return krige::TrialOutput{
        loss,
        {{"loss", loss},
         {"experiment_id", static_cast<double>(trial.experiment_id)},
         {"experiment_name_length", static_cast<double>(trial.experiment_name.size())}},
        {}};
  };
  krige::Worker worker(options, objectives);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    worker.Stop();
  });
  waiter.detach();
  worker.Run();
  return 0;
}
