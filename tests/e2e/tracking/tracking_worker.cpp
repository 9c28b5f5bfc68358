// A user's worker whose C++ objective logs like any run (issue 11, "sweeps log like runs"):
// per trial, 20 steps of "loss", a tag and an artifact, through TrialContext::TrackingRun.
//   tracking_worker --connect tcp://127.0.0.1:5555
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "krige/worker.hpp"

int main(int argc, char** argv) {
  krige::WorkerOptions options;
  options.slots = 2;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--connect")) options.connect = argv[i + 1];
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  krige::Objectives objectives;
  objectives.functions["fit"] = [](const krige::TrialContext& trial) {
    const double x = krige::AsDouble(trial.params.at("x"));
    krige::Run run = trial.TrackingRun();
    double loss = 1;
    for (int step = 0; step < 20; ++step) {
      loss = (x - 0.3) * (x - 0.3) + 1.0 / (1 + step);
      run.LogMetric("train_loss", loss, step);
    }
    run.SetTag("optimizer", "sgd");
    const std::string file = "/tmp/krige-trial-" + std::to_string(trial.trial_id) + ".txt";
    std::ofstream(file) << "trial " << trial.number;
    run.LogArtifact("notes/trial.txt", file);
    std::remove(file.c_str());
    run.Flush();
    return krige::TrialOutput{loss, {{"loss", loss}}, {}};
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
