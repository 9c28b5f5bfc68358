// krige-server: the coordinator. Composition root only: PostgreSQL store, scheduler, ZeroMQ
// dispatcher, REST API and dashboard are built elsewhere and wired together here.
#include <signal.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <cstdio>

#include "curve/curve.hpp"
#include "datasets.hpp"
#include "dispatcher.hpp"
#include "experiments.hpp"
#include "krige/http/server.hpp"
#include "krige/storage/pg.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"
#include "scheduler.hpp"
#include "scheduler_loop.hpp"

namespace {

std::pair<std::string, std::uint16_t> SplitHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw CLI::ValidationError("--http", "expected HOST:PORT");
  return {text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

// tcp://127.0.0.1:5555, tcp://localhost:*, tcp://[::1]:5555, ipc://, inproc://
bool IsLoopback(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0)
    return endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0;
  const std::string host = endpoint.substr(6, endpoint.rfind(':') - 6);
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "[::1]";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"krige-server: the krige coordinator (REST API, dashboard, worker endpoint)"};
  std::string database_url, http = "127.0.0.1:8080", zmq_endpoint = "tcp://127.0.0.1:5555";
  std::string log_level = "info", advertise_http;
  double lease_seconds = 10;
  int http_threads = 4;
  std::int64_t max_message_mib = krige::dispatch::kDefaultMaxMessageBytes >> 20;
  app.add_option("--database-url", database_url, "PostgreSQL URL")
      ->required()
      ->envname("KRIGE_DATABASE_URL");
  app.add_option("--http", http, "REST API and dashboard address HOST:PORT (port 0: any)")
      ->envname("KRIGE_HTTP");
  app.add_option("--zmq", zmq_endpoint, "worker endpoint, e.g. tcp://0.0.0.0:5555 (port *: any)")
      ->envname("KRIGE_ZMQ");
  app.add_option("--advertise-http", advertise_http,
                 "the REST API URL workers fetch datasets from, e.g. http://coordinator:8080 "
                 "(default: the bound address; a worker reads 0.0.0.0 as its --connect host)")
      ->envname("KRIGE_ADVERTISE_HTTP");
  app.add_option("--lease-seconds", lease_seconds, "a silent worker loses its trials after this")
      ->check(CLI::Range(0.2, 3600.0));
  app.add_option("--max-message-mib", max_message_mib,
                 "the largest ZeroMQ frame a worker may send; a larger one disconnects it")
      ->check(CLI::Range(1, 1024));
  std::string curve_secret_key_file, worker_keys_file;
  app.add_option("--curve-secret-key", curve_secret_key_file,
                 "the coordinator's CURVE secret key file (krige keygen): encrypt the worker link")
      ->envname("KRIGE_CURVE_SECRET_KEY");
  app.add_option("--worker-keys", worker_keys_file,
                 "with --curve-secret-key: the workers admitted, one public key a line")
      ->envname("KRIGE_WORKER_KEYS");
  app.add_option("--http-threads", http_threads, "threads for API handlers")
      ->check(CLI::Range(1, 256));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    auto [http_host, http_port] = SplitHostPort(http);
    auto db = krige::storage::pg::OpenDatabase(database_url, http_threads + 2);
    for (const auto& name : krige::storage::pg::ApplyMigrations(*db))
      spdlog::info("applied migration {}", name);
    auto experiments = krige::storage::pg::MakeExperimentRepository(db);
    auto trials = krige::storage::pg::MakeTrialRepository(db);
    auto workers = krige::storage::pg::MakeWorkerRepository(db);
    auto dataset_store = krige::storage::pg::MakeDatasetRepository(db);
    const auto tuners = krige::tuners::DefaultRegistry();

    // The HTTP listener is bound first: its port goes into every ASSIGN (where workers fetch
    // datasets). It serves requests only once started, after the scheduler is running.
    auto router = std::make_shared<krige::http::Router>();
    krige::http::ServerOptions http_options;
    http_options.host = http_host;
    http_options.port = http_port;
    http_options.handler_threads = http_threads;
    krige::http::Server server(http_options, router);
    const std::uint16_t bound_port = server.Listen();
    const std::string bound_http = "http://" + http_host + ":" + std::to_string(bound_port);

    // The dispatcher's callback and the service's notification both feed the scheduler
    // thread; the scheduler replies through the dispatcher.
    krige::dispatch::DispatcherOptions dispatch_options;
    dispatch_options.max_message_bytes = max_message_mib << 20;
    if (curve_secret_key_file.empty() != worker_keys_file.empty())
      throw krige::Error(krige::ErrorCode::kInvalidArgument,
                         "--curve-secret-key and --worker-keys go together");
    if (!curve_secret_key_file.empty()) {
      dispatch_options.curve_secret_key = krige::curve::ReadKey(curve_secret_key_file);
      dispatch_options.worker_keys = krige::curve::ReadKeyList(worker_keys_file);
      spdlog::info("worker link: CURVE, {} worker keys admitted",
                   dispatch_options.worker_keys.size());
    } else if (!IsLoopback(zmq_endpoint)) {
      spdlog::warn(
          "worker endpoint {} is not loopback and has no CURVE keys: anyone who reaches "
          "it can pose as a worker (see docs/security.md)",
          zmq_endpoint);
    }
    krige::service::SchedulerLoop* loop_ptr = nullptr;
    krige::dispatch::Dispatcher dispatcher(
        zmq_endpoint,
        [&loop_ptr](std::string id, krige::wire::Message m, krige::service::Clock::time_point t) {
          loop_ptr->PostMessage(std::move(id), std::move(m), t);
        },
        dispatch_options);
    krige::service::SchedulerOptions options;
    options.lease = std::chrono::milliseconds(static_cast<long>(lease_seconds * 1000));
    options.api_url = advertise_http.empty() ? bound_http : advertise_http;
    krige::service::Scheduler scheduler(*experiments, *trials, *workers, tuners, dispatcher,
                                        options);
    krige::service::SchedulerLoop loop(scheduler);
    loop_ptr = &loop;
    krige::service::StoredExperimentService service(
        *experiments, *trials, [&loop](std::int64_t id) { loop.PostExperimentCreated(id); },
        dataset_store.get());
    krige::service::StoredDatasetService datasets(*dataset_store);
    krige::web::RegisterApi(*router, service, datasets);
    krige::web::RegisterDashboard(*router);

    loop.Start();
    const std::string zmq_bound = dispatcher.Start();
    server.Start();

    // Scripts (krige up, tests) wait for this exact line.
    std::printf("krige-server listening http=%s zmq=%s\n", bound_http.c_str(), zmq_bound.c_str());
    std::fflush(stdout);

    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server.Stop();
    loop.Stop();  // before the dispatcher: the scheduler may still be sending
    dispatcher.Stop();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
