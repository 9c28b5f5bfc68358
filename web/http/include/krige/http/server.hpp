// The HTTP/1.1 server: one I/O thread accepts connections and reads/writes messages; the
// Router's handlers run on a separate pool of handler threads (they do blocking database
// work), and each response is posted back to its connection's strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "krige/http/router.hpp"

namespace krige::http {

struct ServerOptions {
  std::string host = "127.0.0.1";    // address to bind
  std::uint16_t port = 0;            // 0: the OS picks; Start() returns the bound port
  int handler_threads = 4;           // threads running the Router's handlers
  std::size_t body_limit = 1 << 20;  // larger request bodies are answered 413, unless their
                                     // route allows more (RouteOptions::body_limit)
  // Host names (besides localhost, 127.0.0.1, [::1], `host` and this machine's name, each with
  // the bound port) that requests may name in their Host header: "name" (any port),
  // "name:port", or "*" for any. Other Host values are refused with 403 (DNS rebinding).
  std::vector<std::string> allowed_hosts;
  // The one origin allowed to call the API from another site's pages (CORS); empty: no CORS
  // headers at all, so browsers keep other sites' scripts out.
  std::string cors_origin;
  // HTTPS: a PEM certificate chain and its private key. Both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Keep-alive connections; 30 s timeout on every read and write (plus 1 s per MiB of body);
// malformed requests get a 400 and oversize bodies a 413, both in the error shape, then the
// connection is closed. Every response carries the security headers (edge.hpp); a request
// whose Host is not one of the server's names gets 403 permission_denied.
//
// Thread-safety: Start() and Stop() from one owning thread. The Router is shared, read-only.
class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<const Router> router);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens without serving yet (connections wait in the backlog); returns the
  // bound port, so a composition root can advertise it before the rest starts. Optional:
  // Start() listens when this was not called. Throws like Start().
  std::uint16_t Listen();

  // Binds and listens (unless Listen() did), and starts the threads; returns the bound port.
  // Throws krige::Error (unavailable) when the address cannot be bound, std::logic_error when
  // already started.
  std::uint16_t Start();

  // Stops accepting, closes connections, waits for running handlers to finish and joins all
  // threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  ServerOptions options_;
  std::shared_ptr<const Router> router_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krige::http
