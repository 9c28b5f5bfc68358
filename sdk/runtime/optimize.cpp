#include "krige/optimize.hpp"

#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "krige/error.hpp"

namespace krige {
namespace {

bool Finished(ExperimentState state) {
  return state == ExperimentState::kCompleted || state == ExperimentState::kStopped ||
         state == ExperimentState::kFailed;
}

// What the progress callback is told about; a change in any of these is worth a call.
bool SameProgress(const Experiment& a, const Experiment& b) {
  const auto& x = a.counts;
  const auto& y = b.counts;
  const bool same_counts = x.queued == y.queued && x.running == y.running &&
                           x.completed == y.completed && x.failed == y.failed &&
                           x.pruned == y.pruned;
  const bool same_best = a.best.has_value() == b.best.has_value() &&
                         (!a.best || (a.best->id == b.best->id && a.best->value == b.best->value));
  return same_counts && same_best && a.state == b.state && a.waiting == b.waiting;
}

// Runs a Worker on its own thread; Stop() and join on destruction, whatever ends the scope.
class LocalWorker {
 public:
  LocalWorker(WorkerOptions options, Objectives objectives)
      : worker_(std::move(options), std::move(objectives)), thread_([this] {
          try {
            worker_.Run();
          } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
          }
        }) {}
  ~LocalWorker() {
    worker_.Stop();
    thread_.join();
  }
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  // Rethrows what ended Run() early, if anything did.
  void Check() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  Worker worker_;
  std::mutex mutex_;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace

Experiment Optimize(const Client& client, const ExperimentSpec& spec, const Objectives& objectives,
                    const OptimizeOptions& options) {
  if (options.local_slots < 0)
    throw Error(ErrorCode::kInvalidArgument, "local_slots must be 0 or more", "local_slots");
  if (options.local_slots > 0) {
    if (options.worker.connect.empty())
      throw Error(ErrorCode::kInvalidArgument,
                  "worker.connect (the coordinator's ZeroMQ endpoint) is required for local slots",
                  "worker.connect");
    if (!objectives.Find(spec.training))
      throw Error(
          ErrorCode::kInvalidArgument,
          "the objectives given do not run this spec's training (they serve " +
              [&] {
                std::string list;
                for (const auto& k : objectives.Served()) list += (list.empty() ? "" : ", ") + k;
                return list.empty() ? std::string("nothing") : list;
              }() +
              "; the spec needs " + ServedKind(spec.training) + ")",
          "training");
  }
  WorkerOptions worker = options.worker;
  worker.slots = options.local_slots;
  // Bad worker options are reported before an experiment exists (the constructor only checks).
  if (options.local_slots > 0) {
    Worker check(worker, objectives);
  }

  const Experiment created = client.CreateExperiment(spec);
  std::unique_ptr<LocalWorker> local;
  if (options.local_slots > 0) {
    worker.only_experiment = created.id;
    local = std::make_unique<LocalWorker>(std::move(worker), objectives);
  }

  Experiment last = created;
  bool reported = false;
  for (;;) {
    if (local) local->Check();
    Experiment now = client.GetExperiment(created.id);
    const bool changed = !reported || !SameProgress(now, last);
    last = std::move(now);
    reported = true;
    if (changed && options.progress) options.progress(last);
    if (Finished(last.state)) return last;
    std::this_thread::sleep_for(options.poll);
  }
}

}  // namespace krige
