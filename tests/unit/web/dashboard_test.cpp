#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "krige/web/dashboard.hpp"

namespace krige::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

http::Response Get(const http::Router& router, const std::string& path) {
  http::Request r;
  r.method = "GET";
  r.path = path;
  return router.Dispatch(r);
}

TEST(DashboardTest, ServesEachAssetWithItsContentType) {
  http::Router router;
  RegisterDashboard(router);
  const http::Response index = Get(router, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(index.body, HasSubstr("<!doctype html>"));
  EXPECT_THAT(index.body, HasSubstr("/app/app.js"));
  EXPECT_THAT(index.body, HasSubstr("/app/style.css"));

  const http::Response js = Get(router, "/app/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("use strict"));

  const http::Response css = Get(router, "/app/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");

  for (const auto* r : {&index, &js, &css}) {
    EXPECT_EQ(r->headers.at("X-Content-Type-Options"), "nosniff");
    EXPECT_THAT(r->headers.at("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  }
  EXPECT_EQ(Get(router, "/app/missing.js").status, 404);
}

TEST(DashboardTest, ScriptNeverUsesInnerHtml) {
  // User strings (names, params) are inserted as text only; see web/app/assets/app.js.
  http::Router router;
  RegisterDashboard(router);
  EXPECT_THAT(Get(router, "/app/app.js").body, Not(HasSubstr("innerHTML")));
  EXPECT_THAT(Get(router, "/app/app.js").body, Not(HasSubstr("insertAdjacentHTML")));
  EXPECT_THAT(Get(router, "/").body, Not(HasSubstr("<script>")));  // no inline script (CSP)
}

}  // namespace
}  // namespace krige::web
