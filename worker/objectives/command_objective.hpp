// The command objective (training.kind == command): runs any program once per trial.
//
//   training: {kind: command, command: [python3, train.py, --C, "{C}"], timeout_seconds: 600}
//
// Arguments: "{name}" becomes the trial's value of parameter `name`; "{trial_id}", "{number}"
// and "{attempt}" are the trial's; any other text in braces is left as it is. Environment: the
// worker's, plus KRIGE_PARAM_<name> per parameter, KRIGE_PARAMS (the parameters as a JSON
// object), KRIGE_TRIAL_ID, KRIGE_TRIAL_NUMBER, KRIGE_ATTEMPT, KRIGE_OBJECTIVE (the metric's
// name) and PYTHONUNBUFFERED=1 (so Python's prints arrive as they happen). stdin is /dev/null;
// the working directory is the worker's.
//
// Metrics are read from stdout, one line at a time: a JSON object ({"step": 3, "accuracy":
// 0.91}; its numbers are metrics) or name=value pairs separated by blanks ("step=3
// accuracy=0.91"); other lines are ignored. A line with a "step" is reported at once (REPORT),
// so pruning can act on it. The trial's metrics are the last value seen of each; its value is
// the last value of the objective's metric.
//
// The program runs in its own process group, and the whole group is killed (SIGTERM, then
// SIGKILL after a grace period) when the timeout passes or the trial is stopped (pruned,
// experiment stopped, worker shutting down); when the program ends, whatever it left running in
// its group is killed too. Failures, each failing the trial: a timeout ("timed out after N s"),
// a non-zero exit or a signal (with the last ~2 KB of stderr), a program that cannot be
// started, no value for the objective.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krige/worker.hpp"

namespace krige::objectives {

struct CommandOptions {
  std::chrono::milliseconds kill_grace{2000};  // between SIGTERM and SIGKILL
  std::size_t stderr_tail = 2048;              // bytes of stderr kept for the error message
  // Called with the process group id as soon as the program runs (tests use it to check that
  // nothing is left behind). May be empty.
  std::function<void(int pgid)> on_start;
};

ObjectiveFn MakeCommandObjective(CommandOptions options = {});

// The parts, exposed for tests.
struct MetricLine {
  std::optional<int> step;
  std::map<std::string, double> values;  // without "step"
};
// nullopt for a line that carries no metric (a log line).
std::optional<MetricLine> ParseMetricLine(std::string_view line);
// The command's arguments with "{name}" placeholders replaced.
std::vector<std::string> SubstituteArguments(const TrialContext& trial);

}  // namespace krige::objectives
