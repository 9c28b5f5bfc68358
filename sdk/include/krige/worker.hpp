// The worker runtime: connects to a coordinator, receives trials and runs them with an
// Objective — krige's built-in cross-validation, a command, or a user's own C++ function.
//
//   krige::WorkerOptions options;
//   options.connect = "tcp://coordinator:5555";
//   krige::Objectives objectives;
//   objectives.functions["train"] = [](const krige::TrialContext& trial) {
//     double loss = Train(trial.params);  // report intermediate scores with trial.Report(...)
//     return krige::TrialOutput{loss, {{"loss", loss}}, {}};
//   };
//   krige::Worker worker(options, objectives);
//   worker.Run();  // until Stop() (e.g. from a signal handler thread)
//
// The worker tells the coordinator what it serves (Objectives::Served): it receives only the
// trials of experiments whose `training` it can run, here `{kind: function, function: train}`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "krige/params.hpp"
#include "krige/spec.hpp"
#include "krige/tracker.hpp"
#include "krige/trial.hpp"

namespace krige {

// What an objective gets. Report() and ShouldStop() may be called from the objective's thread.
struct TrialContext {
  std::int64_t experiment_id = 0;
  std::string experiment_name;
  std::int64_t trial_id = 0;
  int attempt = 0;
  int number = 0;
  Params params;
  TrainingSpec training;
  Objective objective;
  // The coordinator's REST API ("http://host:8080"), where "sha256:" datasets are fetched; a
  // wildcard host the coordinator advertised (0.0.0.0) is already replaced by the host of
  // WorkerOptions::connect. Empty when the coordinator did not say.
  std::string api_url;
  // Sent by the coordinator for a "sha256:" dataset: the download needs no REST token with it.
  std::string dataset_capability;
  std::function<void(const StepScores&)> report;  // an intermediate score (fold, epoch)
  const std::atomic<bool>* stop = nullptr;        // set when the trial is pruned or stopped

  void Report(const StepScores& scores) const {
    if (report) report(scores);
  }
  bool ShouldStop() const { return stop && stop->load(); }

  // Experiment tracking (tracker.hpp): the run the server made for this trial, to log step
  // metrics, tags and artifacts with the calls of any run (its last handle flushes; the trial's
  // status stays the scheduler's). Talks to api_url with $KRIGE_TOKEN (else the local stack's
  // token, for a server on this machine); with auth on that token needs the write role.
  // Throws Error(kFailedPrecondition) when the coordinator sent no api_url, else as Tracker.
  Run TrackingRun(TrackerOptions options = {}) const;
};

struct TrialOutput {
  double value = 0;                       // the objective
  std::map<std::string, double> metrics;  // final metrics
  std::vector<StepScores> steps;          // per-fold / per-step scores
};

// Runs one trial; throws to fail it (the exception's message becomes the trial's error).
using ObjectiveFn = std::function<TrialOutput(const TrialContext&)>;

// What a worker runs. Each trial goes to the objective of its training.kind; kind "function"
// to `functions[training.function]`.
struct Objectives {
  std::map<std::string, ObjectiveFn> kinds;      // by training.kind: "cv", "command"
  std::map<std::string, ObjectiveFn> functions;  // training {kind: function, function: NAME}

  // The krige::ServedKind names listed at HELLO: each key of `kinds` (but "function"), and
  // "function:NAME" for each function.
  std::vector<std::string> Served() const;
  // The objective for `training`, or nullptr when this worker does not serve it.
  const ObjectiveFn* Find(const TrainingSpec& training) const;
};

struct WorkerOptions {
  std::string connect;  // the coordinator's ZeroMQ endpoint, e.g. tcp://127.0.0.1:5555
  int slots = 1;        // trials run at once
  std::string id;       // empty: hostname-pid-random
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds resend{2000};  // unacknowledged results are sent again
  // CurveZMQ (Z85 keys, see `krige keygen`): the coordinator's public key and this worker's
  // secret key (its public key is derived from it). Both empty: plaintext.
  std::string curve_server_key;
  std::string curve_secret_key;
  // Not 0: this worker takes only that experiment's trials (krige::Optimize's local slots).
  std::int64_t only_experiment = 0;
};

// `api_url` with a wildcard host (0.0.0.0, [::]) replaced by the host of the ZeroMQ endpoint
// `connect` ("tcp://coordinator:5555"): a coordinator bound to every interface cannot know the
// name a worker reaches it by. Other URLs are returned as they are.
std::string ResolveApiUrl(const std::string& api_url, const std::string& connect);

class Worker {
 public:
  // Throws Error(kInvalidArgument) for bad options, or objectives that serve nothing or hold
  // a name a spec cannot give (limits::kFunctionNameBytes, letters, digits, '_', '-', '.').
  Worker(WorkerOptions options, Objectives objectives);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Blocks until Stop(). Each trial runs on its own thread; the calling thread owns the socket.
  void Run();
  // Thread-safe and async-signal-unsafe: call from a normal thread. Running trials are told to
  // stop; Run() says BYE and returns once they ended.
  void Stop();
  const std::string& id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krige
