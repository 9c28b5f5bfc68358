// krige-server: the coordinator. Composition root only: PostgreSQL store, scheduler, ZeroMQ
// dispatcher, REST API and dashboard are built elsewhere and wired together here.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "auth.hpp"
#include "curve/curve.hpp"
#include "datasets.hpp"
#include "dispatcher.hpp"
#include "experiments.hpp"
#include "krige/http/server.hpp"
#include "krige/metrics/metrics.hpp"
#include "krige/storage/feed.hpp"
#include "krige/storage/pg.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"
#include "runs.hpp"
#include "scheduler.hpp"
#include "scheduler_loop.hpp"
#include "workers.hpp"

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

// Writes `secret` and a newline to a new file only its owner can read.
void WriteSecretFile(const std::string& path, const std::string& secret) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw krige::Error(krige::ErrorCode::kFailedPrecondition,
                       "cannot write the token file " + path + ": " + std::strerror(errno));
  const std::string text = secret + "\n";
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    throw krige::Error(krige::ErrorCode::kFailedPrecondition,
                       "cannot write the token file " + path + ": " + std::strerror(errno));
}

// First start: with no token in the database, one admin token, written to `token_file`.
void CreateFirstToken(krige::storage::TokenRepository& tokens, const std::string& token_file) {
  if (!tokens.Empty()) return;
  if (token_file.empty()) {
    spdlog::warn(
        "no API token exists yet, so no request can be served but /healthz: create one with "
        "`krige-server --database-url URL token create --role admin --name NAME`, or start "
        "with --token-file FILE to have the first admin token written there");
    return;
  }
  const std::string secret = krige::service::GenerateToken();
  const std::string temp = token_file + ".tmp";
  WriteSecretFile(temp, secret);  // before the commit: a token in the store is never lost
  const auto created =
      tokens.CreateFirst("first admin", krige::Role::kAdmin, krige::service::HashToken(secret));
  if (!created) {  // another server starting at the same time made the first one
    ::unlink(temp.c_str());
    return;
  }
  if (::rename(temp.c_str(), token_file.c_str()) != 0)
    throw krige::Error(krige::ErrorCode::kFailedPrecondition,
                       "cannot move the token file into " + token_file + ": " +
                           std::strerror(errno) + " (the token is in " + temp + ")");
  spdlog::info("created the first admin token (#{}); it is in {} (mode 0600)", created->id,
               token_file);
}

// `krige-server --database-url URL token create|ls|revoke`: token management without a
// running server (the first token of a deployment, or a way back in).
int TokenCommand(const std::string& database_url, const std::string& verb, const std::string& role,
                 const std::string& name, std::int64_t id) {
  auto db = krige::storage::pg::OpenDatabase(database_url, 1);
  krige::storage::pg::ApplyMigrations(*db);
  auto tokens = krige::storage::pg::MakeTokenRepository(db);
  krige::service::TokenAuthService auth(*tokens, "");
  if (verb == "create") {
    const auto issued = auth.CreateToken(name, krige::TokenRoleFromName(role));
    std::fprintf(stderr, "token #%lld \"%s\" (%s) created; it is shown only this once:\n",
                 static_cast<long long>(issued.token.id), issued.token.name.c_str(), role.c_str());
    std::printf("%s\n", issued.secret.c_str());
  } else if (verb == "ls") {
    std::printf("%-6s %-8s %-26s %-26s %-26s %s\n", "ID", "ROLE", "CREATED", "LAST USED", "REVOKED",
                "NAME");
    for (const auto& t : auth.ListTokens())
      std::printf("%-6lld %-8s %-26s %-26s %-26s %s\n", static_cast<long long>(t.id),
                  std::string(krige::RoleName(t.role)).c_str(), t.created_at.c_str(),
                  t.last_used_at.empty() ? "-" : t.last_used_at.c_str(),
                  t.revoked_at.empty() ? "-" : t.revoked_at.c_str(), t.name.c_str());
  } else {
    const auto t = auth.RevokeToken(id);
    std::fprintf(stderr, "token #%lld \"%s\" revoked at %s\n", static_cast<long long>(t.id),
                 t.name.c_str(), t.revoked_at.c_str());
  }
  return 0;
}

// Where run artifacts go without --artifact-root: $KRIGE_HOME/artifacts, else (as root)
// /var/lib/krige/artifacts, else ${XDG_DATA_HOME:-~/.local/share}/krige/artifacts, the data
// directory `krige up` uses.
std::string DefaultArtifactRoot() {
  const auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  if (const char* home = std::getenv("KRIGE_HOME"); set(home))
    return std::string(home) + "/artifacts";
  if (::geteuid() == 0) return "/var/lib/krige/artifacts";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); set(xdg))
    return std::string(xdg) + "/krige/artifacts";
  if (const char* home = std::getenv("HOME"); set(home))
    return std::string(home) + "/.local/share/krige/artifacts";
  return "krige-artifacts";
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
  std::string tls_cert, tls_key;
  app.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate chain")
      ->envname("KRIGE_TLS_CERT");
  app.add_option("--tls-key", tls_key, "the private key (PEM) of --tls-cert")
      ->envname("KRIGE_TLS_KEY");
  app.add_option("--http-threads", http_threads, "threads for API handlers")
      ->check(CLI::Range(1, 256));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  std::string auth_mode = "on", token_file, cors_origin;
  std::vector<std::string> allowed_hosts;
  app.add_option("--auth", auth_mode,
                 "on: every API route needs a token with its role (Authorization: Bearer); "
                 "off: anyone who reaches the port is admin (logs a warning)")
      ->check(CLI::IsMember({"on", "off"}))
      ->envname("KRIGE_AUTH")
      ->capture_default_str();
  app.add_option("--token-file", token_file,
                 "when the database has no token yet, create the first admin token and write "
                 "it to this file (mode 0600)")
      ->envname("KRIGE_TOKEN_FILE");
  app.add_option("--allowed-hosts", allowed_hosts,
                 "more names the Host header may carry, comma-separated: name (any port) or "
                 "name:port, * for any (default: the bound host, localhost, 127.0.0.1, [::1] "
                 "and this machine's name, with the port)")
      ->delimiter(',')
      ->envname("KRIGE_ALLOWED_HOSTS");
  app.add_option("--cors-origin", cors_origin,
                 "the one origin (https://tools.example) whose pages may call the API; default: "
                 "none, no CORS headers")
      ->envname("KRIGE_CORS_ORIGIN");

  std::string artifact_root;
  app.add_option("--artifact-root", artifact_root,
                 "the directory run artifacts are stored under (ROOT/<run id>/<path>); default "
                 "$KRIGE_HOME/artifacts, else ${XDG_DATA_HOME:-~/.local/share}/krige/artifacts "
                 "(/var/lib/krige/artifacts as root)")
      ->envname("KRIGE_ARTIFACT_ROOT");

  auto* token_cmd =
      app.add_subcommand("token", "manage API tokens in the database (no server needed)");
  token_cmd->require_subcommand(1);
  std::string new_role, new_name;
  std::int64_t revoke_id = 0;
  auto* token_create = token_cmd->add_subcommand("create", "create a token and print it once");
  token_create->add_option("--role", new_role, "read, write or admin")
      ->required()
      ->check(CLI::IsMember({"read", "write", "admin"}));
  token_create->add_option("--name", new_name, "what the token is for")->required();
  auto* token_ls = token_cmd->add_subcommand("ls", "list tokens (never their secrets)");
  auto* token_revoke = token_cmd->add_subcommand("revoke", "revoke a token");
  token_revoke->add_option("ID", revoke_id, "token id")->required();
  CLI11_PARSE(app, argc, argv);
  if (*token_cmd) {
    try {
      return TokenCommand(database_url, *token_create ? "create" : (*token_ls ? "ls" : "revoke"),
                          new_role, new_name, revoke_id);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "krige-server token: %s\n", e.what());
      return 1;
    }
  }
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
    auto token_store = krige::storage::pg::MakeTokenRepository(db);
    const auto tuners = krige::tuners::DefaultRegistry();
    // Shared by every server on this database: a capability one signs, another accepts.
    krige::service::TokenAuthService auth(
        *token_store, token_store->ServerSecret(krige::service::kDatasetCapabilitySecret,
                                                krige::service::RandomKey()));

    // The HTTP listener is bound first: its port goes into every ASSIGN (where workers fetch
    // datasets). It serves requests only once started, after the scheduler is running.
    auto router = std::make_shared<krige::http::Router>();
    krige::http::ServerOptions http_options;
    http_options.host = http_host;
    http_options.port = http_port;
    http_options.handler_threads = http_threads;
    http_options.allowed_hosts = allowed_hosts;
    http_options.cors_origin = cors_origin;
    http_options.tls_cert_file = tls_cert;
    http_options.tls_key_file = tls_key;
    if (auth_mode == "on") {
      router->SetAuthenticator(
          [&auth](const std::string& token) { return auth.Authenticate(token); });
      CreateFirstToken(*token_store, token_file);
    }
    krige::http::Server server(http_options, router);
    const std::uint16_t bound_port = server.Listen();
    const std::string bound_http = std::string(tls_cert.empty() ? "http://" : "https://") +
                                   http_host + ":" + std::to_string(bound_port);
    if (auth_mode == "off")
      spdlog::warn(
          "--auth off: every request is served as admin without a token; anyone who can reach "
          "{} can read everything and run commands on the workers",
          bound_http);

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
    options.dataset_capability = [&auth](const std::string& sha256) {
      return auth.DatasetCapability(sha256);
    };
    krige::service::Scheduler scheduler(*experiments, *trials, *workers, tuners, dispatcher,
                                        options);
    krige::service::SchedulerLoop loop(scheduler);
    loop_ptr = &loop;
    krige::service::StoredExperimentService service(
        *experiments, *trials, [&loop](std::int64_t id) { loop.PostExperimentCreated(id); },
        dataset_store.get(), workers.get());
    service.SetControl([&loop](std::int64_t id, krige::service::ExperimentControl action) {
      return loop.PostControl(id, action);
    });
    service.SetCheck(
        [&tuners](const krige::ExperimentSpec& spec) { return tuners.CheckOptions(spec.tuner); });
    krige::service::StoredDatasetService datasets(*dataset_store);
    krige::service::StoredWorkerService worker_list(*workers);
    krige::web::RegisterApi(*router, service, datasets, auth, &worker_list);
    auto run_store = krige::storage::pg::MakeRunRepository(db);
    krige::service::ArtifactStore artifacts(artifact_root.empty() ? DefaultArtifactRoot()
                                                                  : artifact_root);
    krige::service::StoredRunService runs(*run_store, artifacts);
    krige::web::RegisterRunsApi(*router, runs);
    krige::web::RegisterDashboard(*router);
    auto feed = krige::storage::pg::MakeTrialFeed(db);  // the dashboard's plots, live events
    krige::web::EventHub events(*feed);
    krige::web::RegisterFeedApi(*router, service, *feed, events);

    // GET /metrics: each part reads its own counters at scrape time.
    krige::metrics::HttpStats http_stats;
    router->SetObserver(
        [&http_stats](const std::string& method, const std::string& route, int status,
                      double seconds) { http_stats.Observe(method, route, status, seconds); });
    krige::metrics::Registry metrics;
    metrics.Add([&db](krige::metrics::Exposition& out) {
      const krige::TrialCounts counts = krige::storage::pg::CountTrials(*db);
      out.Family("krige_trials", "gauge", "trials in the store by state (every experiment)");
      for (const auto& [state, n] : {std::pair<const char*, int>{"queued", counts.queued},
                                     {"running", counts.running},
                                     {"completed", counts.completed},
                                     {"failed", counts.failed},
                                     {"pruned", counts.pruned}})
        out.Sample("krige_trials", {{"state", state}}, n);
    });
    metrics.Add([&scheduler](krige::metrics::Exposition& out) { scheduler.stats().Collect(out); });
    metrics.Add([&loop](krige::metrics::Exposition& out) {
      out.Family("krige_scheduler_queue_depth", "gauge",
                 "events (worker messages, new experiments) waiting for the scheduler thread");
      out.Sample("krige_scheduler_queue_depth", {}, static_cast<double>(loop.queue_depth()));
    });
    metrics.Add([&dispatcher](krige::metrics::Exposition& out) {
      out.Family("krige_wire_malformed_total", "counter",
                 "ZeroMQ messages dropped because they did not decode or broke a bound");
      out.Sample("krige_wire_malformed_total", {}, static_cast<double>(dispatcher.malformed()));
      out.Family("krige_curve_denied_total", "counter",
                 "CURVE handshakes refused (unlisted key or plaintext peer)");
      out.Sample("krige_curve_denied_total", {}, static_cast<double>(dispatcher.denied()));
      out.Family("krige_wire_messages_total", "counter",
                 "ZeroMQ messages from workers that decoded and were handed to the scheduler");
      for (const auto& [type, n] : dispatcher.received())
        out.Sample("krige_wire_messages_total", {{"type", type}}, static_cast<double>(n));
    });
    metrics.Add([&http_stats](krige::metrics::Exposition& out) { http_stats.Collect(out); });
    krige::web::RegisterMetrics(*router, [&metrics] { return metrics.Expose(); });

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
