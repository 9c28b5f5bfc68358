// Pure helpers of the `krige` command: where the local stack lives, how paths in a spec are
// resolved, how progress and results are printed. No I/O, so they are unit-tested directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "krige/codec.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige::cli {

// The environment a data directory is chosen from (null pointers = unset variables).
struct DataDirEnv {
  const char* krige_home = nullptr;
  const char* xdg_data_home = nullptr;
  const char* home = nullptr;
  bool is_root = false;
};

// $KRIGE_HOME, else /var/lib/krige for root (the postgres user cannot enter /root), else
// ${XDG_DATA_HOME:-$HOME/.local/share}/krige. Throws Error(kFailedPrecondition) when none
// can be determined.
std::string ChooseDataDir(const DataDirEnv& env);

// A cv spec's relative dataset path, made absolute against the directory of the spec file
// (itself made absolute against `cwd`). Absolute paths, "sha256:..." and "name:..." references
// and command specs are left alone.
void ResolveDatasetPath(ExperimentSpec& spec, const std::string& spec_path, const std::string& cwd);

// True when a cv spec names its dataset by a path (which `krige run` uploads), not by
// "sha256:" or "name:".
bool DatasetIsPath(const ExperimentSpec& spec);

// In a command spec's arguments, "{spec_dir}" becomes the absolute directory of the spec file,
// so `command: [python3, "{spec_dir}/train.py"]` finds the script next to the spec (on the
// machine `krige run` runs on, like dataset paths before uploads).
void ResolveSpecDir(ExperimentSpec& spec, const std::string& spec_path, const std::string& cwd);

// 0.9736 / 12.5000 / 1.234e-05: four decimals in a readable range, else four significant digits.
std::string FormatValue(double v);
// "C=0.5312, kernel=rbf" (doubles with 4 significant digits).
std::string FormatParams(const Params& params);
std::string FormatMetrics(const std::map<std::string, double>& metrics);

// "[12/30] completed=12 running=2 failed=0 best=0.9736 (trial #7)"; pruned and queued appear
// when non-zero. The denominator is max_trials (or the total when more trials exist).
std::string FormatProgress(const Experiment& e);

// "42s", "3m05s", "2h07m": a duration for rates and ETAs (negative or NaN: "-").
std::string FormatDuration(double seconds);

// The in-place progress line `run`/`watch` draw on a terminal, cut to `width` columns:
//   [########............] 12/30  running 2  failed 1  4.1/min  ETA 4m23s  best 0.9736 (#7)
// The rate counts the trials finished since watching began (`done_at_start` of them were
// finished then) over `elapsed_seconds`; rate and ETA are left out until one has finished.
std::string FormatProgressBar(const Experiment& e, int done_at_start, double elapsed_seconds,
                              int width);

// One line for a failed trial, printed once: "trial #3 failed (attempt 1 on w-1): <error>",
// the error's lines joined by " | ".
std::string FormatFailure(const Trial& t);

// Everything about one trial (`krige trial EXP NUMBER`): state and attempt, worker, times,
// value, params, final metrics, per-step scores as a table, and its error.
std::string FormatTrial(const Experiment& e, const Trial& t);

// The trials as CSV (RFC 4180): number, state, value, then one column per parameter (the
// space's order, then any others the trials carry) and per metric (by name). Absent values
// are empty fields.
std::string TrialsCsv(const Experiment& e, const std::vector<Trial>& trials);

// The best trial block printed at the end of `run` and by `best`, one line each:
//   best trial #7: accuracy = 0.9736 (maximize)
//   params:  C=0.5312, kernel=rbf
//   metrics: accuracy=0.9736, f1=0.9712
std::string FormatBest(const Experiment& e, const Trial& best);

// Left-aligned columns separated by two spaces; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// Why an experiment ended failed/stopped: the server's "reason"/"error"/"message" field when it
// sends one, else a sentence naming the state.
std::string EndReason(const Json& experiment_json);

// Parses "krige-server listening http=http://127.0.0.1:PORT zmq=tcp://127.0.0.1:PORT" out of a
// log (the first such line). nullopt when the line is not there yet.
struct Listening {
  std::string http;
  std::string zmq;
};
std::optional<Listening> FindListeningLine(const std::string& log);

// The last `n` lines of `text`.
std::string Tail(const std::string& text, int n);

// The local stack's state file (DATA/stack.json).
struct StackInfo {
  std::string server_url;
  std::string zmq;
  std::vector<int> pids;   // server first, then workers
  std::string started_at;  // ISO 8601 UTC
};
Json ToJson(const StackInfo& info);
StackInfo StackInfoFromJson(const Json& j);  // throws Error(kInvalidArgument)

}  // namespace krige::cli
