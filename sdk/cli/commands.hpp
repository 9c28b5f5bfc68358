// The `krige` subcommands, each a function returning the process exit code. main.cpp only
// parses arguments (CLI11) and calls these.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace krige::cli {

struct Globals {
  std::string server;  // --server / KRIGE_SERVER; empty: the local stack
  std::string token;   // --token / KRIGE_TOKEN; empty: the local stack's token file, for a
                       // server on this machine (krige::DefaultToken)
  std::string cacert;  // --cacert / KRIGE_CACERT: CA certificates (PEM) for an https:// server
};

// Exit codes.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;         // an error, or the experiment failed / was stopped
constexpr int kExitInvalid = 2;        // the spec (or the command line) is invalid
constexpr int kExitInterrupted = 130;  // Ctrl-C while watching (the experiment keeps running)

int Up(const Globals& g, int workers, std::ostream& out, std::ostream& err);
int Down(const Globals& g, std::ostream& out, std::ostream& err);
// `run SPEC`: submits and watches until the end; with `detach`, prints the id alone on `out`
// and returns at once.
int Run(const Globals& g, const std::string& spec_path, bool json, bool detach, std::ostream& out,
        std::ostream& err);
// `watch ID`: follows an experiment until it ends, as `run` does. On a terminal an in-place
// progress bar (counts, rate, ETA, best so far); piped, one line per change. Each failed
// trial's error is printed once; the server's `waiting` reason whenever it changes. Ctrl-C
// stops watching (exit 130) and says how to watch again or stop the experiment.
int Watch(const Globals& g, std::int64_t id, bool json, std::ostream& out, std::ostream& err);
// `stop|pause|resume ID`: the transition, then the experiment's state.
int Control(const Globals& g, const std::string& verb, std::int64_t id, std::ostream& out,
            std::ostream& err);
// `rm ID`: deletes the experiment and its trials.
int Rm(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err);
// `trials ID [--state S] [--sort value|number] [--limit N] [--json]`.
int Trials(const Globals& g, std::int64_t id, const std::string& state, const std::string& sort,
           int limit, bool json, std::ostream& out, std::ostream& err);
// `trial EXP NUMBER [--json]`: everything about one trial, its error included.
int TrialDetail(const Globals& g, std::int64_t experiment_id, int number, bool json,
                std::ostream& out, std::ostream& err);
// `export ID --format csv|json`: every trial, to `out`.
int Export(const Globals& g, std::int64_t id, const std::string& format, std::ostream& out,
           std::ostream& err);
// `workers [--json]`: the connected workers and those lost within the hour.
int Workers(const Globals& g, bool json, std::ostream& out, std::ostream& err);
// `validate SPEC`: the checks the server makes, here; every problem with its field path on
// `err` and exit 1, else a summary on `out`. Needs no server.
int ValidateSpec(const std::string& spec_path, std::ostream& out, std::ostream& err);
int Ls(const Globals& g, int limit, std::ostream& out, std::ostream& err);
int Show(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err);
int Best(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err);
// `krige token create|ls|revoke` (admin): the secret of a new token goes alone to `out`.
int TokenCreate(const Globals& g, const std::string& role, const std::string& name,
                std::ostream& out, std::ostream& err);
int TokenLs(const Globals& g, std::ostream& out, std::ostream& err);
int TokenRevoke(const Globals& g, std::int64_t id, std::ostream& out, std::ostream& err);

// runs_commands.cpp: `krige runs EXP` (the runs of a tracking experiment, by name or id) and
// `krige run-show ID`.
struct RunsOptions {
  std::string experiment;
  std::string filter;                 // the search filter (docs/api.md, "Run search")
  std::vector<std::string> order_by;  // e.g. "metrics.loss ASC"
  int limit = 0;                      // 0: all
  bool json = false;
  bool csv = false;
};
int Runs(const Globals& g, const RunsOptions& options, std::ostream& out, std::ostream& err);
int RunShow(const Globals& g, std::int64_t id, bool json, std::ostream& out, std::ostream& err);

}  // namespace krige::cli
