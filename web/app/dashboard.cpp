#include "krige/web/dashboard.hpp"

#include <stdexcept>

#include "assets.hpp"
#include "krige/embedded.hpp"
#include "krige/http/edge.hpp"

namespace krige {
extern const EmbeddedFile kDashboardAssets[];
extern const std::size_t kDashboardAssets_count;
}  // namespace krige

namespace krige::web {

const std::map<std::string, std::string_view>& DashboardAssets() {
  static const std::map<std::string, std::string_view> assets = [] {
    std::map<std::string, std::string_view> files;
    for (std::size_t i = 0; i < kDashboardAssets_count; ++i)
      files.emplace(kDashboardAssets[i].name,
                    std::string_view(kDashboardAssets[i].text, kDashboardAssets[i].size));
    return files;
  }();
  return assets;
}

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
