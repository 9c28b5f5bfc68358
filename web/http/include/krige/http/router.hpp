// krige's HTTP vocabulary: plain request/response values, a route table, and the one mapping
// from a failure to an HTTP error response. No Beast type appears here; the server
// (server.hpp) converts at its edge.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace krige::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // as sent, without the query string; decoded per segment by the Router
  std::map<std::string, std::string> query;    // percent-decoded; a repeated key keeps the last
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by Router::Dispatch: {id} -> "42"
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // besides Content-Type / Content-Length
};

// Runs on a handler thread (never the I/O thread), so it may block. Throws krige::Error (or
// anything else) to fail; the Router turns the exception into a response via ErrorToResponse.
using Handler = std::function<Response(const Request&)>;

// Per-route settings.
struct RouteOptions {
  // The largest request body this route accepts; 0: the server's default
  // (ServerOptions::body_limit). Larger bodies are answered 413 before they are read.
  std::size_t body_limit = 0;
};

// The route table. Add() every route before the server starts; Dispatch() is then const and
// safe to call from many threads at once.
class Router {
 public:
  // `pattern` is a path whose segments are literals or `{name}` captures
  // ("/api/v1/experiments/{id}/trials"). A capture matches one non-empty segment. Literal
  // segments win over captures when both match. Adding the same method+pattern twice throws
  // std::logic_error.
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  // The body limit of the route `method` `path` would be dispatched to; 0 when it has none of
  // its own (or no route matches). Lets the server read large bodies for some routes only.
  std::size_t BodyLimit(const std::string& method, const std::string& path) const;
  // The largest body limit of any route (0 when none has one).
  std::size_t MaxBodyLimit() const;

  // 404 for an unknown path, 405 (with an Allow header) when the path exists but not for this
  // method; exceptions from the handler become ErrorToResponse(). Never throws.
  Response Dispatch(Request request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" for a capture
    Handler handler;
    RouteOptions options;
  };
  // The best route for the method and decoded segments; `allowed` collects the methods of
  // routes whose path matches. Fills `captures` from the chosen route.
  const Route* Match(const std::string& method, const std::vector<std::string>& segments,
                     std::vector<bool>& captures, std::vector<std::string>* allowed) const;
  std::vector<Route> routes_;
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
