#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "krige/error.hpp"
#include "krige/http/router.hpp"

namespace krige::http {
namespace {

// "/a/b/" -> {"a", "b", ""}; "/" and "" -> {}.
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  while (true) {
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsCapture(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "{name...}": the rest of the path (one or more segments), as the last segment of a pattern.
bool IsTail(const std::vector<std::string>& pattern) {
  if (pattern.empty()) return false;
  const std::string& last = pattern.back();
  return IsCapture(last) && last.size() > 5 && last.compare(last.size() - 4, 4, "...}") == 0;
}

// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235); "" for anything else.
std::string BearerToken(const std::string& authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return "";
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return "";
  std::size_t begin = kScheme.size();
  while (begin < authorization.size() && authorization[begin] == ' ') ++begin;
  std::size_t end = authorization.size();
  while (end > begin && authorization[end - 1] == ' ') --end;
  return authorization.substr(begin, end - begin);
}

Response Unauthenticated(const std::string& message) {
  Response response =
      ErrorToResponse(std::make_exception_ptr(Error(ErrorCode::kUnauthenticated, message)));
  response.headers["WWW-Authenticate"] = "Bearer realm=\"krige\"";
  return response;
}

}  // namespace

void RequireRole(const Request& request, Role role) {
  if (role == Role::kNone) return;
  if (!request.caller.authenticated)
    throw Error(ErrorCode::kUnauthenticated,
                "this request needs a token (Authorization: Bearer <token>)");
  if (request.caller.role < role)
    throw Error(ErrorCode::kPermissionDenied,
                "this request needs the " + std::string(RoleName(role)) + " role; the token has " +
                    std::string(RoleName(request.caller.role)));
}

void Router::Add(std::string method, std::string pattern, Role role, Handler handler,
                 RouteOptions options) {
  Route route{std::move(method),  SplitPath(pattern), pattern, role,
              std::move(handler), std::move(options)};
  for (const auto& r : routes_)
    if (r.method == route.method && r.segments == route.segments)
      throw std::logic_error("route added twice: " + route.method + " " + pattern);
  routes_.push_back(std::move(route));
}

void Router::SetAuthenticator(Authenticator authenticator) {
  authenticator_ = std::move(authenticator);
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_)
    out.push_back({r.method, r.pattern, r.role, static_cast<bool>(r.options.capability)});
  return out;
}

Caller Router::Authenticate(const Request& request) const {
  if (!authenticator_) return {true, Role::kAdmin};
  const auto header = request.headers.find("authorization");
  if (header == request.headers.end()) return {};
  const std::string token = BearerToken(header->second);
  if (token.empty()) return {};
  const std::optional<Role> role = authenticator_(token);
  if (!role) return {};
  return {true, *role};
}

const Router::Route* Router::Match(const std::string& method,
                                   const std::vector<std::string>& segments,
                                   std::vector<bool>& best_shape,
                                   std::vector<std::string>* allowed) const {
  // best_shape: the capture flags of the best route so far; literal (false) sorts first, so a
  // literal segment wins over a capture.
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    const bool tail = IsTail(route.segments);
    if (tail ? segments.size() < route.segments.size() : route.segments.size() != segments.size())
      continue;
    std::vector<bool> shape(segments.size());
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (tail && i + 1 >= route.segments.size()) {
        shape[i] = true;  // the tail takes every segment left, empty ones too (its handler checks)
        continue;
      }
      shape[i] = IsCapture(route.segments[i]);
      match = shape[i] ? !segments[i].empty() : route.segments[i] == segments[i];
    }
    if (!match) continue;
    if (route.method != method) {
      if (allowed) allowed->push_back(route.method);
      continue;
    }
    if (best == nullptr || shape < best_shape) {
      best = &route;
      best_shape = std::move(shape);
    }
  }
  return best;
}

std::size_t Router::BodyLimit(const std::string& method, const std::string& path) const {
  std::vector<std::string> segments = SplitPath(path);
  for (auto& s : segments) s = PercentDecode(s, false);
  std::vector<bool> shape;
  const Route* route = Match(method, segments, shape, nullptr);
  return route ? route->options.body_limit : 0;
}

std::size_t Router::MaxBodyLimit() const {
  std::size_t limit = 0;
  for (const auto& route : routes_) limit = std::max(limit, route.options.body_limit);
  return limit;
}

Response Router::Dispatch(Request request) const {
  if (!observer_) {
    const Route* matched = nullptr;
    return Serve(std::move(request), matched);
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string method = request.method;
  const Route* matched = nullptr;
  Response response = Serve(std::move(request), matched);
  observer_(method, matched ? matched->pattern : std::string("(no route)"), response.status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

void Router::SetObserver(Observer observer) {
  observer_ = std::move(observer);
}

Response Router::Serve(Request request, const Route*& matched) const {
  std::vector<std::string> segments = SplitPath(request.path);
  for (auto& s : segments) s = PercentDecode(s, false);

  std::vector<bool> best_shape;
  std::vector<std::string> allowed;
  const Route* best = Match(request.method, segments, best_shape, &allowed);

  if (best == nullptr && allowed.empty())
    return ErrorToResponse(std::make_exception_ptr(
        Error(ErrorCode::kNotFound, "no route for " + request.method + " " + request.path)));
  if (best == nullptr) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response response = ErrorResponse(405, "method_not_allowed",
                                      request.method + " is not allowed on " + request.path);
    response.headers["Allow"] = allow;
    return response;
  }

  matched = best;
  const bool tail = IsTail(best->segments);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (tail && i + 1 >= best->segments.size()) {
      const std::string& last = best->segments.back();
      std::string& value = request.path_params[last.substr(1, last.size() - 5)];
      value += (i + 1 > best->segments.size() ? "/" : "") + segments[i];
    } else if (best_shape[i]) {
      request.path_params[best->segments[i].substr(1, best->segments[i].size() - 2)] = segments[i];
    }
  }
  try {
    if (best->role != Role::kNone) {
      request.caller = Authenticate(request);
      if (!request.caller.authenticated || request.caller.role < best->role) {
        // The capability is the alternative to a token that does not suffice.
        const std::optional<bool> granted =
            best->options.capability ? best->options.capability(request) : std::nullopt;
        if (granted == false)
          throw Error(ErrorCode::kPermissionDenied,
                      "the capability is not valid for " + request.path + " (wrong or expired)");
        if (!granted) {
          if (!request.caller.authenticated)
            return Unauthenticated(
                request.headers.count("authorization")
                    ? "the token is not known (or was revoked)"
                    : "this request needs a token (Authorization: Bearer <token>)");
          RequireRole(request, best->role);  // throws permission_denied
        }
      }
    } else if (!authenticator_) {
      request.caller = {true, Role::kAdmin};
    }
    return best->handler(request);
  } catch (...) {
    return ErrorToResponse(std::current_exception());
  }
}

}  // namespace krige::http
