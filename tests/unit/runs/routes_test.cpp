// The tracking routes of the route table: each with its role (read for GET and search, write
// for every change), and the {path...} tail capture artifacts use.
#include <gtest/gtest.h>

#include <map>

#include "krige/web/api.hpp"
#include "null_run_service.hpp"

namespace krige::web {
namespace {

TEST(RunRoutesTest, EveryTrackingRouteDeclaresItsRole) {
  testing::NullRunService runs;
  http::Router router;
  RegisterRunsApi(router, runs);
  const std::map<std::string, Role> expected = {
      {"POST /api/v1/runs", Role::kWrite},
      {"POST /api/v1/runs/search", Role::kRead},
      {"GET /api/v1/runs/{id}", Role::kRead},
      {"POST /api/v1/runs/{id}/log", Role::kWrite},
      {"POST /api/v1/runs/{id}/end", Role::kWrite},
      {"GET /api/v1/runs/{id}/metrics/{key}", Role::kRead},
      {"GET /api/v1/runs/{id}/artifacts", Role::kRead},
      {"PUT /api/v1/runs/{id}/artifacts/{path...}", Role::kWrite},
      {"GET /api/v1/runs/{id}/artifacts/{path...}", Role::kRead},
      {"GET /api/v1/tracking/experiments", Role::kRead},
      {"GET /api/v1/tracking/experiments/{id}", Role::kRead},
      {"GET /api/v1/tracking/experiments/{id}/runs.csv", Role::kRead},
      {"POST /api/v1/tracking/experiments/{id}/tags", Role::kWrite},
      {"GET /api/v1/trials/{id}/run", Role::kRead},
  };
  std::size_t seen = 0;
  for (const auto& route : router.Routes()) {
    const std::string key = route.method + " " + route.pattern;
    const auto it = expected.find(key);
    ASSERT_NE(it, expected.end()) << key;
    EXPECT_EQ(route.role, it->second) << key;
    ++seen;
  }
  EXPECT_EQ(seen, expected.size());
}

TEST(RunRoutesTest, ATailCaptureTakesTheRestOfThePath) {
  http::Router router;
  std::string captured;
  router.Add("GET", "/files/{id}/{path...}", Role::kNone, [&](const http::Request& r) {
    captured = r.path_params.at("id") + "|" + r.path_params.at("path");
    return http::Response{};
  });
  router.Add("GET", "/files/{id}/list", Role::kNone, [&](const http::Request&) {
    captured = "list";
    return http::Response{};
  });
  const auto get = [&](const std::string& path) {
    captured.clear();
    http::Request r;
    r.method = "GET";
    r.path = path;
    return router.Dispatch(r).status;
  };
  EXPECT_EQ(get("/files/3/a/b%20c/d.png"), 200);
  EXPECT_EQ(captured, "3|a/b c/d.png");
  EXPECT_EQ(get("/files/3/%2e%2e/x"), 200);
  EXPECT_EQ(captured, "3|../x");  // decoded per segment: the handler sees and refuses ".."
  EXPECT_EQ(get("/files/3//etc/passwd"), 200);
  EXPECT_EQ(captured, "3|/etc/passwd");
  EXPECT_EQ(get("/files/3/list"), 200);
  EXPECT_EQ(captured, "list");  // a literal wins over the tail
  EXPECT_EQ(get("/files/3"), 404);
}

}  // namespace
}  // namespace krige::web
