// The tracking routes of the route table: each with its role (read for GET and search, write
// for every change), and the {path...} tail capture artifacts use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>

#include "krige/limits.hpp"
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

// Keeps the batch POST .../log decoded.
class LoggedBatch : public testing::NullRunService {
 public:
  void Log(std::int64_t, const service::LogBatch& batch) override { last = batch; }
  service::LogBatch last;
};

struct Logged {
  int status = 0;
  std::string body;
  service::LogBatch batch;
};

Logged PostLog(const std::string& body) {
  LoggedBatch runs;
  http::Router router;
  RegisterRunsApi(router, runs);
  http::Request r;
  r.method = "POST";
  r.path = "/api/v1/runs/7/log";
  r.body = body;
  const http::Response response = router.Dispatch(r);
  return {response.status, response.body, runs.last};
}

std::string Describe(const service::LogBatch& b) {
  std::string out;
  for (const auto& p : b.metrics)
    out += p.key + "=" + (std::isnan(p.value) ? "nan" : std::to_string(p.value)) + "@" +
           std::to_string(p.step) + "/" + std::to_string(p.timestamp) + " ";
  for (const auto& [k, v] : b.params) out += "param " + k + "=" + v + " ";
  for (const auto& [k, v] : b.tags) out += "tag " + k + "=" + v + " ";
  return out;
}

// The batch shape the SDK sends is read by a scanner of its own (no JSON document); any other
// spelling goes through the general decoder. Both must give the same batch, and a bad batch
// is a 400 naming each problem whichever way it came.
TEST(RunRoutesTest, ALogBatchDecodesTheSameWhicheverDecoderReadsIt) {
  const std::string sdk =
      R"({"metrics":[{"key":"loss","value":0.5,"step":1,"timestamp":1700000000000},)"
      R"({"key":"loss","value":"NaN","step":2,"timestamp":5},)"
      R"({"key":"a/b c","value":-1.5e-3,"step":0,"timestamp":0},)"
      R"({"key":"big","value":12345678901234567890,"step":9007199254740992,"timestamp":3}],)"
      R"("params":[{"key":"lr","value":"0.1"}],"tags":{"t":"x"}})";
  const std::string other =
      "{ \"tags\": {\"t\": \"x\"},\n \"metrics\": [ {\"key\": \"lo\\u0073s\", \"value\": 5e-1, "
      "\"step\": 1.0, \"timestamp\": 1700000000000},\n"
      "{\"timestamp\": 5, \"step\": 2, \"value\": \"NaN\", \"key\": \"loss\"},"
      "{\"key\": \"a/b c\", \"value\": -0.0015, \"step\": 0, \"timestamp\": 0, \"note\": 1},"
      "{\"key\": \"big\", \"value\": 1.2345678901234567890e19, \"step\": 9007199254740992, "
      "\"timestamp\": 3}],\n \"params\": {\"lr\": \"0.1\"} }";
  const Logged a = PostLog(sdk), b = PostLog(other);
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(Describe(a.batch),
            "loss=0.500000@1/1700000000000 loss=nan@2/5 a/b c=-0.001500@0/0 "
            "big=12345678901234567168.000000@9007199254740992/3 param lr=0.1 tag t=x ");
  EXPECT_EQ(Describe(a.batch), Describe(b.batch));
  EXPECT_EQ(a.batch.metrics[2].value, -1.5e-3);  // exactly: the same double either way
  EXPECT_EQ(a.batch.metrics[2].value, b.batch.metrics[2].value);

  // No timestamp: the server's clock.
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const Logged c = PostLog(R"({"metrics":[{"key":"x","value":1,"step":3}]})");
  ASSERT_EQ(c.status, 200) << c.body;
  ASSERT_EQ(c.batch.metrics.size(), 1u);
  EXPECT_GE(c.batch.metrics[0].timestamp, now);
  EXPECT_EQ(c.batch.metrics[0].step, 3);

  // Problems, each named.
  const Logged bad = PostLog(R"({"metrics":[{"key":"ok","value":1,"step":0,"timestamp":1},)"
                             R"({"key":"loss","value":"high","step":0,"timestamp":1},)"
                             R"({"key":"loss","value":1,"step":-1,"timestamp":1},{"value":2}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, ::testing::HasSubstr("metrics[1].value"));
  EXPECT_THAT(bad.body, ::testing::HasSubstr("metrics[2].step"));
  EXPECT_THAT(bad.body, ::testing::HasSubstr("metrics[3].key"));
  EXPECT_THAT(bad.body, ::testing::Not(::testing::HasSubstr("metrics[0]")));
  EXPECT_EQ(PostLog(R"({"metrics":[]} x)").status, 400);
  EXPECT_EQ(PostLog(R"({"metrics":[{"key":"a","value":1,"step":0,"timestamp":1},]})").status, 400);
  EXPECT_EQ(PostLog(R"({"metrics":[{"key":"a","value":01,"step":0}]})").status, 400);
  EXPECT_EQ(PostLog(R"({"metrics":[{"key":"a","value":1}]})").status, 400);
  std::string many = R"({"metrics":[)";
  for (std::size_t i = 0; i <= limits::kLogBatchMetrics; ++i)
    many += std::string(i ? "," : "") + R"({"key":"k","value":1,"step":)" + std::to_string(i) + "}";
  many += "]}";
  const Logged too_many = PostLog(many);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.body, ::testing::HasSubstr("at most"));
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
