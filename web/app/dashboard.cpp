#include "krige/web/dashboard.hpp"

#include <stdexcept>

#include "assets.hpp"
#include "krige/http/edge.hpp"

namespace krige::web {
namespace {

http::Handler Serve(const std::string& name, const std::string& content_type) {
  const auto& assets = DashboardAssets();
  const auto it = assets.find(name);
  if (it == assets.end()) throw std::logic_error("dashboard asset not embedded: " + name);
  http::Response response;
  response.content_type = content_type;
  response.body = std::string(it->second);
  // The page only talks to its own origin; no inline script, so a stored name that slipped
  // into markup still could not run.
  response.headers["Content-Security-Policy"] = http::kContentSecurityPolicy;
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Cache-Control"] = "no-cache";
  return [response](const http::Request&) { return response; };
}

}  // namespace

void RegisterDashboard(http::Router& router) {
  // Public: the page must load to show its sign-in form; it holds no data.
  router.Add("GET", "/", Role::kNone, Serve("index.html", "text/html; charset=utf-8"));
  router.Add("GET", "/app/app.js", Role::kNone, Serve("app.js", "text/javascript; charset=utf-8"));
  router.Add("GET", "/app/style.css", Role::kNone, Serve("style.css", "text/css; charset=utf-8"));
}

}  // namespace krige::web
