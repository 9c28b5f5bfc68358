#include "krige/http/edge.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "krige/error.hpp"

namespace krige::http {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "[::1]" for an IPv6 literal, the name otherwise.
std::string HostForm(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

// "name:port" -> {"name", "port"}; "[::1]:80" -> {"[::1]", "80"}; "name" -> {"name", ""}.
std::pair<std::string, std::string> SplitHost(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string::npos) return {host, ""};
    const std::string rest = host.substr(close + 1);
    return {host.substr(0, close + 1), rest.size() > 1 && rest[0] == ':' ? rest.substr(1) : ""};
  }
  const auto colon = host.rfind(':');
  if (colon == std::string::npos) return {host, ""};
  return {host.substr(0, colon), host.substr(colon + 1)};
}

void SetIfAbsent(Response& response, const char* name, const char* value) {
  if (!response.headers.count(name)) response.headers[name] = value;
}

}  // namespace

void AddSecurityHeaders(Response& response) {
  SetIfAbsent(response, "X-Content-Type-Options", "nosniff");
  SetIfAbsent(response, "X-Frame-Options", "DENY");
  SetIfAbsent(response, "Content-Security-Policy", kContentSecurityPolicy);
  SetIfAbsent(response, "Referrer-Policy", "no-referrer");
}

HostCheck::HostCheck(const std::string& bound_host, std::uint16_t port,
                     const std::vector<std::string>& extra)
    : any_(false), port_(port) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "[::1]"};
  if (bound_host != "0.0.0.0" && bound_host != "::" && !bound_host.empty())
    names.push_back(HostForm(bound_host));
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0')
    names.push_back(hostname);
  for (const auto& n : names) names_with_port_.push_back(Lower(n) + ":" + std::to_string(port));
  for (const auto& e : extra) {
    if (e == "*") any_ = true;
    if (e.empty()) continue;
    if (SplitHost(e).second.empty())
      names_.push_back(Lower(e));
    else
      names_with_port_.push_back(Lower(e));
  }
}

bool HostCheck::Allows(const std::string& host_header) const {
  if (any_ || host_header.empty()) return true;
  std::string host = Lower(host_header);
  auto [name, port] = SplitHost(host);
  if (port.empty()) host = name + ":80";  // the default port of http
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) return true;
  return std::find(names_with_port_.begin(), names_with_port_.end(), host) !=
         names_with_port_.end();
}

std::optional<Response> Cors::Preflight(const Request& request) const {
  if (origin_.empty() || request.method != "OPTIONS") return std::nullopt;
  const auto origin = request.headers.find("origin");
  if (origin == request.headers.end() || origin->second != origin_ ||
      !request.headers.count("access-control-request-method"))
    return std::nullopt;
  Response response;
  response.status = 204;
  response.content_type = "text/plain";
  response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE";
  response.headers["Access-Control-Allow-Headers"] =
      "Authorization, Content-Type, X-Krige-Capability";
  response.headers["Access-Control-Max-Age"] = "600";
  return response;
}

void Cors::AddHeaders(Response& response) const {
  if (origin_.empty()) return;
  response.headers["Access-Control-Allow-Origin"] = origin_;
  response.headers["Vary"] = "Origin";
}

}  // namespace krige::http
