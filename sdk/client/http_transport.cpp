// The HTTP transport: the only translation unit of the SDK that includes Boost.Beast.
//
// Synchronous from the caller's view, but every step runs as an asynchronous operation on a
// private io_context so that beast::tcp_stream's timeout applies to connect, write and read.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <optional>

#include "connection.hpp"
#include "krige/client.hpp"

namespace krige {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kBodyLimit = 256u << 20;
constexpr std::size_t kErrorBodyLimit = 64u << 10;  // of a streamed request's non-2xx answer

struct BaseUrl {
  std::string text;  // as given, without a trailing slash, for messages
  std::string host;
  std::string port = "80";
  std::string prefix;  // "" or "/something"
  bool tls = false;    // https://
};

BaseUrl ParseBaseUrl(const std::string& url) {
  BaseUrl out;
  out.tls = url.compare(0, 8, "https://") == 0;
  if (out.tls) out.port = "443";
  const std::string scheme = out.tls ? "https://" : "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    throw Error(ErrorCode::kInvalidArgument,
                "server URL must start with http:// or https:// (got \"" + url + "\")", "server");
  out.text = url;
  while (!out.text.empty() && out.text.back() == '/') out.text.pop_back();
  std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    out.prefix = rest.substr(slash);
    while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  }
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos)
      throw Error(ErrorCode::kInvalidArgument, "malformed server URL \"" + url + "\"", "server");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      out.port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  bool digits = !out.port.empty();
  for (char c : out.port) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (out.host.empty() || !digits)
    throw Error(ErrorCode::kInvalidArgument, "malformed server URL \"" + url + "\"", "server");
  return out;
}

// Errors that mean "the server closed the kept-alive connection": worth one reconnect.
bool IsDropped(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected ||
         ec == http::error::partial_message || ec == ssl::error::stream_truncated;
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(BaseUrl url, std::chrono::milliseconds timeout, std::string token,
                const std::string& ca_file)
      : url_(std::move(url)), timeout_(timeout), token_(std::move(token)), ca_file_(ca_file) {
    if (!url_.tls) return;
    tls_.emplace(ssl::context::tls_client);
    tls_->set_verify_mode(ssl::verify_peer);
    try {
      if (ca_file.empty()) {
        tls_->set_default_verify_paths();
      } else {
        tls_->load_verify_file(ca_file);
      }
    } catch (const boost::system::system_error& e) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cannot load the CA certificates " + ca_file + ": " + e.what(), "cacert");
    }
  }

  // Streams over a connection of its own (an HttpTransport made for this one request), so
  // that Send is free meanwhile, also for the handlers.
  HttpResponse Stream(const HttpRequest& request, const StreamHandlers& handlers) override {
    HttpTransport connection(url_, timeout_, token_, ca_file_);
    return connection.StreamOnce(request, handlers);
  }

  std::shared_ptr<Transport> Connection() const {
    return std::make_shared<HttpTransport>(url_, timeout_, token_, ca_file_);
  }

  HttpResponse Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    const bool reused = stream_.has_value() || tls_stream_.has_value();
    if (!reused) Connect();
    beast::error_code ec;
    HttpResponse response = Exchange(request, ec);
    if (ec && reused && IsDropped(ec)) {
      Close();
      Connect();
      response = Exchange(request, ec);
    }
    if (ec) {
      Close();
      throw Unavailable(ec);
    }
    return response;
  }

 private:
  Error Unavailable(const beast::error_code& ec) const {
    std::string what = ec == beast::error::timeout
                           ? "no answer within " + std::to_string(timeout_.count()) + " ms"
                           : ec.message();
    return Error(ErrorCode::kUnavailable, "cannot reach " + url_.text + ": " + what);
  }

  // Runs the io_context until the operation started by `start` has completed.
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  void Connect() {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = Run([&](auto handler) {
      resolver.async_resolve(
          url_.host, url_.port,
          [&endpoints, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
            endpoints = std::move(r);
            handler(e);
          });
    });
    if (ec) throw Unavailable(ec);
    beast::tcp_stream& plain = url_.tls ? beast::get_lowest_layer(tls_stream_.emplace(ioc_, *tls_))
                                        : stream_.emplace(ioc_);
    plain.expires_after(timeout_);
    ec = Run([&](auto handler) { plain.async_connect(endpoints, handler); });
    if (ec) {
      Close();
      throw Unavailable(ec);
    }
    plain.socket().set_option(tcp::no_delay(true), ec);
    if (!url_.tls) return;
    // The certificate must be valid for the host of the URL (a name or an IP address).
    tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
    if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str())) {
      Close();
      throw Error(ErrorCode::kUnavailable, "cannot reach " + url_.text + ": bad TLS server name");
    }
    ec =
        Run([&](auto handler) { tls_stream_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) {
      Close();
      throw Error(ErrorCode::kUnavailable,
                  "cannot reach " + url_.text + ": TLS handshake failed: " + ec.message() +
                      " (a self-signed server needs --cacert FILE or KRIGE_CACERT)");
    }
  }

  void Close() {
    beast::error_code ignored;
    if (stream_) {
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_->socket().close(ignored);
      stream_.reset();
    }
    if (tls_stream_) {
      beast::get_lowest_layer(*tls_stream_).socket().close(ignored);
      tls_stream_.reset();
    }
  }

  HttpResponse Exchange(const HttpRequest& request, beast::error_code& ec) {
    if (tls_stream_) return Exchange(*tls_stream_, request, ec);
    return Exchange(*stream_, request, ec);
  }

  HttpResponse StreamOnce(const HttpRequest& request, const StreamHandlers& handlers) {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    struct Closer {  // whatever way StreamOnce ends, the connection is not reused
      HttpTransport* self;
      ~Closer() { self->Close(); }
    } closer{this};
    if (tls_stream_) return StreamBody(*tls_stream_, request, handlers);
    return StreamBody(*stream_, request, handlers);
  }

  http::request<http::string_body> MakeRequest(const HttpRequest& request) const {
    http::request<http::string_body> req;
    req.method(http::string_to_verb(request.method));
    if (req.method() == http::verb::unknown) req.method_string(request.method);
    const std::string target = url_.prefix + request.target;
    req.target(target.empty() ? "/" : target);
    req.version(11);
    // An IPv6 literal keeps its brackets: servers check the Host header (DNS rebinding).
    const bool v6 = url_.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port);
    req.set(http::field::user_agent, "krige-sdk/0.1");
    req.keep_alive(true);
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() && req.find(http::field::content_type) == req.end())
      req.set(http::field::content_type, "application/json");
    req.body() = request.body;
    req.prepare_payload();
    return req;
  }

  // Reads the body in pieces with no stream timeout, running the io_context `tick` at a time
  // so the handlers' ticks and the idle bound are checked between pieces.
  template <class AsyncStream>
  HttpResponse StreamBody(AsyncStream& stream, const HttpRequest& request,
                          const StreamHandlers& handlers) {
    using Clock = std::chrono::steady_clock;
    auto req = MakeRequest(request);
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(timeout_);
    beast::error_code ec = Run([&](auto handler) { http::async_write(stream, req, handler); });
    if (ec) throw Unavailable(ec);
    http::response_parser<http::buffer_body> parser;
    // A stream has no end; each piece is bounded below. (Not boost::none: Beast 1.74 then
    // refuses any Content-Length, comparing it against the empty optional.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    ec = Run([&](auto handler) { http::async_read_header(stream, buffer_, parser, handler); });
    if (ec) throw Unavailable(ec);
    HttpResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    if (handlers.on_head && !handlers.on_head(out)) return out;
    const bool ok = out.status >= 200 && out.status <= 299;
    const auto tick = std::max(handlers.tick, std::chrono::milliseconds(1));
    const auto idle = handlers.idle_timeout.count() > 0 ? handlers.idle_timeout : timeout_;
    lowest.expires_never();
    auto last_byte = Clock::now();
    auto next_tick = last_byte + tick;
    const auto ticked = [&] {
      const auto now = Clock::now();
      if (now < next_tick) return true;
      next_tick = now + tick;
      return !handlers.on_tick || handlers.on_tick();
    };
    char piece[16384];
    while (!parser.is_done()) {
      parser.get().body().data = piece;
      parser.get().body().size = sizeof piece;
      bool done = false;
      beast::error_code result;
      http::async_read_some(stream, buffer_, parser, [&](beast::error_code e, std::size_t) {
        result = e;
        done = true;
      });
      while (!done) {
        ioc_.restart();
        ioc_.run_for(tick);
        if (done) break;
        if (Clock::now() - last_byte > idle)
          throw Error(ErrorCode::kUnavailable, "cannot reach " + url_.text + ": no data within " +
                                                   std::to_string(idle.count()) + " ms");
        if (!ticked()) return out;
      }
      if (result == http::error::need_buffer) result = {};
      if (result) throw Unavailable(result);  // dropped mid-body (eof, reset, partial message)
      const std::size_t n = sizeof piece - parser.get().body().size;
      if (n > 0) {
        last_byte = Clock::now();
        if (ok) {
          if (handlers.on_data && !handlers.on_data(piece, n)) return out;
        } else {
          out.body.append(piece, std::min(n, kErrorBodyLimit - out.body.size()));
          if (out.body.size() >= kErrorBodyLimit) return out;
        }
      }
      if (!ticked()) return out;
    }
    return out;
  }

  template <class AsyncStream>
  HttpResponse Exchange(AsyncStream& stream, const HttpRequest& request, beast::error_code& ec) {
    auto req = MakeRequest(request);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    ec = Run([&](auto handler) { http::async_write(stream, req, handler); });
    if (ec) return {};

    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    ec = Run([&](auto handler) { http::async_read(stream, buffer_, parser, handler); });
    if (ec) {
      buffer_.clear();
      return {};
    }
    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    if (!res.keep_alive()) Close();
    return out;
  }

  const BaseUrl url_;
  const std::chrono::milliseconds timeout_;
  const std::string token_;
  const std::string ca_file_;
  std::mutex mu_;  // one request at a time over the one connection
  asio::io_context ioc_;
  std::optional<ssl::context> tls_;  // https://
  std::optional<beast::tcp_stream> stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

HttpResponse Transport::Stream(const HttpRequest& request, const StreamHandlers& handlers) {
  HttpResponse response = Send(request);
  if (handlers.on_head && !handlers.on_head(response)) return response;
  if (response.status >= 200 && response.status <= 299) {
    std::string body = std::move(response.body);
    response.body.clear();
    if (handlers.on_data && !body.empty()) handlers.on_data(body.data(), body.size());
  }
  return response;
}

std::shared_ptr<Transport> MakeHttpTransport(const std::string& base_url,
                                             std::chrono::milliseconds timeout,
                                             const std::string& token, const std::string& ca_file) {
  std::string ca = ca_file;
  if (ca.empty())
    if (const char* env = std::getenv("KRIGE_CACERT")) ca = env;
  return std::make_shared<HttpTransport>(ParseBaseUrl(base_url), timeout, token, ca);
}

namespace detail {

std::shared_ptr<Transport> NewConnection(const Transport& transport) {
  const auto* http = dynamic_cast<const HttpTransport*>(&transport);
  return http ? http->Connection() : nullptr;
}

}  // namespace detail

}  // namespace krige
