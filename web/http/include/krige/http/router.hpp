// krige's HTTP vocabulary: plain request/response values, a route table, and the one mapping
// from a failure to an HTTP error response. No Beast type appears here; the server
// (server.hpp) converts at its edge.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krige/role.hpp"

namespace krige::http {

// Who sent a request, as Router::Dispatch found out from its bearer token.
struct Caller {
  bool authenticated = false;  // a known, unrevoked token (always true with auth off)
  Role role = Role::kNone;     // that token's role (kAdmin with auth off)
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // as sent, without the query string; decoded per segment by the Router
  std::map<std::string, std::string> query;    // percent-decoded; a repeated key keeps the last
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by Router::Dispatch: {id} -> "42"
  Caller caller;                                   // filled by Router::Dispatch
};

// Throws Error(kUnauthenticated) when the request has no valid token, Error(kPermissionDenied)
// when its role is below `role`. For a handler whose role depends on the request (creating an
// experiment with `training.kind: command` needs admin); the route's own role is checked
// before the handler runs.
void RequireRole(const Request& request, Role role);

// The body of a streamed response (server-sent events), written by a producer on any thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues bytes for the client; false once the stream is closed (the client went away, a
  // write failed, too much is queued, or the server stops): then drop the sink.
  virtual bool Write(std::string bytes) = 0;
  virtual bool Closed() const = 0;
  // Ends the stream (the connection is closed once the queued bytes are written).
  virtual void Close() = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // besides Content-Type / Content-Length
  // A streamed response: when set, the server writes the status and headers without a
  // Content-Length (the body ends when the connection closes), then `body`, then calls
  // `stream` once, on the I/O thread (so it must not block), with the sink for the rest.
  std::function<void(std::shared_ptr<StreamSink>)> stream;
};

// Runs on a handler thread (never the I/O thread), so it may block. Throws krige::Error (or
// anything else) to fail; the Router turns the exception into a response via ErrorToResponse.
using Handler = std::function<Response(const Request&)>;

// Checks a request's capability for a route (e.g. a dataset download a worker was granted):
// nullopt when the request carries none, true for a valid one, false for a wrong or expired
// one (answered 403). Runs on a handler thread, after path_params are filled.
using Capability = std::function<std::optional<bool>(const Request&)>;

// Per-route settings.
struct RouteOptions {
  // The largest request body this route accepts; 0: the server's default
  // (ServerOptions::body_limit). Larger bodies are answered 413 before they are read.
  std::size_t body_limit = 0;
  // Another way in besides a token with the route's role (none: only the token).
  Capability capability;
};

// The role of the bearer token `token` (the text after "Authorization: Bearer "), or nullopt
// when it is unknown or revoked. May block (it runs on handler threads, may ask the
// database); may throw krige::Error (kUnavailable becomes a 503).
using Authenticator = std::function<std::optional<Role>(const std::string& token)>;

// A registered route, for listing the table (tests walk it to check every route's role).
struct RouteInfo {
  std::string method;
  std::string pattern;
  Role role = Role::kNone;
  bool has_capability = false;
};

// The route table. Add() every route (and SetAuthenticator) before the server starts;
// Dispatch() is then const and safe to call from many threads at once.
//
// Access: every route declares the role it needs. Role::kNone routes are public; for the
// others Dispatch reads "Authorization: Bearer <token>" and asks the Authenticator: no token,
// or one it does not know, is 401 unauthenticated (with WWW-Authenticate: Bearer); a token
// whose role is below the route's is 403 permission_denied. A route's capability, when the
// request carries one, is the alternative to the token (valid: served; wrong: 403).
class Router {
 public:
  // `pattern` is a path whose segments are literals or `{name}` captures
  // ("/api/v1/experiments/{id}/trials"). A capture matches one non-empty segment. Literal
  // segments win over captures when both match. A last segment `{name...}` captures the rest
  // of the path, one or more segments, joined by '/' after each is percent-decoded. `role` is what
  // a caller needs (Role::kNone: public); there is no default, so no route is registered without
  // deciding. Adding the same method+pattern twice throws std::logic_error.
  void Add(std::string method, std::string pattern, Role role, Handler handler,
           RouteOptions options = {});

  // Turns authentication on. Without an authenticator (krige-server --auth off) every request
  // is served as an authenticated admin, token or not.
  void SetAuthenticator(Authenticator authenticator);
  bool authenticates() const { return static_cast<bool>(authenticator_); }

  // Every route, in the order added.
  std::vector<RouteInfo> Routes() const;

  // The body limit of the route `method` `path` would be dispatched to; 0 when it has none of
  // its own (or no route matches). Lets the server read large bodies for some routes only.
  std::size_t BodyLimit(const std::string& method, const std::string& path) const;
  // The largest body limit of any route (0 when none has one).
  std::size_t MaxBodyLimit() const;

  // 404 for an unknown path, 405 (with an Allow header) when the path exists but not for this
  // method; exceptions from the handler become ErrorToResponse(). Never throws.
  Response Dispatch(Request request) const;
  // Told of every dispatched request: its method, the pattern of the route it went to ("(no
  // route)" for a 404/405), the status, and the seconds from dispatch to response. Set before
  // the server starts; called on handler threads, so it must be thread-safe and must not throw.
  using Observer = std::function<void(const std::string& method, const std::string& route,
                                      int status, double seconds)>;
  void SetObserver(Observer observer);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" for a capture
    std::string pattern;
    Role role;
    Handler handler;
    RouteOptions options;
  };
  // The caller of `request` per its Authorization header.
  Caller Authenticate(const Request& request) const;
  // The best route for the method and decoded segments; `allowed` collects the methods of
  // routes whose path matches. Fills `captures` from the chosen route.
  const Route* Match(const std::string& method, const std::vector<std::string>& segments,
                     std::vector<bool>& captures, std::vector<std::string>* allowed) const;
  Response Serve(Request request, const Route*& matched) const;
  std::vector<Route> routes_;
  Authenticator authenticator_;
  Observer observer_;
};

// THE mapping from a failure to a response with the error shape
//   {"error":{"code":"invalid_argument","message":"...","field":"space.C.low",
//             "problems":[{"field":...,"message":...}, ...]}}
// "field" only when the error names one; "problems" only for krige::ValidationError.
// invalid_argument 400, unauthenticated 401, permission_denied 403, not_found 404,
// already_exists / failed_precondition 409, payload_too_large 413, unavailable 503; anything
// else (including krige's internal code and non-krige exceptions) is 500 "internal error",
// with the original message logged to stderr, never sent.
Response ErrorToResponse(std::exception_ptr error);

// An error-shaped response for a status no krige::ErrorCode names (405 method_not_allowed).
Response ErrorResponse(int status, std::string_view code, std::string_view message);

// Percent-decoding of one URL component; with `plus_is_space` (query strings) '+' is ' '.
// Malformed escapes ("%zz", a trailing "%") are kept literally.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&flag" -> {a:1, b:"x y", flag:""}. Keys and values are percent-decoded.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace krige::http
