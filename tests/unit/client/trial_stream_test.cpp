// Client::StreamTrials against an event stream played by the test on 127.0.0.1 (port chosen by
// the OS): the SSE grammar (line endings, multi-line data, comments, other events), resuming
// with Last-Event-ID after a dropped connection, the bounds and the non-200 errors.
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "krige/client.hpp"

namespace krige {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// What one connection asked for.
struct Seen {
  std::string target;
  std::string last_event_id;  // "" when not sent
  std::string authorization;
};

// The server side of one connection: gets the socket and the request, writes what it likes and
// returns (the socket is then closed: a dropped stream).
using Script = std::function<void(tcp::socket&, const Seen&, int connection)>;

class ScriptedServer {
 public:
  explicit ScriptedServer(Script script)
      : script_(std::move(script)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    beast::error_code ignored;
    acceptor_.cancel(ignored);
    try {  // wake the blocking accept
      asio::io_context ioc;
      tcp::socket s(ioc);
      s.connect({asio::ip::make_address("127.0.0.1"), port_});
    } catch (...) {
    }
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  const std::atomic<bool>& stopping() const { return stop_; }

 private:
  // One connection at a time: a client streams over one connection and reconnects after it.
  void Loop() {
    for (int connection = 1;; ++connection) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stop_ || ec) return;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      Seen seen{std::string(req.target()), std::string(req["Last-Event-ID"]),
                std::string(req[http::field::authorization])};
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(seen);
      }
      script_(socket, seen, connection);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
    }
  }

  Script script_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

void Send(tcp::socket& socket, const std::string& bytes) {
  beast::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
}

const char kStreamHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

// A chunked head and one chunk of `bytes` (the real server's Beast session sends chunks).
const char kChunkedHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
std::string Chunk(const std::string& bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return size + bytes + "\r\n";
}

std::string TrialJson(std::int64_t seq) {
  return Json{{"id", 100 + seq},
              {"number", static_cast<int>(seq)},
              {"state", seq % 3 == 0 ? "failed" : "completed"},
              {"value", seq * 0.5},
              {"params", {{"x", static_cast<double>(seq)}}},
              {"attempt", 1},
              {"worker", "w1"},
              {"error", seq % 3 == 0 ? "boom " + std::to_string(seq) : ""},
              {"started_at", ""},
              {"finished_at", ""},
              {"seq", seq}}
      .dump();
}

std::string Event(std::int64_t seq) {
  return "id: " + std::to_string(seq) + "\nevent: trial\ndata: " + TrialJson(seq) + "\n\n";
}

// Keeps a stream open with comments until the client leaves (a write fails) or the server
// stops.
void HoldOpen(tcp::socket& socket, const std::atomic<bool>& stopping, bool chunked) {
  for (int i = 0; i < 400 && !stopping; ++i) {
    beast::error_code ec;
    const std::string beat = ": heartbeat\n\n";
    asio::write(socket, asio::buffer(chunked ? Chunk(beat) : beat), ec);
    if (ec) return;
    std::this_thread::sleep_for(20ms);
  }
}

TrialStreamOptions Quick() {
  TrialStreamOptions o;
  o.tick = 20ms;
  o.retry = 20ms;
  o.idle_timeout = 5s;
  return o;
}

TEST(TrialStreamTest, ResumesAfterADropWithLastEventIdAndDeliversEachEventOnce) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen& seen, int connection) {
    if (connection == 1) {
      // The opening position, events 1..4, then half of event 5 and the connection drops.
      Send(s, std::string(kStreamHead) + "id: 0\nretry: 2000\n: experiment 7 after 0\n\n");
      for (int seq = 1; seq <= 4; ++seq) Send(s, Event(seq));
      Send(s, Event(5).substr(0, 30));
      return;
    }
    const std::int64_t from = std::stoll(seen.last_event_id.empty() ? "0" : seen.last_event_id);
    // Chunks cut through lines; CR LF and lone CR line ends; data over two lines; comments;
    // an event of another type; one already delivered event sent again.
    std::string body = "id: " + std::to_string(from) + "\r\n\r\n";
    body += Event(from);  // a resend of the last one delivered: must not be delivered again
    for (std::int64_t seq = from + 1; seq <= 10; ++seq) {
      const std::string json = TrialJson(seq);
      const auto half = json.find(",\"params\"");  // between two members: LF is whitespace
      if (seq % 2 == 0)
        body += ": a comment\r\nid: " + std::to_string(seq) +
                "\r\nevent: trial\r\ndata: " + json.substr(0, half) +
                "\r\ndata:" + json.substr(half) + "\r\n\r\n";
      else
        body += "event: other\rdata: ignored\r\rid: " + std::to_string(seq) +
                "\revent: trial\rdata: " + json + "\r\r";
    }
    Send(s, kChunkedHead);
    for (std::size_t at = 0; at < body.size(); at += 37) Send(s, Chunk(body.substr(at, 37)));
    HoldOpen(s, self->stopping(), /*chunked=*/true);
  });
  self = &server;

  std::vector<std::int64_t> seqs;
  std::vector<TrialEvent> events;
  const Client client(MakeHttpTransport(server.url(), 5s, "secret-token"));
  const std::int64_t last = client.StreamTrials(
      7, std::nullopt,
      [&](const TrialEvent& e) {
        seqs.push_back(e.seq);
        events.push_back(e);
        return e.seq < 10;
      },
      Quick());
  EXPECT_EQ(last, 10);
  EXPECT_THAT(seqs, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  for (const TrialEvent& e : events) {  // each decoded as it was sent, split lines joined
    EXPECT_EQ(e.trial.id, 100 + e.seq);
    EXPECT_EQ(e.trial.number, e.seq);
    EXPECT_EQ(e.trial.experiment_id, 7);
    ASSERT_TRUE(e.trial.value.has_value());
    EXPECT_DOUBLE_EQ(*e.trial.value, e.seq * 0.5);
    EXPECT_EQ(e.trial.state, e.seq % 3 == 0 ? TrialState::kFailed : TrialState::kCompleted);
    EXPECT_EQ(e.trial.error, e.seq % 3 == 0 ? "boom " + std::to_string(e.seq) : "");
  }
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].target, "/api/v1/events?experiment=7");
  EXPECT_EQ(seen[0].last_event_id, "");   // from now
  EXPECT_EQ(seen[1].last_event_id, "4");  // the last whole event of the dropped connection
  EXPECT_EQ(seen[1].authorization, "Bearer secret-token");
}

TEST(TrialStreamTest, TheOpeningPositionIsTheResumePointBeforeAnyEvent) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen& seen, int connection) {
    if (connection == 1) {  // "from now" is 41 here; it drops before any change
      Send(s, std::string(kStreamHead) + "id: 41\nretry: 2000\n\n");
      return;
    }
    Send(s, std::string(kStreamHead) + "id: " + seen.last_event_id + "\n\n" + Event(42));
    HoldOpen(s, self->stopping(), false);
  });
  self = &server;
  std::vector<std::int64_t> seqs;
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  int opens = 0;
  TrialStreamOptions options = Quick();
  options.on_open = [&] {
    ++opens;
    return true;
  };
  client.StreamTrials(
      3, std::nullopt,
      [&](const TrialEvent& e) {
        seqs.push_back(e.seq);
        return false;
      },
      options);
  EXPECT_THAT(seqs, ElementsAre(42));
  EXPECT_EQ(opens, 2);
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].last_event_id, "41");
}

TEST(TrialStreamTest, AGivenPositionIsSentAsLastEventIdAndOlderEventsAreSkipped) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen&, int) {
    Send(s, std::string(kStreamHead) + Event(3) + Event(4) + Event(5));
    HoldOpen(s, self->stopping(), false);
  });
  self = &server;
  std::vector<std::int64_t> seqs;
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  EXPECT_EQ(client.StreamTrials(
                9, 4,
                [&](const TrialEvent& e) {
                  seqs.push_back(e.seq);
                  return false;
                },
                Quick()),
            5);
  EXPECT_THAT(seqs, ElementsAre(5));
  EXPECT_EQ(server.seen().at(0).last_event_id, "4");
}

// A stream from `server` with `options` ends in kPayloadTooLarge saying `what`.
void ExpectTooLarge(ScriptedServer& server, const TrialStreamOptions& options,
                    const std::string& what) {
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  try {
    client.StreamTrials(
        1, std::nullopt, [](const TrialEvent&) { return true; }, options);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPayloadTooLarge);
    EXPECT_THAT(e.what(), HasSubstr(what));
  }
}

TEST(TrialStreamTest, AnOversizedEventIsAnErrorNotAnEndlessRead) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen&, int) {
    Send(s, std::string(kStreamHead) + "id: 0\n\n");
    // Many data lines, each short: only the event's bound can stop them.
    for (int i = 0; i < 200 && !self->stopping(); ++i)
      Send(s, "data: " + std::string(100, 'x') + "\n");
  });
  self = &server;
  TrialStreamOptions options = Quick();
  options.max_event = 4096;
  ExpectTooLarge(server, options, "4096");
}

TEST(TrialStreamTest, AnOversizedLineIsAnError) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen&, int) {
    Send(s, std::string(kStreamHead) + "data: ");
    for (int i = 0; i < 100 && !self->stopping(); ++i) Send(s, std::string(1000, 'y'));
  });
  self = &server;
  TrialStreamOptions options = Quick();
  options.max_line = 10000;
  ExpectTooLarge(server, options, "line longer than 10000");
}

TEST(TrialStreamTest, ANon200AnswerIsAnErrorNamingTheStatus) {
  ScriptedServer server([](tcp::socket& s, const Seen& seen, int) {
    const bool json = seen.target.find("experiment=404") != std::string::npos;
    const std::string body = json ? R"({"error":{"code":"not_found","message":"experiment 404 )"
                                    R"(not found"}})"
                                  : "it broke";
    Send(s, std::string(json ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 500 Internal Server Error") +
                "\r\nContent-Type: " + (json ? "application/json" : "text/plain") +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  const auto call = [&](std::int64_t id) {
    try {
      client.StreamTrials(
          id, std::nullopt, [](const TrialEvent&) { return true; }, Quick());
    } catch (const Error& e) {
      return std::make_pair(e.code(), std::string(e.what()));
    }
    return std::make_pair(ErrorCode::kInvalidArgument, std::string("no exception"));
  };
  const auto not_found = call(404);
  EXPECT_EQ(not_found.first, ErrorCode::kNotFound);
  EXPECT_THAT(not_found.second, HasSubstr("HTTP 404"));
  EXPECT_THAT(not_found.second, HasSubstr("experiment 404 not found"));
  const auto broken = call(5);
  EXPECT_EQ(broken.first, ErrorCode::kInternal);
  EXPECT_THAT(broken.second, HasSubstr("HTTP 500"));
  EXPECT_THAT(broken.second, HasSubstr("it broke"));
  EXPECT_EQ(server.seen().size(), 2u);  // neither retried
}

TEST(TrialStreamTest, A503IsRetriedAndTheStreamThenFollowed) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen&, int connection) {
    if (connection <= 2) {
      const std::string body = R"({"error":{"code":"unavailable","message":"too many streams"}})";
      Send(s, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n" + body);
      return;
    }
    Send(s, std::string(kStreamHead) + "id: 0\n\n" + Event(1));
    HoldOpen(s, self->stopping(), false);
  });
  self = &server;
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  std::vector<std::int64_t> seqs;
  client.StreamTrials(
      1, std::nullopt,
      [&](const TrialEvent& e) {
        seqs.push_back(e.seq);
        return false;
      },
      Quick());
  EXPECT_THAT(seqs, ElementsAre(1));
  EXPECT_EQ(server.seen().size(), 3u);
}

TEST(TrialStreamTest, AServerThatStaysAwayEndsInUnavailableAfterMaxFailures) {
  unsigned short port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const Client client(MakeHttpTransport("http://127.0.0.1:" + std::to_string(port), 2s, ""));
  TrialStreamOptions options = Quick();
  options.max_failures = 3;
  try {
    client.StreamTrials(
        1, std::nullopt, [](const TrialEvent&) { return true; }, options);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
  }
}

TEST(TrialStreamTest, OnTickStopsASilentStreamAndACallbackExceptionPropagates) {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](tcp::socket& s, const Seen&, int connection) {
    Send(s, std::string(kStreamHead) + "id: 0\n\n");
    if (connection == 2) Send(s, Event(1));
    HoldOpen(s, self->stopping(), false);
  });
  self = &server;
  const Client client(MakeHttpTransport(server.url(), 5s, ""));
  TrialStreamOptions options = Quick();
  int ticks = 0;
  options.on_tick = [&] { return ++ticks < 5; };
  EXPECT_EQ(client.StreamTrials(
                1, std::nullopt, [](const TrialEvent&) { return true; }, options),
            0);
  EXPECT_EQ(ticks, 5);
  EXPECT_THROW(
      client.StreamTrials(
          1, std::nullopt,
          [](const TrialEvent&) -> bool { throw std::logic_error("from the callback"); }, Quick()),
      std::logic_error);
}

}  // namespace
}  // namespace krige
