// The only translation unit that includes Beast. Shape of Beast's http_server_async example
// (boost-1.74.0): a listener accepting on the I/O thread, a session per connection; the
// difference is that the request is handed to a thread pool and the response posted back to
// the session's strand, because handlers block on the database.
#include "krige/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "krige/error.hpp"
#include "krige/http/edge.hpp"

namespace krige::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kTimeout = std::chrono::seconds(30);
// After an error response on a connection whose request was not read to the end, keep reading
// (and discarding) for a while before closing: closing with unread data makes the kernel send
// a reset, which can destroy the response before the client reads it.
constexpr auto kLingerTimeout = std::chrono::seconds(5);

struct Shared {
  std::shared_ptr<const Router> router;
  net::thread_pool* pool;
  std::size_t body_limit;
  HostCheck hosts;  // set once the port is bound, before the first accept
  Cors cors;
  std::shared_ptr<ssl::context> tls;  // HTTPS when set
};

Request ToRequest(bhttp::request<bhttp::string_body>&& message) {
  Request request;
  request.method = std::string(message.method_string());
  const std::string target(message.target());
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos)
    request.query = ParseQuery(std::string_view(target).substr(question + 1));
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string& value = request.headers[name];
    value += (value.empty() ? "" : ", ") + std::string(field.value());
  }
  request.body = std::move(message.body());
  return request;
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

template <class Stream>
Stream MakeStream(tcp::socket&& socket, const Shared& shared) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return Stream(std::move(socket), *shared.tls);
  } else {
    return Stream(std::move(socket));
  }
}

// One connection, plain (PlainStream) or HTTPS (TlsStream: a TLS handshake first, and a TLS
// shutdown at the end).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  Session(tcp::socket&& socket, std::shared_ptr<const Shared> shared)
      : stream_(MakeStream<Stream>(std::move(socket), *shared)),
        executor_(stream_.get_executor()),
        shared_(std::move(shared)) {}

  void Run() {
    net::dispatch(executor_, [self = shared_from_this()] {
      if constexpr (kTls) {
        self->lowest().expires_after(kTimeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (!ec) self->Read();  // a failed handshake (plain HTTP, a bad client) just closes
        });
      } else {
        self->Read();
      }
    });
  }

 private:
  // The header first: its route decides how large a body may be (datasets are large, the rest
  // is small). Beast checks a Content-Length against the parser's limit when the header ends,
  // so the header is read under the largest limit of any route and the route's own limit is
  // applied before the body is read.
  void Read() {
    parser_.emplace();
    limit_ = std::max(shared_->body_limit, shared_->router->MaxBodyLimit());
    parser_->body_limit(limit_);
    lowest().expires_after(kTimeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnRead(ec, 0);
    const auto& header = parser_->get();
    // A Transfer-Encoding other than one final "chunked" is refused and the connection closed
    // (RFC 7230 3.3.3): read any other way, its body could pass for a second request.
    if (header.find(bhttp::field::transfer_encoding) != header.end() &&
        (!parser_->chunked() ||
         !beast::iequals(header[bhttp::field::transfer_encoding], "chunked")))
      return WriteError(ErrorCode::kInvalidArgument,
                        "malformed HTTP request: unsupported Transfer-Encoding");
    const std::string target(header.target());
    const std::size_t route_limit = shared_->router->BodyLimit(std::string(header.method_string()),
                                                               target.substr(0, target.find('?')));
    limit_ = route_limit > 0 ? route_limit : shared_->body_limit;
    const auto length = parser_->content_length();
    if (length && *length > limit_) return OnRead(bhttp::error::body_limit, 0);
    parser_->body_limit(limit_);
    // A large body gets time in proportion: at least 1 MiB/s besides the usual timeout.
    lowest().expires_after(kTimeout + std::chrono::seconds(length ? (*length >> 20) : 0));
    if (header.version() == 11 && beast::iequals(header[bhttp::field::expect], "100-continue")) {
      // Clients such as curl hold a large body back (for a second) until told to send it.
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue, sizeof kContinue - 1),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (!ec) self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) {
      return WriteError(ErrorCode::kPayloadTooLarge,
                        "the request body exceeds " + std::to_string(limit_) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return Close();
    if (ec && IsHttpParseError(ec))
      return WriteError(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message());
    if (ec) return;  // timeout (the stream is closed already), reset, or shutdown

    bhttp::request<bhttp::string_body> message = parser_->release();
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    const std::string host(message[bhttp::field::host]);
    if (!shared_->hosts.Allows(host))
      return Write(ErrorToResponse(std::make_exception_ptr(Error(
                       ErrorCode::kPermissionDenied,
                       "Host \"" + host +
                           "\" is not a name of this server (krige-server --allowed-hosts adds "
                           "names)"))),
                   keep_alive, version, false);
    // The handler may block (database work), so it never runs on the I/O thread.
    net::post(*shared_->pool, [self = shared_from_this(), request = ToRequest(std::move(message)),
                               keep_alive, version]() mutable {
      Response response;
      try {
        if (auto preflight = self->shared_->cors.Preflight(request))
          response = std::move(*preflight);
        else
          response = self->shared_->router->Dispatch(std::move(request));
      } catch (...) {
        response = ErrorToResponse(std::current_exception());
      }
      net::post(self->executor_,
                [self, response = std::move(response), keep_alive, version]() mutable {
                  self->Write(std::move(response), keep_alive, version, false);
                });
    });
  }

  void WriteError(ErrorCode code, std::string message) {
    Write(ErrorToResponse(std::make_exception_ptr(Error(code, std::move(message)))), false, 11,
          true);
  }

  void Write(Response response, bool keep_alive, unsigned version, bool linger) {
    if (response.stream && response.status == 200) return WriteStream(std::move(response), version);
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->version(version);
    message->result(static_cast<unsigned>(response.status));
    message->set(bhttp::field::server, "krige");
    message->set(bhttp::field::content_type, response.content_type);
    AddSecurityHeaders(response);
    shared_->cors.AddHeaders(response);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    const std::size_t size = message->body().size();
    response_ = std::move(message);
    lowest().expires_after(kTimeout + std::chrono::seconds(size >> 20));  // >= 1 MiB/s
    bhttp::async_write(stream_, *response_,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this(),
                                                 response_->need_eof(), linger));
  }

  void OnWrite(bool close, bool linger, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) return;
    if (linger) return Linger();
    if (close) return Close();
    Read();
  }

  void Linger() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTimeout);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->lowest().close();
                              self->Linger();
                            });
  }

  void Close() {
    if constexpr (kTls) {
      lowest().expires_after(kTimeout);
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  // ---- streamed responses (server-sent events) ----------------------------------------
  // The header goes first (no Content-Length: the body ends with the connection), then the
  // sink's chunks one write at a time. A read stays pending to see the client go away; no
  // timeout applies (the producer sends heartbeats, a write that fails ends the stream).
  class Sink : public StreamSink {
   public:
    explicit Sink(std::weak_ptr<Session> session) : session_(std::move(session)) {}
    bool Write(std::string bytes) override {
      if (closed_) return false;
      auto session = session_.lock();
      if (!session) {
        closed_ = true;
        return false;
      }
      net::post(session->executor_, [session, bytes = std::move(bytes)]() mutable {
        session->QueueChunk(std::move(bytes));
      });
      return !closed_;
    }
    bool Closed() const override { return closed_ || session_.expired(); }
    void Close() override {
      if (auto session = session_.lock())
        net::post(session->executor_, [session] { session->EndStream(); });
      closed_ = true;
    }
    std::atomic<bool> closed_{false};

   private:
    std::weak_ptr<Session> session_;
  };

  static constexpr std::size_t kMaxQueuedBytes = 4 << 20;  // a client this far behind is cut

  void WriteStream(Response response, unsigned version) {
    auto message = std::make_shared<bhttp::response<bhttp::empty_body>>();
    message->version(version);
    message->result(bhttp::status::ok);
    message->set(bhttp::field::server, "krige");
    message->set(bhttp::field::content_type, response.content_type);
    AddSecurityHeaders(response);
    shared_->cors.AddHeaders(response);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->set(bhttp::field::connection, "close");
    sink_ = std::make_shared<Sink>(this->weak_from_this());
    if (!response.body.empty()) queue_.push_back(std::move(response.body));
    lowest().expires_never();
    writing_ = true;
    bhttp::async_write(stream_, *message,
                       [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                         self->writing_ = false;
                         if (ec) return self->StreamFailed();
                         self->WriteNextChunk();
                       });
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code, std::size_t) {
                              self->StreamFailed();  // the client sent more or went away
                            });
    response.stream(sink_);
  }

  void QueueChunk(std::string bytes) {
    if (!sink_ || stream_closed_) return;
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    if (queued_bytes_ > kMaxQueuedBytes) return StreamFailed();
    if (!writing_) WriteNextChunk();
  }

  void WriteNextChunk() {
    if (queue_.empty()) {
      if (ending_) StreamFailed();
      return;
    }
    writing_ = true;
    net::async_write(stream_, net::buffer(queue_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       self->queued_bytes_ -=
                           std::min(self->queued_bytes_, self->queue_.front().size());
                       self->queue_.pop_front();
                       if (ec) return self->StreamFailed();
                       self->WriteNextChunk();
                     });
  }

  void EndStream() {
    ending_ = true;
    if (!writing_) WriteNextChunk();
  }

  void StreamFailed() {
    if (!sink_ || stream_closed_) return;
    stream_closed_ = true;
    sink_->closed_ = true;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  std::shared_ptr<Sink> sink_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool ending_ = false;
  bool stream_closed_ = false;

  Stream stream_;
  net::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<const Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::size_t limit_ = 0;                                          // of the request being read
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;  // alive while written
  std::array<char, 8192> discard_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, const tcp::endpoint& endpoint,
           std::shared_ptr<const Shared> shared)
      : ioc_(ioc), acceptor_(net::make_strand(ioc)), shared_(std::move(shared)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      std::cerr << "krige http: accept: " << ec.message() << '\n';
    } else {
      if (shared_->tls) {
        std::make_shared<Session<TlsStream>>(std::move(socket), shared_)->Run();
      } else {
        std::make_shared<Session<PlainStream>>(std::move(socket), shared_)->Run();
      }
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const Shared> shared_;
};

}  // namespace

struct Server::Impl {
  // Declaration order is destruction order reversed: the pool goes before the io_context, so
  // abandoned handler tasks release their sessions while the sockets' service still exists.
  net::io_context ioc{1};
  net::thread_pool pool;
  std::shared_ptr<Listener> listener;
  std::thread io_thread;

  explicit Impl(int handler_threads)
      : pool(static_cast<std::size_t>(std::max(1, handler_threads))) {}
};

Server::Server(ServerOptions options, std::shared_ptr<const Router> router)
    : options_(std::move(options)), router_(std::move(router)) {
  if (!router_) throw std::invalid_argument("krige::http::Server needs a router");
}

Server::~Server() {
  Stop();
}

std::uint16_t Server::Listen() {
  if (impl_) {
    if (impl_->io_thread.joinable()) throw std::logic_error("krige::http::Server already started");
    return impl_->listener->port();
  }
  auto impl = std::make_unique<Impl>(options_.handler_threads);
  auto shared = std::make_shared<Shared>(
      Shared{router_, &impl->pool, options_.body_limit, {}, Cors(options_.cors_origin), nullptr});
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      throw Error(ErrorCode::kInvalidArgument, "HTTPS needs both a certificate and its key");
    shared->tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    shared->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    try {
      shared->tls->use_certificate_chain_file(options_.tls_cert_file);
      shared->tls->use_private_key_file(options_.tls_key_file, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw Error(ErrorCode::kInvalidArgument, "cannot load the TLS certificate " +
                                                   options_.tls_cert_file + " or key " +
                                                   options_.tls_key_file + ": " + e.what());
    }
  }
  try {
    const tcp::endpoint endpoint(net::ip::make_address(options_.host), options_.port);
    impl->listener = std::make_shared<Listener>(impl->ioc, endpoint, shared);
    shared->hosts = HostCheck(options_.host, impl->listener->port(), options_.allowed_hosts);
  } catch (const boost::system::system_error& e) {
    throw Error(ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                             std::to_string(options_.port) + ": " + e.what());
  }
  impl_ = std::move(impl);
  return impl_->listener->port();
}

std::uint16_t Server::Start() {
  const std::uint16_t port = Listen();
  impl_->listener->Accept();
  impl_->io_thread = std::thread([ioc = &impl_->ioc] {
    while (true) {
      try {
        ioc->run();
        return;
      } catch (const std::exception& e) {
        std::cerr << "krige http: I/O thread: " << e.what() << '\n';
      }
    }
  });
  return port;
}

void Server::Stop() {
  if (!impl_) return;
  impl_->listener->Close();
  impl_->ioc.stop();
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
  impl_->pool.stop();  // queued handlers are dropped; running ones finish
  impl_->pool.join();
  impl_.reset();
}

}  // namespace krige::http
