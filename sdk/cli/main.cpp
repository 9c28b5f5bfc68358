// `krige`: the composition root of the command line. Parses arguments (CLI11 lives only here)
// and calls the subcommands in commands.cpp.
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include "curve/curve.hpp"

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace krige::cli;
  CLI::App app{"krige: distributed hyperparameter tuning", "krige"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "krige " KRIGE_VERSION);
  app.fallthrough();  // --server may come after the subcommand too
  Globals g;
  app.add_option("--server", g.server,
                 "krige server URL, e.g. http://127.0.0.1:8080 (default: the local stack)")
      ->envname("KRIGE_SERVER");
  app.add_option("--cacert", g.cacert, "CA certificates (PEM) that sign an https:// server's")
      ->envname("KRIGE_CACERT");
  app.add_option("--token", g.token,
                 "API token (default: the local stack's token file, for a server on this "
                 "machine)")
      ->envname("KRIGE_TOKEN");

  int workers = 2;
  auto* up = app.add_subcommand("up", "start the local stack (PostgreSQL, server, workers)");
  up->add_option("--workers", workers, "number of local workers")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  auto* down = app.add_subcommand("down", "stop the local stack (data is kept)");

  std::string spec_path;
  bool json = false;
  auto* run = app.add_subcommand("run", "submit an experiment and watch it until it ends");
  run->add_option("SPEC", spec_path, "experiment spec (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_flag("--json", json, "print only the final experiment JSON on stdout");
  bool detach = false;
  run->add_flag("--detach,-d", detach, "print the experiment id and return (krige watch ID)");

  int limit = 0;
  auto* ls = app.add_subcommand("ls", "list experiments");
  ls->add_option("--limit", limit, "at most this many (0: all)")->capture_default_str();

  std::int64_t id = 0;
  auto* show = app.add_subcommand("show", "an experiment: state, counts, best, top 10 trials");
  show->add_option("ID", id, "experiment id")->required();
  auto* best = app.add_subcommand("best", "the best trial of an experiment");
  best->add_option("ID", id, "experiment id")->required();

  auto* watch =
      app.add_subcommand("watch", "follow an experiment until it ends (Ctrl-C: stop watching)");
  watch->add_option("ID", id, "experiment id")->required();
  watch->add_flag("--json", json, "print only the final experiment JSON on stdout");
  std::map<std::string, CLI::App*> control;
  for (const auto& [verb, help] : std::vector<std::pair<std::string, std::string>>{
           {"stop", "stop an experiment: running trials are stopped, no new ones start"},
           {"pause", "pause an experiment: running trials finish, no new ones start"},
           {"resume", "resume a paused or stopped experiment where it was"}}) {
    control[verb] = app.add_subcommand(verb, help);
    control[verb]->add_option("ID", id, "experiment id")->required();
  }
  auto* rm = app.add_subcommand("rm", "delete an experiment and its trials");
  rm->add_option("ID", id, "experiment id")->required();
  std::string state, sort = "number";
  int trial_limit = 0;
  auto* trials = app.add_subcommand("trials", "list the trials of an experiment");
  trials->add_option("ID", id, "experiment id")->required();
  trials->add_option("--state", state, "only these: queued, running, completed, failed, pruned")
      ->check(CLI::IsMember({"queued", "running", "completed", "failed", "pruned"}));
  trials->add_option("--sort", sort, "number (oldest first) or value (best first)")
      ->check(CLI::IsMember({"number", "value"}))
      ->capture_default_str();
  trials->add_option("--limit", trial_limit, "at most this many (0: all)")->capture_default_str();
  trials->add_flag("--json", json, "the trials as JSON");
  int number = 0;
  auto* trial = app.add_subcommand("trial", "everything about one trial: params, scores, error");
  trial->add_option("EXP", id, "experiment id")->required();
  trial->add_option("NUMBER", number, "trial number (0-based, as `krige trials` shows)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  trial->add_flag("--json", json, "the trial as JSON");
  std::string format = "csv";
  auto* export_cmd = app.add_subcommand("export", "every trial of an experiment, to stdout");
  export_cmd->add_option("ID", id, "experiment id")->required();
  export_cmd->add_option("--format", format, "csv (a row per trial) or json")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  auto* workers_cmd =
      app.add_subcommand("workers", "the connected workers (and those lost lately)");
  workers_cmd->add_flag("--json", json, "the workers as JSON");
  auto* validate = app.add_subcommand("validate", "check a spec without submitting it");
  validate->add_option("SPEC", spec_path, "experiment spec (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);

  std::string key_dir, key_name = "krige";
  auto* keygen = app.add_subcommand(
      "keygen",
      "write a CURVE key pair for the worker link: DIR/NAME.key (secret) and DIR/NAME.pub");
  keygen->add_option("DIR", key_dir, "directory (created if missing)")->required();
  keygen->add_option("--name", key_name, "file name of the pair")->capture_default_str();
  std::string role, name;
  auto* token = app.add_subcommand("token", "manage API tokens (admin)");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "create a token and print it (once)");
  token_create->add_option("--role", role, "read, write or admin")
      ->required()
      ->check(CLI::IsMember({"read", "write", "admin"}));
  token_create->add_option("--name", name, "what the token is for")->required();
  auto* token_ls = token->add_subcommand("ls", "list tokens (never their secrets)");
  auto* token_revoke = token->add_subcommand("revoke", "revoke a token");
  token_revoke->add_option("ID", id, "token id")->required();

  RunsOptions runs_options;  // experiment tracking (runs_commands.cpp)
  auto* runs = app.add_subcommand("runs", "the runs of a tracking experiment (name or id)");
  runs->add_option("EXP", runs_options.experiment, "experiment name or id")->required();
  runs->add_option("--filter", runs_options.filter,
                   "e.g. \"metrics.acc > 0.9 and params.model = 'svc'\"");
  runs->add_option("--order-by", runs_options.order_by, "e.g. \"metrics.loss ASC\" (repeatable)");
  runs->add_option("--limit", runs_options.limit, "at most this many (0: all)");
  runs->add_flag("--json", runs_options.json, "print the runs as JSON");
  runs->add_flag("--csv", runs_options.csv, "print the runs as CSV (params, last metrics, tags)");
  auto* run_show =
      app.add_subcommand("run-show", "a run: status, params, tags, metrics, artifacts");
  run_show->add_option("ID", id, "run id")->required();
  run_show->add_flag("--json", json, "print the run as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInvalid;
  }

  if (*keygen) {
    try {
      const auto pair = krige::curve::WriteKeyPair(key_dir, key_name);
      std::cout << "wrote " << key_dir << "/" << key_name << ".key (secret) and " << key_dir << "/"
                << key_name << ".pub\npublic key: " << pair.public_key << "\n";
      return kExitOk;
    } catch (const std::exception& e) {
      std::cerr << "krige keygen: " << e.what() << "\n";
      return kExitInvalid;
    }
  }
  if (*up) return Up(g, workers, std::cout, std::cerr);
  if (*down) return Down(g, std::cout, std::cerr);
  if (*run) return Run(g, spec_path, json, detach, std::cout, std::cerr);
  if (*watch) return Watch(g, id, json, std::cout, std::cerr);
  for (const auto& [verb, sub] : control)
    if (*sub) return Control(g, verb, id, std::cout, std::cerr);
  if (*rm) return Rm(g, id, std::cout, std::cerr);
  if (*trials) return Trials(g, id, state, sort, trial_limit, json, std::cout, std::cerr);
  if (*trial) return TrialDetail(g, id, number, json, std::cout, std::cerr);
  if (*export_cmd) return Export(g, id, format, std::cout, std::cerr);
  if (*workers_cmd) return Workers(g, json, std::cout, std::cerr);
  if (*validate) return ValidateSpec(spec_path, std::cout, std::cerr);
  if (*ls) return Ls(g, limit, std::cout, std::cerr);
  if (*show) return Show(g, id, std::cout, std::cerr);
  if (*best) return Best(g, id, std::cout, std::cerr);
  if (*token_create) return TokenCreate(g, role, name, std::cout, std::cerr);
  if (*token_ls) return TokenLs(g, std::cout, std::cerr);
  if (*token_revoke) return TokenRevoke(g, id, std::cout, std::cerr);
  if (*runs) return Runs(g, runs_options, std::cout, std::cerr);
  if (*run_show) return RunShow(g, id, json, std::cout, std::cerr);
  return kExitInvalid;
}
