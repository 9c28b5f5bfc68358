// A krige::Worker whose one C++ objective, "noop", returns at once (the value is x): what the
// dispatch benchmark runs, so that it measures krige and not training.
//   noop_worker --connect tcp://127.0.0.1:5555 --slots 16
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "krige/worker.hpp"

int main(int argc, char** argv) {
  krige::WorkerOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--connect")) options.connect = argv[i + 1];
    if (!std::strcmp(argv[i], "--slots")) options.slots = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--id")) options.id = argv[i + 1];
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  krige::Objectives objectives;
  objectives.functions["noop"] = [](const krige::TrialContext& trial) {
    const double x = krige::AsDouble(trial.params.at("x"));
    return krige::TrialOutput{x, {{"x", x}}, {}};
  };
  krige::Worker worker(options, objectives);
  std::thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    worker.Stop();
  }).detach();
  worker.Run();
  return 0;
}
