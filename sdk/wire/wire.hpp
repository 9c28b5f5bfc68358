// Coordinator <-> worker messages (DESIGN.md §7). Frames after the ROUTER's routing id and the
// empty delimiter: "KRIGE1", <type>, <json body>. Pure encode/decode, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "krige/params.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige::wire {

inline constexpr const char* kProtocol = "KRIGE1";

// Bounds on what a worker may send (docs/api.md, "Limits"). A message beyond one of the first
// four fails to decode (the dispatcher counts and drops it); text is cut instead, see Decode.
inline constexpr int kMaxSlots = 1024;                // HELLO, READY and HEARTBEAT slots
inline constexpr std::size_t kMaxRunning = 1024;      // HEARTBEAT running list
inline constexpr std::size_t kMaxSteps = 10000;       // RESULT steps (folds x repeats <= 100 x 100)
inline constexpr std::size_t kMaxMetrics = 64;        // names per metrics/scores object
inline constexpr std::size_t kMaxInfoBytes = 256;     // HELLO hostname and version, cut beyond
inline constexpr std::size_t kMaxErrorBytes = 16384;  // FAIL error text, cut beyond
inline constexpr std::size_t kMaxKinds = 256;         // HELLO/HEARTBEAT kinds listed

struct TrialRef {
  std::int64_t trial_id = 0;
  int attempt = 0;
  bool operator==(const TrialRef& o) const {
    return trial_id == o.trial_id && attempt == o.attempt;
  }
};

// worker -> coordinator, on connect: who it is, how many trials it runs at once, and what it
// can run: krige::ServedKind names ("cv", "command", "function:<name>"). The coordinator hands
// it only trials of those kinds, and, when `experiment` is not 0, only that experiment's.
struct Hello {
  std::string worker_id;
  int slots = 1;
  std::string hostname;
  std::string version;
  std::vector<std::string> kinds;
  std::int64_t experiment = 0;
};
// worker -> coordinator: `slots` more trials can start now.
struct Ready {
  int slots = 1;
};
// coordinator -> worker: run this trial.
struct Assign {
  TrialRef trial;
  std::int64_t experiment_id = 0;
  int number = 0;
  Params params;
  TrainingSpec training;
  Objective objective;
  // The coordinator's REST API base URL as it advertises it ("http://10.0.0.5:8080"), where a
  // worker fetches "sha256:" datasets. A host of 0.0.0.0 means "the host you connected to".
  // Empty when the coordinator does not say (older coordinators); omitted from the JSON then.
  std::string api_url;
  // Lets the worker download the trial's "sha256:" dataset from api_url without a REST token
  // (header X-Krige-Capability); short-lived. Empty (omitted) when the coordinator sends none.
  std::string dataset_capability;
  std::string experiment_name;  // omitted when empty
  // The experiment has a pruner: after each REPORT the worker waits (a bounded time) for the
  // coordinator's verdict, PRUNE or CONTINUE, before the next step, so that a pruned trial
  // costs no more steps than it was allowed. Omitted when false.
  bool await_verdicts = false;
};
// worker -> coordinator, every second: alive, its capacity, and the trials it is running.
// Carrying the capacity and what it runs (as in HELLO) lets a restarted coordinator adopt a
// worker it never saw a HELLO from.
struct Heartbeat {
  int slots = 1;
  std::vector<TrialRef> running;
  std::vector<std::string> kinds;
  std::int64_t experiment = 0;
};
// worker -> coordinator: intermediate scores (a fold, a step).
struct Report {
  TrialRef trial;
  StepScores scores;
};
// coordinator -> worker: stop this trial, it is pruned (or its experiment stopped).
struct Prune {
  TrialRef trial;
};
// coordinator -> worker: the REPORT of this step is stored and the pruner lets the trial go on
// (the answer to a REPORT of an ASSIGN with await_verdicts).
struct Continue {
  TrialRef trial;
  int step = 0;
};
// worker -> coordinator: the trial finished; resent until acknowledged.
struct Result {
  TrialRef trial;
  double value = 0;
  std::map<std::string, double> metrics;
  std::vector<StepScores> steps;
  double seconds = 0;
};
// worker -> coordinator: the trial failed (training error, bad parameters); resent until ACK.
struct Fail {
  TrialRef trial;
  std::string error;
};
// coordinator -> worker: a RESULT/FAIL is durably recorded (or was stale and discarded).
struct Ack {
  TrialRef trial;
  bool accepted = true;
};
// worker -> coordinator: shutting down; its running trials can be requeued at once.
struct Bye {};

using Message =
    std::variant<Hello, Ready, Assign, Heartbeat, Report, Prune, Continue, Result, Fail, Ack, Bye>;

const char* TypeName(const Message& message);

// [kProtocol, type, body]
std::vector<std::string> Encode(const Message& message);
// Throws krige::Error(kInvalidArgument) for a wrong protocol tag, an unknown type, or a body
// that does not decode or breaks a bound above (slots outside [1, kMaxSlots] - [0, ...] for
// READY -, trial ids < 1, attempts < 1, non-finite numbers, too many entries, ids that are not
// storable text); callers count and drop such messages. Hostname, version and error text are
// cut to their bound at a UTF-8 boundary, NUL and invalid sequences replaced by U+FFFD.
Message Decode(const std::vector<std::string>& frames);

}  // namespace krige::wire
