// The HTTP transport against a tiny HTTP server on 127.0.0.1 (port chosen by the OS).
#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "krige/client.hpp"

namespace krige {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

enum class Mode {
  kKeepAlive,     // answer every request on the connection
  kDropAfterOne,  // answer one request, then close without saying so (an idle-timeout drop)
  kSilent,        // read the request, never answer
};

// Answers every request with JSON echoing it: {"method","target","body","x_test","conn"}.
class TinyServer {
 public:
  explicit TinyServer(Mode mode)
      : mode_(mode), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TinyServer() {
    stop_ = true;
    try {  // wake the blocking accept
      asio::io_context ioc;
      tcp::socket s(ioc);
      s.connect({asio::ip::make_address("127.0.0.1"), port_});
    } catch (...) {
    }
    accept_thread_.join();
    for (auto& t : connection_threads_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void AcceptLoop() {
    while (true) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stop_ || ec) return;
      const int conn = ++connections_;
      connection_threads_.emplace_back([this, conn](tcp::socket s) { Serve(std::move(s), conn); },
                                       std::move(socket));
    }
  }

  void Serve(tcp::socket socket, int conn) {
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      if (mode_ == Mode::kSilent) continue;
      http::response<http::string_body> res{http::status::ok, 11};
      if (req.target() == "/status/418") res.result(418);
      res.set(http::field::content_type, "application/json");
      res.set("X-Conn", std::to_string(conn));
      res.keep_alive(true);
      res.body() = Json{
          {"method", std::string(req.method_string())},
          {"target", std::string(req.target())},
          {"body", req.body()},
          {"x_test", std::string(req["X-Test"])},
          {"content_type", std::string(req[http::field::content_type])},
          {"conn",
           conn}}.dump();
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec) return;
      if (mode_ == Mode::kDropAfterOne) {
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        return;
      }
    }
  }

  Mode mode_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::vector<std::thread> connection_threads_;  // only touched by the accept thread, then joined
};

HttpRequest Post(const std::string& target, const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  r.target = target;
  r.body = body;
  r.headers["X-Test"] = "yes";
  return r;
}

TEST(HttpTransportTest, RoundTrip) {
  TinyServer server(Mode::kKeepAlive);
  auto transport = MakeHttpTransport(server.url(), 5s);
  const HttpResponse res = transport->Send(Post("/api/v1/experiments?x=1", R"({"a":1})"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.headers.at("content-type"), "application/json");
  const Json echo = Json::parse(res.body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["target"], "/api/v1/experiments?x=1");
  EXPECT_EQ(echo["body"], R"({"a":1})");
  EXPECT_EQ(echo["x_test"], "yes");
  EXPECT_EQ(echo["content_type"], "application/json");
}

TEST(HttpTransportTest, NonSuccessStatusIsReturnedNotThrown) {
  TinyServer server(Mode::kKeepAlive);
  auto transport = MakeHttpTransport(server.url(), 5s);
  HttpRequest req;
  req.target = "/status/418";
  EXPECT_EQ(transport->Send(req).status, 418);
}

TEST(HttpTransportTest, PathPrefixIsPrepended) {
  TinyServer server(Mode::kKeepAlive);
  auto transport = MakeHttpTransport(server.url() + "/krige/", 5s);
  HttpRequest req;
  req.target = "/healthz";
  EXPECT_EQ(Json::parse(transport->Send(req).body)["target"], "/krige/healthz");
}

TEST(HttpTransportTest, KeepAliveReusesOneConnection) {
  TinyServer server(Mode::kKeepAlive);
  auto transport = MakeHttpTransport(server.url(), 5s);
  for (int i = 0; i < 5; ++i) {
    const HttpResponse res = transport->Send(Post("/x", std::to_string(i)));
    EXPECT_EQ(Json::parse(res.body)["body"], std::to_string(i));
    EXPECT_EQ(res.headers.at("x-conn"), "1");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpTransportTest, ReconnectsAfterTheServerDropsTheConnection) {
  TinyServer server(Mode::kDropAfterOne);
  auto transport = MakeHttpTransport(server.url(), 5s);
  EXPECT_EQ(Json::parse(transport->Send(Post("/a", "1")).body)["conn"], 1);
  std::this_thread::sleep_for(50ms);  // let the close reach the client's socket
  EXPECT_EQ(Json::parse(transport->Send(Post("/b", "2")).body)["conn"], 2);
  EXPECT_EQ(Json::parse(transport->Send(Post("/c", "3")).body)["conn"], 3);
}

TEST(HttpTransportTest, ConcurrentSendsAreSerialized) {
  TinyServer server(Mode::kKeepAlive);
  auto transport = MakeHttpTransport(server.url(), 5s);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string body = std::to_string(t * 100 + i);
        if (Json::parse(transport->Send(Post("/p", body)).body)["body"] == body) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 40);
}

TEST(HttpTransportTest, ConnectionRefusedIsUnavailableAndNamesTheUrl) {
  unsigned short port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto transport = MakeHttpTransport(url, 2s);
  try {
    transport->Send(HttpRequest{});
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_THAT(e.what(), HasSubstr(url));
  }
  EXPECT_FALSE(Client(transport).Healthy());
}

TEST(HttpTransportTest, SilentServerTimesOut) {
  TinyServer server(Mode::kSilent);
  auto transport = MakeHttpTransport(server.url(), 300ms);
  const auto start = std::chrono::steady_clock::now();
  try {
    transport->Send(HttpRequest{});
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_THAT(e.what(), HasSubstr("300 ms"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HttpTransportTest, RejectsMalformedUrls) {
  EXPECT_THROW(MakeHttpTransport("ftp://example.com", 1s), Error);
  EXPECT_NO_THROW(MakeHttpTransport("https://example.com", 1s));  // connects on first use
  EXPECT_THROW(MakeHttpTransport("https://example.com", 1s, "", "/nonexistent/ca.pem"), Error);
  EXPECT_THROW(MakeHttpTransport("127.0.0.1:8080", 1s), Error);
  EXPECT_THROW(MakeHttpTransport("http://host:port", 1s), Error);
  EXPECT_NO_THROW(MakeHttpTransport("http://localhost", 1s));
  EXPECT_NO_THROW(MakeHttpTransport("http://[::1]:8080/", 1s));
}

TEST(HttpTransportTest, ClientOverHttpMapsErrors) {
  TinyServer server(Mode::kKeepAlive);
  Client client(MakeHttpTransport(server.url(), 5s));
  EXPECT_TRUE(client.Healthy());
}

}  // namespace
}  // namespace krige
