// Malformed HTTP on a live krige-server, over raw TCP to 127.0.0.1: garbage, oversized and
// truncated bodies, bad JSON, huge and malformed headers, bad paths and query strings, odd
// methods, bad Content-Length and chunking, pipelined garbage, partial requests abandoned
// half-way. Whatever arrives, the server answers with a status below 500 or closes the
// connection, within a bound, and stays healthy. The cases come from a seeded generator; the
// seed is printed (KRIGE_RESTFUZZ_SEED=N replays a run, KRIGE_RESTFUZZ_CASES=N sets its size).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "test_env.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

// How long the server may take, after the client has sent all it will send and half-closed,
// to answer and close. Its own read timeout (30 s) never comes into play: a half-closed
// connection is an end of stream, and every case here half-closes or abandons its socket.
constexpr auto kCloseBound = 10s;
constexpr auto kRunBound = 400s;  // the whole run; a hang ends it long before ctest's timeout

const char* kSpec =
    R"({"name":"restfuzz","objective":{"metric":"accuracy","goal":"maximize"},)"
    R"("tuner":{"name":"random","seed":7},"max_trials":3,"parallelism":1,)"
    R"("space":{"C":{"type":"float","low":0.001,"high":1000,"log":true},)"
    R"("penalty":{"type":"categorical","values":["l1","l2"]}},)"
    R"("training":{"dataset":"data/breast_cancer.csv","model":"logistic_regression"}})";

// One case: bytes written to a fresh connection, in chunks, then a half-close (or, when
// `abandon`, an abrupt close without waiting for anything).
struct Case {
  std::string kind;
  std::vector<std::string> chunks;
  std::chrono::milliseconds pause{0};  // between chunks
  bool abandon = false;
  bool reset = false;     // abandon with RST (SO_LINGER 0) instead of FIN
  int requests = 1;       // request messages in the bytes (counted towards the total)
  int min_answers = 0;    // final (non-1xx) responses the server must send at least
  int max_answers = 100;  // ... and at most
};

struct Outcome {
  bool closed = false;  // the server closed within kCloseBound
  bool send_failed = false;
  std::vector<int> statuses;  // final statuses, in order
  std::string error;          // a response that does not parse
  std::string head;           // the first bytes received, for messages
};

// Parses consecutive HTTP/1.x responses; every krige response carries Content-Length.
void ParseResponses(const std::string& in, Outcome& out) {
  std::size_t at = 0;
  while (at < in.size()) {
    const auto end = in.find("\r\n\r\n", at);
    if (end == std::string::npos) {
      out.error = "truncated response head";
      return;
    }
    const std::string head = in.substr(at, end - at);
    static const std::regex kStatus(R"(^HTTP/1\.[01] ([0-9]{3}) )");
    std::smatch m;
    if (!std::regex_search(head, m, kStatus)) {
      out.error = "bad status line: " + head.substr(0, 80);
      return;
    }
    const int status = std::stoi(m[1]);
    std::size_t length = 0;
    static const std::regex kLength(R"(\r\n[Cc]ontent-[Ll]ength: *([0-9]+))");
    if (std::regex_search(head, m, kLength)) length = std::stoul(m[1]);
    at = end + 4 + length;
    if (at > in.size()) {
      out.error = "truncated response body";
      return;
    }
    if (status >= 200) out.statuses.push_back(status);
  }
}

class Connection {
 public:
  explicit Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect to 127.0.0.1 failed");
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // False when the server stopped reading (closed or reset) before all was sent, which it may
  // do after answering an error; what it answered is still read.
  bool Send(const std::string& bytes, Clock::time_point deadline) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      if (!Wait(POLLOUT, deadline)) return false;
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  void HalfClose() { ::shutdown(fd_, SHUT_WR); }

  void Reset() {
    const linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }

  // Reads until the server closes; false if it has not by `deadline`.
  bool ReadToEnd(std::string& into, Clock::time_point deadline) {
    char buf[16384];
    while (true) {
      if (!Wait(POLLIN, deadline)) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;  // a reset closes too (after an unread body)
      into.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  bool Wait(short events, Clock::time_point deadline) {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  int fd_;
};

Outcome Exchange(std::uint16_t port, const Case& c) {
  Outcome out;
  Connection conn(port);
  if (c.reset) conn.Reset();
  const auto send_deadline = Clock::now() + kCloseBound;
  for (std::size_t i = 0; i < c.chunks.size(); ++i) {
    if (i > 0 && c.pause.count() > 0) std::this_thread::sleep_for(c.pause);
    if (!conn.Send(c.chunks[i], send_deadline)) {
      out.send_failed = true;
      break;
    }
  }
  if (c.abandon) {
    out.closed = true;  // nothing to wait for: the destructor closes
    return out;
  }
  conn.HalfClose();
  std::string in;
  out.closed = conn.ReadToEnd(in, Clock::now() + kCloseBound);
  out.head = in.substr(0, 200);
  ParseResponses(in, out);
  return out;
}

// ---- The generator ------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  Case Next() {
    using Make = Case (Generator::*)();
    static const std::vector<std::pair<const char*, Make>> kinds = {
        {"bad_json", &Generator::BadJson},
        {"garbage_body", &Generator::GarbageBody},
        {"oversized_body", &Generator::OversizedBody},
        {"truncated_body", &Generator::TruncatedBody},
        {"huge_header", &Generator::HugeHeader},
        {"malformed_header", &Generator::MalformedHeader},
        {"bad_path", &Generator::BadPath},
        {"query", &Generator::Query},
        {"method", &Generator::Method},
        {"content_length", &Generator::ContentLength},
        {"chunked", &Generator::Chunked},
        {"pipelined", &Generator::Pipelined},
        {"partial", &Generator::Partial},
        {"request_line", &Generator::RequestLine},
    };
    const auto& [name, make] = kinds[Below(kinds.size())];
    Case c = (this->*make)();
    c.kind = name;
    return c;
  }

 private:
  std::size_t Below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

  std::string Bytes(std::size_t n, bool printable = false) {
    std::string s(n, '\0');
    for (auto& ch : s) ch = static_cast<char>(printable ? 32 + Below(95) : Below(256));
    return s;
  }

  std::string Path() {
    static const std::vector<std::string> paths = {
        "/healthz",
        "/",
        "/app/app.js",
        "/api/v1/experiments",
        "/api/v1/experiments/1",
        "/api/v1/experiments/1/trials",
        "/api/v1/experiments/1/best",
        "/api/v1/trials/1",
        "/api/v1/datasets",
        "/api/v1/datasets/" + std::string(64, 'a'),
        "/api/v1/datasets/" + std::string(64, 'a') + "/info"};
    return Pick(paths);
  }

  // A request with a correct Content-Length.
  static std::string Request(const std::string& method, const std::string& target,
                             const std::string& body, const std::string& extra_headers = "") {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT")
      r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + body;
  }

  static Case Answered(std::string bytes) {
    Case c;
    c.chunks = {std::move(bytes)};
    c.min_answers = c.max_answers = 1;
    return c;
  }

  // A spec damaged in one of many ways: truncated, bytes flipped, junk inserted, a value
  // swapped for a hostile one.
  std::string DamagedSpec() {
    std::string s = kSpec;
    static const std::vector<std::string> junk = {
        "NaN",
        "Infinity",
        "-1e400",
        "1e400",
        "18446744073709551616",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"\xff\xfe\"",
        "\"\xc0\xaf\"",
        "[" + std::string(5000, '[') + "]",
        "{\"a\":" + std::string(3000, '[') + "1" + std::string(3000, ']') + "}",
        "\"" + std::string(100000, 'x') + "\"",
        "null",
        "true",
        "{}",
        "[]",
        ",",
        ":",
        "\"",
        "{",
        "}",
        "\\",
        "\0"s,
        "-",
        "0.0000000000000000000000000001e-400"};
    const int edits = 1 + static_cast<int>(Below(4));
    for (int i = 0; i < edits && !s.empty(); ++i) {
      const std::size_t at = Below(s.size());
      switch (Below(5)) {
        case 0:
          s.resize(at);
          break;
        case 1:
          s[at] = static_cast<char>(Below(256));
          break;
        case 2:
          s.insert(at, Pick(junk));
          break;
        case 3: {  // replace a value after a colon
          const auto colon = s.find(':', at);
          if (colon == std::string::npos) break;
          const auto end = s.find_first_of(",}", colon);
          s.replace(colon + 1, (end == std::string::npos ? s.size() : end) - colon - 1, Pick(junk));
          break;
        }
        default:
          s.insert(at, Bytes(1 + Below(16)));
      }
    }
    return s;
  }

  Case BadJson() {
    static const std::vector<std::string> types = {
        "", "Content-Type: application/json\r\n", "Content-Type: text/plain\r\n",
        "Content-Type: application/json; charset=\xff\r\n"};
    return Answered(Request("POST", "/api/v1/experiments", DamagedSpec(), Pick(types)));
  }

  Case GarbageBody() {
    const std::string target = Chance(0.6) ? "/api/v1/experiments" : "/api/v1/datasets";
    std::string body = Bytes(1 + Below(Chance(0.1) ? 200000 : 2000), Chance(0.5));
    if (target == "/api/v1/datasets" && Chance(0.5)) {
      // Almost a CSV.
      body = "a,b,target\n";
      for (int r = 0, n = static_cast<int>(Below(50)); r < n; ++r)
        body += std::to_string(Below(100)) + "," + (Chance(0.1) ? Bytes(3) : "1") + "," +
                std::to_string(Below(3)) + (Chance(0.05) ? ",extra" : "") + "\n";
    }
    return Answered(Request("POST", target, body));
  }

  // Beyond the 1 MiB limit: either declared (413 before any body is read) or sent.
  Case OversizedBody() {
    if (Chance(0.7)) {
      Case c = Answered("POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                        Pick(std::vector<std::string>{"1048577", "99999999", "1099511627776",
                                                      "18446744073709551615"}) +
                        "\r\n\r\n" + Bytes(Below(2000)));
      return c;
    }
    Case c;
    c.chunks = {
        Request("POST", "/api/v1/experiments", std::string((1 << 20) + 1 + Below(4096), '['))};
    c.max_answers = 1;  // 413; the reset after an unread body may destroy it
    return c;
  }

  Case TruncatedBody() {
    const std::string body = DamagedSpec();
    Case c;
    c.chunks = {"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string(body.size() + 1 + Below(1000)) + "\r\n\r\n" + body};
    c.min_answers = c.max_answers = 0;  // the end of stream comes first: closed, unanswered
    return c;
  }

  Case HugeHeader() {
    const std::size_t n = Pick(std::vector<std::size_t>{8000, 9000, 70000, 1 << 20});
    Case c;
    switch (Below(3)) {
      case 0:
        c.chunks = {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + Bytes(n, true) + "\r\n\r\n"};
        break;
      case 1: {
        std::string h = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        for (std::size_t i = 0; h.size() < n; ++i) h += "X-" + std::to_string(i) + ": v\r\n";
        c.chunks = {h + "\r\n"};
        break;
      }
      default:
        c.chunks = {"GET /" + Bytes(n, true) + " HTTP/1.1\r\nHost: x\r\n\r\n"};
    }
    c.max_answers = 1;  // 400 (header limit) unless the reset after it wins the race
    return c;
  }

  Case MalformedHeader() {
    static const std::vector<std::string> headers = {"NoColon\r\n",
                                                     " Leading: space\r\n",
                                                     "Space : before\r\n",
                                                     "X-Nul: a\0b\r\n"s,
                                                     "X-Bare-CR: a\rb\r\n",
                                                     "X-Fold: a\r\n continued\r\n",
                                                     "\xff\xfe: high\r\n",
                                                     ": empty-name\r\n",
                                                     "X-Ctl: \x01\x02\x7f\r\n",
                                                     "Host: a\r\nHost: b\r\n",
                                                     "Connection: \xff\r\n",
                                                     "Expect: 100-continue\r\n",
                                                     "Expect: 999-bogus\r\n",
                                                     "Transfer-Encoding: gzip\r\n",
                                                     "Content-Type: \r\n",
                                                     "X-LF-only: a\nX-B: b\n",
                                                     "Authorization: Bearer \0\x01\r\n"s,
                                                     "Cookie: " + std::string(4000, ';') + "\r\n"};
    std::string h;
    for (int i = 0, n = 1 + static_cast<int>(Below(3)); i < n; ++i) h += Pick(headers);
    const bool post = Chance(0.5);
    Case c;
    c.chunks = {post ? Request("POST", "/api/v1/experiments", kSpec, h)
                     : Request("GET", Path(), "", h)};
    c.max_answers = 1;  // a 400 for a header that does not parse (100 Continue is not counted)
    return c;
  }

  Case BadPath() {
    static const std::vector<std::string> bad = {"%",
                                                 "%z",
                                                 "%zz",
                                                 "%00",
                                                 "%2e%2e",
                                                 "..",
                                                 "../..",
                                                 "%2F",
                                                 "%ff%fe",
                                                 "\xff",
                                                 "~",
                                                 "-1",
                                                 "0",
                                                 "99999999999999999999",
                                                 "1e3",
                                                 "0x10",
                                                 "1.5",
                                                 "+1",
                                                 " 1",
                                                 "%20",
                                                 "%0d%0a",
                                                 "{id}",
                                                 "*",
                                                 "%c0%af",
                                                 std::string(300, '9'),
                                                 std::string(5000, 'a')};
    std::string target;
    switch (Below(5)) {
      case 0:
        target = "/api/v1/experiments/" + Pick(bad);
        break;
      case 1:
        target = "/api/v1/experiments/" + Pick(bad) + "/" +
                 Pick(std::vector<std::string>{"trials", "best", "x"});
        break;
      case 2:
        target = "/api/v1/trials/" + Pick(bad);
        break;
      case 3:
        target = "/api/v1/datasets/" + Pick(bad) + (Chance(0.5) ? "/info" : "");
        break;
      default:
        target = Pick(std::vector<std::string>{
            "", "*", "//", "/api//v1", "/api/v1/../../etc/passwd", "/./healthz", "/healthz/",
            "/HEALTHZ", "http://x/healthz", "/app/../../../etc/passwd", "/app/%2e%2e/%2e%2e/x",
            "/" + std::string(1, '\0'), "/healthz\0x"s});
    }
    Case c;
    c.chunks = {Request(Chance(0.8) ? "GET" : "POST", target, Chance(0.3) ? kSpec : "")};
    c.max_answers = 1;  // one answer (a malformed target may be a 400 before routing)
    c.min_answers = target.find(' ') == std::string::npos &&
                            target.find('\0') == std::string::npos && !target.empty()
                        ? 1
                        : 0;
    return c;
  }

  Case Query() {
    static const std::vector<std::string> parts = {"limit=-1",
                                                   "limit=0",
                                                   "limit=1e999",
                                                   "limit=99999999999999999999",
                                                   "limit=abc",
                                                   "cursor=",
                                                   "cursor=%zz",
                                                   "cursor=" + std::string(100, 'Z'),
                                                   "cursor=-1",
                                                   "state=bogus",
                                                   "state=%00",
                                                   "sort=;DROP TABLE x",
                                                   "&&&",
                                                   "=",
                                                   "a=b=c",
                                                   "%",
                                                   "%%%",
                                                   "x=%ff%fe",
                                                   "a[]=1",
                                                   "?",
                                                   "#frag",
                                                   "limit=10&limit=20",
                                                   std::string(2000, 'q'),
                                                   "order=desc",
                                                   "after=9223372036854775808"};
    std::string q;
    for (int i = 0, n = 1 + static_cast<int>(Below(4)); i < n; ++i)
      q += (i ? "&" : "") + Pick(parts);
    const std::string path =
        Pick(std::vector<std::string>{"/api/v1/experiments", "/api/v1/experiments/1/trials",
                                      "/api/v1/datasets", "/healthz", "/"});
    return Answered(Request("GET", path + "?" + q, ""));
  }

  Case Method() {
    static const std::vector<std::string> methods = {
        "PUT",  "DELETE", "PATCH", "HEAD",     "OPTIONS",  "TRACE", "CONNECT",
        "BREW", "get",    "Post",  "PROPFIND", "M-SEARCH", "X",     std::string(100, 'M')};
    const std::string m = Pick(methods);
    Case c;
    c.chunks = {Request(m, m == "CONNECT" ? "127.0.0.1:80" : Path(), Chance(0.3) ? kSpec : "")};
    c.min_answers = c.max_answers = 1;  // a 405 or 404 (or 400 for the odd token)
    return c;
  }

  Case ContentLength() {
    static const std::vector<std::string> values = {"abc",
                                                    "-1",
                                                    "",
                                                    "1 2",
                                                    "1,2",
                                                    "0x10",
                                                    "+5",
                                                    " 5",
                                                    "5 ",
                                                    "99999999999999999999999",
                                                    "5\r\nContent-Length: 6",
                                                    "5\r\nContent-Length: 5",
                                                    "1e3",
                                                    "\xff"};
    const std::string v = Pick(values);
    Case c;
    c.chunks = {"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: " + v + "\r\n" +
                (Chance(0.3) ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n" + DamagedSpec()};
    c.max_answers = 2;
    return c;
  }

  Case Chunked() {
    static const std::vector<std::string> bodies = {"zz\r\nabc\r\n0\r\n\r\n",
                                                    "ffffffffffffffffffff\r\nabc\r\n",
                                                    "5\r\nabc\r\n0\r\n\r\n",
                                                    "3;ext=\xff\r\nabc\r\n0\r\n\r\n",
                                                    "-1\r\n\r\n",
                                                    "3\r\nabc",
                                                    "0\r\nTrailer: \0\r\n\r\n"s,
                                                    "100000\r\n" + std::string(1000, 'a'),
                                                    "3\r\n{}]\r\n0\r\n\r\n"};
    const std::string coding = Pick(
        std::vector<std::string>{"chunked", "chunked, chunked", "chunked, gzip", "gzip, chunked",
                                 "Chunked", "gzip", "chunked\r\nContent-Length: 3"});
    Case c;
    c.chunks = {"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                "\r\n\r\n" + Pick(bodies)};
    c.max_answers = 1;
    // Anything but one "chunked" is a 400 and a close (RFC 7230 3.3.3): never two answers,
    // which would mean its body passed for a second request (request smuggling).
    return c;
  }

  // Good requests, then garbage: the good ones are each answered (keep-alive), in order.
  Case Pipelined() {
    Case c;
    std::string bytes;
    const int good = 1 + static_cast<int>(Below(8));
    for (int i = 0; i < good; ++i)
      bytes += Chance(0.5)
                   ? Request("GET",
                             Pick(std::vector<std::string>{"/healthz", "/api/v1/experiments",
                                                           "/api/v1/experiments/1"}),
                             "")
                   : Request("POST", "/api/v1/experiments", DamagedSpec());
    bytes += Chance(0.5) ? Bytes(1 + Below(300)) : Bytes(1 + Below(300), true) + "\r\n\r\n";
    c.chunks = {bytes};
    c.requests = good + 1;
    c.min_answers = good;
    c.max_answers = good + 1;
    return c;
  }

  // A request sent a few bytes at a time, then the socket is dropped half-way (FIN or RST).
  Case Partial() {
    std::string full = Chance(0.5) ? Request("POST", "/api/v1/experiments", kSpec)
                                   : Request("GET", Path(), "", "X-Slow: 1\r\n");
    full.resize(1 + Below(full.size() - 1));
    Case c;
    for (std::size_t at = 0; at < full.size();) {
      const std::size_t n = 1 + Below(40);
      c.chunks.push_back(full.substr(at, n));
      at += n;
    }
    if (c.chunks.size() > 20) c.chunks.resize(20);
    c.pause = std::chrono::milliseconds(Below(3));
    c.abandon = Chance(0.7);
    c.reset = c.abandon && Chance(0.5);
    c.min_answers = c.max_answers = 0;
    return c;
  }

  Case RequestLine() {
    static const std::vector<std::string> lines = {
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET  /  HTTP/1.1\r\n\r\n",
        "\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /healthz HTTP/1.1\n\n",
        "GET\t/healthz\tHTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x02\0\x01\0\x01\xfc\x03\x03"s,
        "GET / HTTP/1.1\r\n",
        "GET / HTTP/01.1\r\n\r\n",
        "GET / HTTP/1.10\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n"};
    Case c;
    c.chunks = {Chance(0.7) ? Pick(lines) : Bytes(1 + Below(500), Chance(0.5))};
    c.max_answers = 1;
    return c;
  }

  std::mt19937_64 rng_;
};

// ---- The test -----------------------------------------------------------------------------

std::uint64_t Seed() {
  if (const char* s = std::getenv("KRIGE_RESTFUZZ_SEED"); s && *s) return std::stoull(s);
  return std::random_device{}();
}

int MaxFailures() {
  if (const char* s = std::getenv("KRIGE_RESTFUZZ_MAX_FAILURES"); s && *s) return std::stoi(s);
  return 20;
}

int Cases() {
  if (const char* s = std::getenv("KRIGE_RESTFUZZ_CASES"); s && *s) return std::stoi(s);
  return 5000;
}

std::optional<int> Healthz(std::uint16_t port) {
  Case c;
  c.chunks = {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"};
  const Outcome o = Exchange(port, c);
  if (!o.closed || o.statuses.size() != 1) return std::nullopt;
  return o.statuses[0];
}

std::string Printable(const std::string& bytes, std::size_t max = 300) {
  std::string out;
  for (unsigned char ch : bytes.substr(0, max)) {
    if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch < 32 || ch > 126) {
      static const char* kHex = "0123456789abcdef";
      out += std::string("\\x") + kHex[ch >> 4] + kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return bytes.size() > max ? out + "... (" + std::to_string(bytes.size()) + " bytes)" : out;
}

TEST(RestFuzzTest, MalformedRequestsNeverGetA5xxOrAHangAndTheServerStaysHealthy) {
  testing::TestDatabase db;
  testing::TempDir dir;
  const std::string log = dir.path() + "/server.log";
  // Auth off: the malformed requests should reach the handlers, not stop at a 401.
  // The cases send "Host: 127.0.0.1" without a port: allowed explicitly.
  auto server =
      testing::StartServer(db.url(), log, testing::Auth::kOff, {"--allowed-hosts", "127.0.0.1"});
  const std::uint16_t port =
      static_cast<std::uint16_t>(std::stoi(server.http.substr(server.http.rfind(':') + 1)));

  // One real experiment, so that /api/v1/experiments/1/... reaches stored data too.
  Case create;
  create.chunks = {"POST /api/v1/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                   std::to_string(std::string(kSpec).size()) + "\r\n\r\n" + kSpec};
  ASSERT_EQ(Exchange(port, create).statuses, std::vector<int>{201});

  const std::uint64_t seed = Seed();
  const int cases = Cases();
  const int kMaxFailures = MaxFailures();
  std::cout << "restfuzz seed: " << seed << " (replay: KRIGE_RESTFUZZ_SEED=" << seed << "), "
            << cases << " cases" << std::endl;
  Generator gen(seed);
  std::map<std::string, int> per_kind;
  std::map<int, int> per_status;
  int requests = 0, failures = 0;
  const auto start = Clock::now();
  for (int i = 0; i < cases; ++i) {
    ASSERT_LT(Clock::now() - start, kRunBound) << "the run took too long at case " << i;
    const Case c = gen.Next();
    const Outcome o = Exchange(port, c);
    ++per_kind[c.kind];
    requests += c.requests;
    for (int s : o.statuses) ++per_status[s];
    std::string bytes;
    for (const auto& chunk : c.chunks) bytes += chunk;
    const auto where = [&] {
      return "case " + std::to_string(i) + " (" + c.kind + "), sent: " + Printable(bytes) +
             "\n  received: " + Printable(o.head);
    };
    bool ok = true;
    for (int s : o.statuses) {
      EXPECT_LT(s, 500) << where();
      ok = ok && s < 500;
    }
    EXPECT_TRUE(o.closed) << "no answer and no close within " << kCloseBound.count() << " s, "
                          << where();
    EXPECT_EQ(o.error, "") << where();
    const int answers = static_cast<int>(o.statuses.size());
    // A reset after an error response with unread bytes may destroy what was sent: only a
    // clean exchange is held to its count.
    if (!o.send_failed) {
      EXPECT_GE(answers, c.min_answers) << where();
      EXPECT_LE(answers, c.max_answers) << where();
      ok = ok && answers >= c.min_answers && answers <= c.max_answers;
    }
    ok = ok && o.closed && o.error.empty();
    if (!ok && ++failures >= kMaxFailures)
      FAIL() << "stopping after " << kMaxFailures << " failing cases";
    if (i % 1000 == 999) {
      ASSERT_EQ(Healthz(port), 200) << "unhealthy after case " << i;
      ASSERT_TRUE(server.process->Running());
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "restfuzz: " << cases << " connections, " << requests << " requests in " << seconds
            << " s; by kind:";
  for (const auto& [kind, n] : per_kind) std::cout << " " << kind << "=" << n;
  std::cout << "; statuses:";
  for (const auto& [status, n] : per_status) std::cout << " " << status << "x" << n;
  std::cout << std::endl;
  EXPECT_GE(requests, 5000);

  EXPECT_EQ(Healthz(port), 200);
  EXPECT_TRUE(server.process->Running());
  const std::string text = server.process->Log();
  EXPECT_EQ(text.find("internal error"), std::string::npos) << text.substr(0, 4000);
  if (HasFailure())
    std::cout << "--- server log (tail)\n"
              << text.substr(text.size() > 8000 ? text.size() - 8000 : 0);
}

}  // namespace
}  // namespace krige
