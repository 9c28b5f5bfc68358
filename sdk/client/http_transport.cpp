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

#include <cctype>
#include <cstdlib>
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

  template <class Stream>
  HttpResponse Exchange(Stream& stream, const HttpRequest& request, beast::error_code& ec) {
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
