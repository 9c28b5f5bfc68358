// The real server on 127.0.0.1, port chosen by the OS, spoken to over a real socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "fake_auth_service.hpp"
#include "fake_dataset_service.hpp"
#include "fake_experiment_service.hpp"
#include "krige/http/server.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"
#include "test_http_client.hpp"

namespace krige::http {
namespace {

using Json = nlohmann::json;
using krige::testing::HttpConnection;
using krige::testing::HttpReply;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::size_t kBodyLimit = 4096;
constexpr std::size_t kBigLimit = 8 * kBodyLimit;  // the /big route's own limit

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = std::make_shared<Router>();
    web::RegisterApi(*router, service_, datasets_, auth_);
    web::RegisterDashboard(*router);
    router->Add("POST", "/echo", Role::kNone, [](const Request& r) {
      Json headers = Json::object();
      for (const auto& [k, v] : r.headers) headers[k] = v;
      Response response;
      response.body = Json{
          {"method", r.method},
          {"path", r.path},
          {"query", r.query},
          {"body", r.body},
          {"headers",
           headers}}.dump();
      return response;
    });
    router->Add(
        "POST", "/big", Role::kNone,
        [](const Request& r) {
          Response response;
          response.body = Json{{"size", r.body.size()}}.dump();
          return response;
        },
        RouteOptions{kBigLimit, {}});
    router->Add("GET", "/slow", Role::kNone, [this](const Request&) {
      // Blocks a handler thread until the test releases it (bounded, so a failure cannot hang).
      release_.wait_for(std::chrono::seconds(20));
      Response response;
      response.body = R"({"slow":true})";
      return response;
    });
    ServerOptions options;
    options.body_limit = kBodyLimit;
    options.handler_threads = 4;
    // The raw requests below name these hosts (the Host check has tests of its own).
    options.allowed_hosts = {"127.0.0.1", "h", "x"};
    server_ = std::make_unique<Server>(options, router);
    port_ = server_->Start();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    release_promise_.set_value();
    server_.reset();
  }

  krige::testing::FakeExperimentService service_;
  krige::testing::FakeDatasetService datasets_;
  krige::testing::FakeAuthService auth_;
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, ServesHealthz) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send(HttpConnection::Get("/healthz")));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers.at("content-type"), "application/json");
  EXPECT_EQ(Json::parse(reply->body), Json::parse(R"({"status":"ok"})"));
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpConnection c(port_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Send(HttpConnection::Get("/healthz")));
    const auto reply = c.Receive();
    ASSERT_TRUE(reply) << "request " << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->headers.count("connection"), 0u);  // HTTP/1.1 default: keep-alive
  }
  // Pipelined: two requests in one write, answered in order.
  ASSERT_TRUE(
      c.Send(HttpConnection::Get("/api/v1/experiments/9") + HttpConnection::Get("/healthz")));
  const auto first = c.Receive();
  const auto second = c.Receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 404);
  EXPECT_EQ(second->status, 200);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send(HttpConnection::Get("/healthz", "Connection: close\r\n")));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->headers.at("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, DecodesQueryHeadersAndBody) {
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.Send("POST /echo?name=a%20b+c&x=%3D HTTP/1.1\r\nHost: h\r\nX-Krige-Test: Yes\r\n"
             "Content-Length: 5\r\n\r\nhello"));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const Json echo = Json::parse(reply->body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["path"], "/echo");
  EXPECT_EQ(echo["query"], Json::parse(R"({"name":"a b c","x":"="})"));
  EXPECT_EQ(echo["body"], "hello");
  EXPECT_EQ(echo["headers"]["x-krige-test"], "Yes");
}

TEST_F(ServerTest, BodyAtTheLimitIsAccepted) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send(HttpConnection::Post("/echo", std::string(kBodyLimit, 'a'))));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ServerTest, OversizeBodyIs413InTheErrorShape) {
  HttpConnection c(port_);
  // Sent whole, as a client would; the server must answer, not reset the connection.
  c.Send(HttpConnection::Post("/api/v1/experiments", std::string(64 * kBodyLimit, 'x')));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(Json::parse(reply->body), Json::parse(R"({"error":{"code":"payload_too_large",
                "message":"the request body exceeds 4096 bytes"}})"));
  EXPECT_EQ(reply->headers.at("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(service_.List({}).experiments.size(), 0u);
}

TEST_F(ServerTest, ARouteMayAcceptLargerBodiesThanTheDefault) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send(HttpConnection::Post("/big", std::string(kBigLimit, 'a'))));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(Json::parse(reply->body)["size"], kBigLimit);
  // The same body elsewhere is still too large.
  HttpConnection d(port_);
  d.Send(HttpConnection::Post("/echo", std::string(kBigLimit, 'a')));
  const auto refused = d.Receive();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
}

TEST_F(ServerTest, BeyondARoutesOwnLimitIs413) {
  HttpConnection c(port_);
  c.Send(HttpConnection::Post("/big", std::string(kBigLimit + 1, 'a')));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(Json::parse(reply->body)["error"]["message"], "the request body exceeds 32768 bytes");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
             "Expect: 100-continue\r\n\r\n"));
  const auto go_on = c.Receive();
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100);
  ASSERT_TRUE(c.Send("0123456789"));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(Json::parse(reply->body)["size"], 10);

  // Too large: refused at once, the body never asked for.
  HttpConnection d(port_);
  ASSERT_TRUE(d.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     std::to_string(kBigLimit + 1) + "\r\nExpect: 100-continue\r\n\r\n"));
  const auto refused = d.Receive();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send("THIS IS NOT HTTP\r\n\r\n"));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(Json::parse(reply->body)["error"]["code"], "invalid_argument");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, SlowHandlerDoesNotBlockOtherConnections) {
  HttpConnection slow(port_, std::chrono::seconds(20));
  ASSERT_TRUE(slow.Send(HttpConnection::Get("/slow")));
  // Give the slow request time to reach its handler.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  // Were handlers run on the I/O thread, this would time out: /slow holds it until released.
  HttpConnection fast(port_, std::chrono::seconds(5));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(fast.Send(HttpConnection::Get("/healthz")));
    const auto reply = fast.Receive();
    ASSERT_TRUE(reply) << "healthz blocked behind a slow handler";
    EXPECT_EQ(reply->status, 200);
  }

  release_promise_.set_value();
  release_promise_ = std::promise<void>();  // TearDown sets this one
  const auto reply = slow.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, R"({"slow":true})");
}

TEST_F(ServerTest, ApiRoundTripOverTheSocket) {
  HttpConnection c(port_);
  const std::string spec = R"({"name":"over the wire","objective":{"metric":"accuracy"},
      "space":{"C":{"type":"float","low":0.1,"high":10}},
      "training":{"dataset":"d.csv","model":"logistic_regression"}})";
  ASSERT_TRUE(c.Send(HttpConnection::Post("/api/v1/experiments", spec)));
  const auto created = c.Receive();
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->headers.at("location"), "/api/v1/experiments/1");
  ASSERT_TRUE(c.Send(HttpConnection::Get("/api/v1/experiments?limit=abc")));
  const auto bad = c.Receive();
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Json::parse(bad->body)["error"]["field"], "limit");
  ASSERT_TRUE(c.Send(HttpConnection::Get("/api/v1/experiments?state=running&limit=10")));
  const auto list = c.Receive();
  ASSERT_TRUE(list);
  EXPECT_EQ(Json::parse(list->body)["experiments"][0]["name"], "over the wire");
}

TEST_F(ServerTest, ServesTheDashboard) {
  HttpConnection c(port_);
  const struct {
    const char* path;
    const char* type;
  } assets[] = {{"/", "text/html; charset=utf-8"},
                {"/app/app.js", "text/javascript; charset=utf-8"},
                {"/app/style.css", "text/css; charset=utf-8"}};
  for (const auto& a : assets) {
    ASSERT_TRUE(c.Send(HttpConnection::Get(a.path)));
    const auto reply = c.Receive();
    ASSERT_TRUE(reply) << a.path;
    EXPECT_EQ(reply->status, 200) << a.path;
    EXPECT_EQ(reply->headers.at("content-type"), a.type);
    EXPECT_FALSE(reply->body.empty());
  }
}

TEST_F(ServerTest, EveryResponseCarriesTheSecurityHeaders) {
  for (const std::string& request :
       {HttpConnection::Get("/healthz"), HttpConnection::Get("/"), HttpConnection::Get("/nowhere"),
        HttpConnection::Post("/api/v1/experiments", "{")}) {
    HttpConnection c(port_);
    ASSERT_TRUE(c.Send(request));
    const auto reply = c.Receive();
    ASSERT_TRUE(reply) << request;
    EXPECT_EQ(reply->headers.at("x-content-type-options"), "nosniff") << request;
    EXPECT_EQ(reply->headers.at("x-frame-options"), "DENY") << request;
    const std::string csp = reply->headers.at("content-security-policy");
    EXPECT_THAT(csp, HasSubstr("script-src 'self'")) << request;
    EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline"))) << request;
    EXPECT_EQ(reply->headers.count("access-control-allow-origin"), 0u) << "no CORS by default";
  }
  // Also on the 413 the session writes itself.
  HttpConnection c(port_);
  ASSERT_TRUE(c.Send(HttpConnection::Post("/echo", std::string(kBodyLimit + 1, 'x'))));
  const auto reply = c.Receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(reply->headers.at("x-frame-options"), "DENY");
}

// A server with the default Host check (and, for CORS, an origin).
class EdgeTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> allowed_hosts, std::string cors_origin = "") {
    auto router = std::make_shared<Router>();
    router->Add("GET", "/x", Role::kNone, [](const Request&) { return Response{}; });
    ServerOptions options;
    options.allowed_hosts = std::move(allowed_hosts);
    options.cors_origin = std::move(cors_origin);
    server_ = std::make_unique<Server>(options, router);
    port_ = server_->Start();
  }
  int StatusFor(const std::string& host, const std::string& extra = "") {
    HttpConnection c(port_);
    const std::string host_line = host.empty() ? "" : "Host: " + host + "\r\n";
    if (!c.Send("GET /x HTTP/1.1\r\n" + host_line + extra + "\r\n")) return -1;
    const auto reply = c.Receive();
    if (reply) last_ = *reply;
    return reply ? reply->status : -1;
  }
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  HttpReply last_;
};

TEST_F(EdgeTest, OnlyTheServersOwnHostNamesAreServed) {
  Start({});
  const std::string port = std::to_string(port_);
  EXPECT_EQ(StatusFor("127.0.0.1:" + port), 200);
  EXPECT_EQ(StatusFor("localhost:" + port), 200);
  EXPECT_EQ(StatusFor("LOCALHOST:" + port), 200);
  EXPECT_EQ(StatusFor("[::1]:" + port), 200);
  EXPECT_EQ(StatusFor(""), 200) << "HTTP/1.0-style requests without Host";
  // DNS rebinding: a page of attacker.example, re-pointed at 127.0.0.1, names its own host.
  EXPECT_EQ(StatusFor("attacker.example:" + port), 403);
  EXPECT_EQ(Json::parse(last_.body)["error"]["code"], "permission_denied");
  EXPECT_EQ(last_.headers.at("x-frame-options"), "DENY");
  EXPECT_EQ(StatusFor("localhost:1"), 403) << "another port is another origin";
  EXPECT_EQ(StatusFor("localhost"), port_ == 80 ? 200 : 403);
}

TEST_F(EdgeTest, AllowedHostsAddNames) {
  Start({"krige.internal", "tools.example:8443"});
  EXPECT_EQ(StatusFor("krige.internal:" + std::to_string(port_)), 200);
  EXPECT_EQ(StatusFor("krige.internal"), 200);
  EXPECT_EQ(StatusFor("tools.example:8443"), 200);
  EXPECT_EQ(StatusFor("tools.example:9999"), 403);
  EXPECT_EQ(StatusFor("evil.example"), 403);
}

TEST_F(EdgeTest, CorsOnlyForTheConfiguredOrigin) {
  Start({"*"}, "https://tools.example");
  EXPECT_EQ(StatusFor("anything.example"), 200) << "* allows every Host";
  EXPECT_EQ(last_.headers.at("access-control-allow-origin"), "https://tools.example");
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.Send("OPTIONS /x HTTP/1.1\r\nHost: a\r\nOrigin: https://tools.example\r\n"
             "Access-Control-Request-Method: GET\r\n\r\n"));
  const auto preflight = c.Receive();
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_THAT(preflight->headers.at("access-control-allow-headers"), HasSubstr("Authorization"));
  ASSERT_TRUE(
      c.Send("OPTIONS /x HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\n"
             "Access-Control-Request-Method: GET\r\n\r\n"));
  const auto other = c.Receive();
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 405) << "no preflight for another origin";
}

TEST(ServerLifecycleTest, StopWithAnIdleKeepAliveConnectionReturns) {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/x", Role::kNone, [](const Request&) { return Response{}; });
  Server server(ServerOptions{}, router);
  const std::uint16_t port = server.Start();
  HttpConnection c(port);
  ASSERT_TRUE(c.Send(HttpConnection::Get("/x")));
  ASSERT_TRUE(c.Receive());
  const auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(c.WaitClosed());
  server.Stop();  // idempotent
}

TEST(ServerLifecycleTest, BindFailureIsUnavailable) {
  auto router = std::make_shared<Router>();
  Server first(ServerOptions{}, router);
  ServerOptions taken;
  taken.port = first.Start();
  Server second(taken, router);
  try {
    second.Start();
    FAIL() << "bound a port already in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace krige::http
