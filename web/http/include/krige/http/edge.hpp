// What the server does to every request and response before and after the Router: the Host
// check against DNS rebinding, the security headers, and CORS when it is asked for. Pure
// functions over krige::http values, so they are tested without sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/http/router.hpp"

namespace krige::http {

// Scripts, styles and requests only from the server's own origin; no inline script, no
// plugins, no framing. The dashboard needs nothing else.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// Sets X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Content-Security-Policy and
// Referrer-Policy: no-referrer, unless the response set them itself.
void AddSecurityHeaders(Response& response);

// The Host header values a server answers to. A page on another site whose name an attacker
// re-points at 127.0.0.1 (DNS rebinding) sends its own name as Host, so refusing unknown names
// keeps such pages away from a server that listens on a private address.
class HostCheck {
 public:
  // Always allowed, each with `port`: `bound_host` (unless it is a wildcard, 0.0.0.0 or ::),
  // localhost, 127.0.0.1, [::1] and this machine's host name. `extra` adds "name" (any port)
  // or "name:port"; "*" allows every Host (behind a proxy that checks it). Names compare
  // case-insensitively.
  HostCheck(const std::string& bound_host, std::uint16_t port,
            const std::vector<std::string>& extra = {});
  HostCheck() = default;  // allows every Host

  // A request without a Host header (HTTP/1.0) is allowed: browsers always send one.
  bool Allows(const std::string& host_header) const;

 private:
  bool any_ = true;
  std::uint16_t port_ = 0;
  std::vector<std::string> names_with_port_;  // "localhost:8080"
  std::vector<std::string> names_;            // any port
};

// CORS for one origin (krige-server --cors-origin): nothing at all when `origin` is empty.
class Cors {
 public:
  explicit Cors(std::string origin = {}) : origin_(std::move(origin)) {}
  // The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method) from the
  // allowed origin, or nullopt for every other request.
  std::optional<Response> Preflight(const Request& request) const;
  // Access-Control-Allow-Origin (and Vary: Origin) on a response, when an origin is set.
  void AddHeaders(Response& response) const;

 private:
  std::string origin_;
};

}  // namespace krige::http
