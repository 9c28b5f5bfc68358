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
constexpr int kExitFailed = 1;   // an error, or the experiment failed / was stopped
constexpr int kExitInvalid = 2;  // the spec (or the command line) is invalid

int Up(const Globals& g, int workers, std::ostream& out, std::ostream& err);
int Down(const Globals& g, std::ostream& out, std::ostream& err);
int Run(const Globals& g, const std::string& spec_path, bool json, std::ostream& out,
        std::ostream& err);
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
