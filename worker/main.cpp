// krige-worker: runs trials for a coordinator. Composition root: the worker runtime and the
// built-in objectives.
#include <signal.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <memory>
#include <thread>

#include "curve/curve.hpp"
#include "krige/worker.hpp"
#include "objectives/command_objective.hpp"
#include "objectives/cv_objective.hpp"
#include "objectives/dataset_cache.hpp"

int main(int argc, char** argv) {
  CLI::App app{"krige-worker: runs krige trials"};
  krige::WorkerOptions options;
  std::string log_level = "info";
  std::string cache_dir = krige::objectives::DatasetCache::DefaultDir(std::getenv("XDG_CACHE_HOME"),
                                                                      std::getenv("HOME"));
  app.add_option("--connect", options.connect, "coordinator endpoint, e.g. tcp://127.0.0.1:5555")
      ->required()
      ->envname("KRIGE_CONNECT");
  app.add_option("--slots", options.slots, "trials run at once")->check(CLI::Range(1, 1024));
  app.add_option("--id", options.id, "worker id (default: host-pid-random)");
  app.add_option("--cache-dir", cache_dir,
                 "where datasets fetched from the coordinator are kept, by hash")
      ->envname("KRIGE_CACHE_DIR")
      ->capture_default_str();
  std::string curve_server_key_file, curve_secret_key_file;
  app.add_option("--curve-server-key", curve_server_key_file,
                 "the coordinator's CURVE public key file (krige keygen): encrypt the link")
      ->envname("KRIGE_CURVE_SERVER_KEY");
  app.add_option("--curve-secret-key", curve_secret_key_file,
                 "this worker's CURVE secret key file; its public key must be in the "
                 "coordinator's --worker-keys")
      ->envname("KRIGE_CURVE_SECRET_KEY");
  std::string cacert;
  app.add_option("--cacert", cacert,
                 "CA certificates (PEM) that sign the coordinator's HTTPS certificate (datasets "
                 "are fetched from its REST API)")
      ->envname("KRIGE_CACERT");
  bool allow_commands = false;
  app.add_flag("--allow-commands", allow_commands,
               "run `training.kind: command` trials (programs named by the experiment's "
               "spec); without it the coordinator sends this worker none")
      ->envname("KRIGE_ALLOW_COMMANDS");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  // Signals are taken by a dedicated thread, so Stop() runs in normal context.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The SDK's HTTP transport (dataset downloads) reads it from the environment.
  if (!cacert.empty()) ::setenv("KRIGE_CACERT", cacert.c_str(), 1);
  try {
    if (!curve_server_key_file.empty() || !curve_secret_key_file.empty()) {
      if (curve_server_key_file.empty() || curve_secret_key_file.empty())
        throw krige::Error(krige::ErrorCode::kInvalidArgument,
                           "--curve-server-key and --curve-secret-key go together");
      options.curve_server_key = krige::curve::ReadKey(curve_server_key_file);
      options.curve_secret_key = krige::curve::ReadKey(curve_secret_key_file);
    }
    auto datasets = std::make_shared<krige::objectives::DatasetCache>(cache_dir);
    if (allow_commands)
      spdlog::info("--allow-commands: this worker runs the programs command trials name");
    krige::Objectives objectives;
    objectives.kinds["cv"] = krige::objectives::MakeCvObjective(datasets);
    if (allow_commands) objectives.kinds["command"] = krige::objectives::MakeCommandObjective();
    krige::Worker worker(options, std::move(objectives));
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("signal {}: stopping", sig);
      worker.Stop();
    });
    waiter.detach();
    worker.Run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
