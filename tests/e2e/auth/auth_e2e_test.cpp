// Auth as deployed: a real krige-server (auth on, its first admin token in a file), a real
// PostgreSQL, plain HTTP from the test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "auth.hpp"
#include "fake_auth_service.hpp"
#include "fake_dataset_service.hpp"
#include "fake_experiment_service.hpp"
#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "krige/sha256.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"
#include "test_env.hpp"
#include "test_http_client.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const char* kCvSpec = R"({
  "name": "cv",
  "objective": {"metric": "accuracy", "goal": "maximize"},
  "max_trials": 1,
  "space": {"C": {"type": "float", "low": 0.1, "high": 10, "log": true}},
  "training": {"dataset": "/nonexistent/on/purpose.csv", "model": "logistic_regression"}
})";

const char* kCommandSpec = R"({
  "name": "runs a program",
  "objective": {"metric": "loss", "goal": "minimize"},
  "max_trials": 1,
  "space": {"x": {"type": "float", "low": 0, "high": 1}},
  "training": {"kind": "command", "command": ["/bin/sh", "-c", "echo loss={x}"]}
})";

const char* kCsv = "a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n";

// The route table as krige-server registers it (same functions, fake services): the walk
// covers whatever routes exist, so a new route is tested without touching this file.
std::vector<http::RouteInfo> RouteTable() {
  testing::FakeExperimentService service;
  testing::FakeDatasetService datasets;
  testing::FakeAuthService auth;
  http::Router router;
  web::RegisterApi(router, service, datasets, auth);
  web::RegisterMetrics(router, [] { return std::string(); });
  web::RegisterDashboard(router);
  return router.Routes();
}

// Every test twice: over plain HTTP, and over HTTPS with a self-signed certificate made for
// the test (its CA file reaches clients and workers through KRIGE_CACERT).
class AuthTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      const auto cert = testing::MakeSelfSignedCertificate(dir_.path());
      ::setenv("KRIGE_CACERT", cert.cert.c_str(), 1);
      tls_ = {"--tls-cert", cert.cert, "--tls-key", cert.key};
    }
    Start("server.log", {});
  }
  void TearDown() override { ::unsetenv("KRIGE_CACERT"); }

  // A log of its own per start: the test waits for the listening line in it.
  void Start(const std::string& log, std::vector<std::string> extra) {
    extra.insert(extra.end(), tls_.begin(), tls_.end());
    auto server =
        testing::StartServer(db_.url(), dir_.path() + "/" + log, testing::Auth::kOn, extra);
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    admin_ = server.token;
    if (log == "server.log") {  // a fresh database: the first start made the first admin token
      ASSERT_THAT(admin_, ::testing::MatchesRegex("krg_[A-Za-z0-9_-]{43}")) << server_->Log();
    }
    port_ = static_cast<std::uint16_t>(std::stoi(http_.substr(http_.rfind(':') + 1)));
    ASSERT_EQ(http_.rfind(GetParam() ? "https://" : "http://", 0), 0u) << http_;
  }

  Client As(const std::string& token) const { return Client::Connect(http_, 30s, token); }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "",
                    std::map<std::string, std::string> headers = {}) const {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = std::move(headers);
    if (!token.empty()) r.headers["Authorization"] = "Bearer " + token;
    return MakeHttpTransport(http_, 30s, "")->Send(r);
  }

  std::string Secret() const {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    const pqxx::binarystring secret(
        w.exec1("SELECT secret FROM server_secrets WHERE name = 'dataset_capability'")[0]);
    return secret.str();
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<testing::ChildProcess> server_, worker_;
  std::string http_, zmq_, admin_;
  std::uint16_t port_ = 0;
  std::vector<std::string> tls_;  // the server's --tls-cert/--tls-key, over HTTPS
};

INSTANTIATE_TEST_SUITE_P(HttpAndHttps, AuthTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "https" : "http"; });

TEST_P(AuthTest, EveryRouteAnswersEachCallerAsItsRoleSays) {
  const Client admin = As(admin_);
  const std::string read = admin.CreateToken("reader", Role::kRead).secret;
  const std::string write = admin.CreateToken("writer", Role::kWrite).secret;
  const std::int64_t experiment = admin.CreateExperiment(SpecFromJson(ParseJson(kCvSpec))).id;
  const std::string sha = admin.UploadDataset("tiny", kCsv).sha256;

  struct Caller {
    const char* label;
    std::string token;
    Role role;  // kNone: no valid token
  };
  const std::vector<Caller> callers = {{"no token", "", Role::kNone},
                                       {"bad token", "krg_" + std::string(43, 'x'), Role::kNone},
                                       {"read", read, Role::kRead},
                                       {"write", write, Role::kWrite},
                                       {"admin", admin_, Role::kAdmin}};
  const auto routes = RouteTable();
  ASSERT_GE(routes.size(), 14u);
  int checked = 0;
  for (const auto& route : routes) {
    std::string target = route.pattern;
    target = std::regex_replace(target, std::regex("experiments/\\{id\\}"),
                                "experiments/" + std::to_string(experiment));
    target = std::regex_replace(target, std::regex("\\{sha256\\}"), sha);
    target = std::regex_replace(target, std::regex("\\{id\\}"), "999999");  // trials, tokens
    std::string body;
    if (route.pattern == "/api/v1/experiments" && route.method == "POST") body = kCvSpec;
    if (route.pattern == "/api/v1/datasets" && route.method == "POST") {
      target += "?name=again";
      body = kCsv;
    }
    if (route.pattern == "/api/v1/tokens" && route.method == "POST")
      body = R"({"name":"matrix","role":"read"})";
    for (const auto& caller : callers) {
      HttpResponse r = Send(route.method, target, caller.token, body);
      const std::string what = route.method + " " + target + " as " + caller.label + ": " +
                               std::to_string(r.status) + " " + r.body.substr(0, 200);
      ++checked;
      if (route.role == Role::kNone) {
        EXPECT_TRUE(r.status != 401 && r.status != 403 && r.status < 500) << what;
      } else if (caller.role == Role::kNone) {
        EXPECT_EQ(r.status, 401) << what;
        EXPECT_THAT(r.body, HasSubstr("\"unauthenticated\"")) << what;
        EXPECT_THAT(r.headers["www-authenticate"], HasSubstr("Bearer")) << what;
      } else if (caller.role < route.role) {
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_THAT(r.body, HasSubstr("\"permission_denied\"")) << what;
      } else {
        EXPECT_TRUE(r.status >= 200 && r.status < 500 && r.status != 401 && r.status != 403)
            << what;
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(routes.size() * callers.size()));

  // Creating an experiment is write for built-in training, admin for a command.
  EXPECT_EQ(Send("POST", "/api/v1/experiments", write, kCommandSpec).status, 403);
  EXPECT_EQ(Send("POST", "/api/v1/experiments", read, kCommandSpec).status, 403);
  EXPECT_EQ(Send("POST", "/api/v1/experiments", admin_, kCommandSpec).status, 201);

  // Security headers on API answers too; no CORS without --cors-origin.
  HttpResponse any = Send("GET", "/api/v1/experiments", read);
  EXPECT_EQ(any.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(any.headers["x-frame-options"], "DENY");
  EXPECT_THAT(any.headers["content-security-policy"], HasSubstr("script-src 'self'"));
  EXPECT_EQ(any.headers.count("access-control-allow-origin"), 0u);
}

TEST_P(AuthTest, TokensAreStoredOnlyAsHashes) {
  const Client admin = As(admin_);
  std::vector<std::string> secrets = {admin_};
  for (const Role role : {Role::kRead, Role::kWrite, Role::kAdmin})
    secrets.push_back(admin.CreateToken(std::string(RoleName(role)) + " token", role).secret);
  // And one made without a server (krige-server ... token create), used at once.
  const auto [code, printed] =
      testing::RunCommand(testing::BinDir() + "/krige-server --database-url '" + db_.url() +
                          "' token create --role read --name offline 2>/dev/null");
  ASSERT_EQ(code, 0) << printed;
  const std::string offline = printed.substr(0, printed.find('\n'));
  ASSERT_EQ(offline.rfind("krg_", 0), 0u) << printed;
  secrets.push_back(offline);
  EXPECT_EQ(As(offline).ListExperiments().size(), 0u);
  for (const auto& s : secrets) EXPECT_EQ(As(s).ListExperiments().size(), 0u) << s;

  pqxx::connection c(db_.url());
  pqxx::read_transaction w(c);
  std::vector<std::string> tables;
  for (const auto& row :
       w.exec("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
    tables.push_back(row[0].as<std::string>());
  ASSERT_THAT(tables, ::testing::Contains("api_tokens"));
  for (const auto& secret : secrets) {
    // The printed token is in no column of any table...
    for (const auto& table : tables) {
      const auto found = w.exec_params1("SELECT count(*) FROM " + w.quote_name(table) +
                                            " t WHERE strpos(row_to_json(t)::text, $1) > 0",
                                        secret)[0]
                             .as<int>();
      EXPECT_EQ(found, 0) << secret << " found in " << table;
    }
    // ...only its SHA-256 is.
    EXPECT_EQ(
        w.exec_params1("SELECT count(*) FROM api_tokens WHERE hash = $1", Sha256Hex(secret))[0]
            .as<int>(),
        1);
  }
  EXPECT_EQ(w.exec1("SELECT count(*) FROM api_tokens")[0].as<int>(), 5);
  EXPECT_EQ(w.exec1("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")[0].as<int>(),
            5);
}

TEST_P(AuthTest, ListingAndRevokingTokens) {
  const Client admin = As(admin_);
  const CreatedToken ci = admin.CreateToken("ci", Role::kWrite);
  const auto listed = admin.ListTokens();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "first admin");
  EXPECT_EQ(listed[0].role, Role::kAdmin);
  EXPECT_EQ(listed[1].name, "ci");
  EXPECT_EQ(As(ci.secret).ListExperiments().size(), 0u);
  EXPECT_THROW(As(ci.secret).ListTokens(), Error) << "write is not admin";
  const TokenInfo revoked = admin.RevokeToken(ci.info.id);
  EXPECT_FALSE(revoked.revoked_at.empty());
  try {
    As(ci.secret).ListExperiments();
    FAIL() << "a revoked token still works";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnauthenticated);
  }
  // A second start on the same database makes no new first token.
  server_->Kill(SIGTERM);
  server_->Wait(10s);
  std::remove((dir_.path() + "/server.log.token").c_str());
  auto again = testing::StartServer(db_.url(), dir_.path() + "/server2.log", testing::Auth::kOn);
  EXPECT_EQ(again.token, "");
  EXPECT_EQ(Client::Connect(again.http, 30s, admin_).ListTokens().size(), 2u);
}

TEST_P(AuthTest, TheHostHeaderMustNameThisServer) {
  if (GetParam()) GTEST_SKIP() << "raw requests over plain TCP: the HTTP variant checks Host";
  const auto status = [this](const std::string& host) {
    testing::HttpConnection c(port_);
    c.Send("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    const auto reply = c.Receive();
    return reply ? reply->status : -1;
  };
  const std::string port = std::to_string(port_);
  EXPECT_EQ(status("127.0.0.1:" + port), 200);
  EXPECT_EQ(status("localhost:" + port), 200);
  EXPECT_EQ(status("rebound.attacker.example:" + port), 403);
  EXPECT_EQ(status("localhost:1" + port), 403);

  server_->Kill(SIGTERM);
  server_->Wait(10s);
  Start("server2.log", {"--allowed-hosts", "krige.internal,tools.example:443"});
  const std::string port2 = std::to_string(port_);
  EXPECT_EQ(status("krige.internal:" + port2), 200);
  EXPECT_EQ(status("tools.example:443"), 200);
  EXPECT_EQ(status("tools.example:" + port2), 403);
  EXPECT_EQ(status("rebound.attacker.example:" + port2), 403);
}

TEST_P(AuthTest, DatasetCapabilitiesOpenOneDatasetUntilTheyExpire) {
  const std::string sha = As(admin_).UploadDataset("tiny", kCsv).sha256;
  const std::string other = As(admin_).UploadDataset("other", "x,target\n1,0\n2,1\n").sha256;
  const std::string key = Secret();
  ASSERT_EQ(key.size(), 32u);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const auto get = [this, &sha](const std::string& capability) {
    return Send("GET", "/api/v1/datasets/" + sha, "", "", {{"X-Krige-Capability", capability}});
  };
  const HttpResponse right = get(service::MakeDatasetCapability(key, sha, now + 60));
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(right.body, kCsv);
  EXPECT_EQ(get(service::MakeDatasetCapability(key, sha, now - 1)).status, 403) << "expired";
  EXPECT_EQ(get(service::MakeDatasetCapability(key, other, now + 60)).status, 403)
      << "for another dataset";
  EXPECT_EQ(get(service::MakeDatasetCapability(std::string(32, 'k'), sha, now + 60)).status, 403)
      << "signed with another key";
  EXPECT_EQ(get("garbage").status, 403);
  EXPECT_EQ(Send("GET", "/api/v1/datasets/" + sha, "").status, 401);
  // A capability opens the download only, not the description.
  EXPECT_EQ(Send("GET", "/api/v1/datasets/" + sha + "/info", "", "",
                 {{"X-Krige-Capability", service::MakeDatasetCapability(key, sha, now + 60)}})
                .status,
            401);
}

TEST_P(AuthTest, AWorkerWithoutATokenTrainsOnAnUploadedDataset) {
  const std::string csv = [] {
    std::ifstream in(testing::SourceDir() + "/examples/data/iris.csv");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  const Client writer = As(As(admin_).CreateToken("writer", Role::kWrite).secret);
  const std::string sha = writer.UploadDataset("iris.csv", csv).sha256;
  Json spec = ParseJson(kCvSpec);
  spec["max_trials"] = 2;
  spec["training"]["dataset"] = "sha256:" + sha;
  spec["training"]["folds"] = 3;
  const std::int64_t id = writer.CreateExperiment(SpecFromJson(spec)).id;
  worker_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_,
                               "--cache-dir", dir_.path() + "/cache"},
      dir_.path() + "/worker.log");
  const Experiment e = testing::WaitDone(writer, id, 120s);
  ASSERT_EQ(e.state, ExperimentState::kCompleted) << server_->Log() << worker_->Log();
  EXPECT_EQ(e.counts.completed, 2) << worker_->Log();
  EXPECT_THAT(server_->Log(), HasSubstr("dataset " + sha + " downloaded"));
}

TEST_P(AuthTest, ACommandExperimentWaitsForAWorkerThatAllowsCommands) {
  const std::int64_t id = As(admin_).CreateExperiment(SpecFromJson(ParseJson(kCommandSpec))).id;
  worker_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_, "--id",
                               "no-commands"},
      dir_.path() + "/worker.log");
  ASSERT_NE(server_->WaitForLine("worker no-commands joined", 30s), "") << server_->Log();
  // Heartbeats and ticks come and go: the worker never gets the trial, the API says why.
  std::this_thread::sleep_for(3s);
  Experiment e = As(admin_).GetExperiment(id);
  EXPECT_EQ(e.state, ExperimentState::kRunning);
  EXPECT_EQ(e.counts.total(), 0) << worker_->Log();
  EXPECT_THAT(e.waiting, HasSubstr("waiting for a worker that runs command"));
  EXPECT_THAT(e.waiting, HasSubstr("--allow-commands"));
  EXPECT_THAT(e.waiting, HasSubstr("the connected workers run cv"));
  EXPECT_THAT(worker_->Log(), Not(HasSubstr("trial ")));

  testing::ChildProcess allowed({testing::BinDir() + "/krige-worker", "--connect", zmq_, "--id",
                                 "commands", "--allow-commands"},
                                dir_.path() + "/allowed.log");
  e = testing::WaitDone(As(admin_), id, 60s);
  ASSERT_EQ(e.state, ExperimentState::kCompleted) << allowed.Log();
  EXPECT_EQ(e.waiting, "");
  const auto trials = As(admin_).ListTrials(id);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kCompleted);
  EXPECT_EQ(trials[0].worker, "commands");
}

TEST(TlsTest, AClientThatDoesNotTrustTheCertificateRefusesTheServer) {
  testing::TestDatabase db;
  testing::TempDir dir;
  const auto cert = testing::MakeSelfSignedCertificate(dir.path());
  auto server = testing::StartServer(db.url(), dir.path() + "/server.log", testing::Auth::kOn,
                                     {"--tls-cert", cert.cert, "--tls-key", cert.key});
  ASSERT_EQ(server.http.rfind("https://", 0), 0u) << server.http;
  ::unsetenv("KRIGE_CACERT");
  // Trusted: the listing works.
  EXPECT_EQ(Client::Connect(server.http, 10s, server.token, cert.cert).ListTokens().size(), 1u);
  // Not trusted (the system's CAs never signed it): no request leaves the client.
  try {
    Client::Connect(server.http, 10s, server.token).ListTokens();
    ADD_FAILURE() << "an untrusted certificate was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_THAT(e.what(), HasSubstr("TLS handshake failed"));
  }
  // Plain HTTP to the HTTPS port gets no HTTP answer.
  const std::string plain = "http://" + server.http.substr(8);
  EXPECT_THROW(Client::Connect(plain, 5s, server.token).ListTokens(), Error);
  EXPECT_EQ(Client::Connect(server.http, 10s, server.token, cert.cert).ListTokens().size(), 1u)
      << "the server is still serving";
}

TEST(AuthOffTest, AuthOffServesEveryoneAndSaysSo) {
  testing::TestDatabase db;
  testing::TempDir dir;
  auto server = testing::StartServer(db.url(), dir.path() + "/server.log", testing::Auth::kOff);
  EXPECT_EQ(Client::Connect(server.http, 30s, "").ListTokens().size(), 0u);
  EXPECT_THAT(server.process->Log(), HasSubstr("--auth off"));
}

}  // namespace
}  // namespace krige
