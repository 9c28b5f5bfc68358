// krige::Optimize — one call from C++: create an experiment, evaluate its trials with C++
// objectives in this process, and return it finished with its best trial; the shape of
// Optuna's study.optimize with krige's coordinator (tuner, store, dashboard) behind it.
//
//   krige::Objectives objectives;
//   objectives.functions["branin"] = [](const krige::TrialContext& trial) {
//     const double loss = Branin(krige::AsDouble(trial.params.at("x")),
//                                krige::AsDouble(trial.params.at("y")));
//     return krige::TrialOutput{loss, {{"loss", loss}}, {}};
//   };
//   krige::OptimizeOptions options;
//   options.worker.connect = "tcp://127.0.0.1:5555";  // the coordinator's ZeroMQ endpoint
//   options.local_slots = 2;
//   const krige::Experiment done = krige::Optimize(
//       krige::Client::Connect("http://127.0.0.1:8080"),
//       krige::Spec("branin").Minimize("loss").Tuner("gp").MaxTrials(30).Parallelism(2)
//           .Space(krige::SearchSpace().Float("x", -5, 10).Float("y", 0, 15))
//           .Function("branin"),
//       objectives, options);
//   std::cout << done.best->value.value();
//
// The local slots take only this experiment's trials (WorkerOptions::only_experiment); remote
// workers that registered the same function name (krige::Worker with the same Objectives) may
// take some of them too. At most spec.parallelism trials run at once, wherever they run.
#pragma once

#include <chrono>
#include <functional>

#include "krige/client.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"
#include "krige/worker.hpp"

namespace krige {

struct OptimizeOptions {
  // The local worker: `connect` (the coordinator's ZeroMQ endpoint) is required unless
  // local_slots is 0; CurveZMQ keys, id and heartbeat as for any krige::Worker. Optimize sets
  // `slots` to local_slots and `only_experiment` to the experiment it created.
  WorkerOptions worker;
  // Trials this process runs at once (each on its own thread); 0: none, the trials are left to
  // remote workers.
  int local_slots = 1;
  // How often the experiment is read back (GET /api/v1/experiments/{id}).
  std::chrono::milliseconds poll{200};
  // Called from Optimize's thread with the experiment each time its counts, best trial or
  // state changed, the last time with the finished experiment. An exception thrown here ends
  // Optimize (the local slots stop; the experiment goes on on the server) and propagates.
  std::function<void(const Experiment&)> progress;
};

// Creates the experiment `spec` (Client::CreateExperiment), runs options.local_slots slots of
// a krige::Worker serving `objectives` for it, and waits until the experiment is completed,
// stopped or failed (a paused one is waited for). Returns the experiment as the server has it
// then, `best` included (nullopt when no trial completed).
//
// Throws ValidationError for a spec the server rejects, Error(kInvalidArgument) before
// creating anything when the local slots could not run the spec (a kind "function" spec
// whose function is not in `objectives`, bad worker options), and the Client's errors when
// the server cannot be reached while waiting. The local worker is stopped and joined before
// Optimize returns or throws; an error that ends the local worker (e.g. a bad endpoint) is
// rethrown. Blocks the calling thread; thread-safe in the sense that several Optimize calls may
// run at once on different threads.
Experiment Optimize(const Client& client, const ExperimentSpec& spec, const Objectives& objectives,
                    const OptimizeOptions& options = {});

}  // namespace krige
