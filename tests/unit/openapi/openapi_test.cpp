// docs/openapi.yaml against the route table: every route the server registers (RegisterApi,
// RegisterFeedApi, the dashboard's API-less pages aside) is in the document with its method,
// and the role the document names is the route's. The document is read as the server serves
// it (GET /api/v1/openapi.yaml).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "../runs/null_run_service.hpp"
#include "fake_auth_service.hpp"
#include "fake_dataset_service.hpp"
#include "fake_experiment_service.hpp"
#include "krige/service/run_service.hpp"
#include "krige/service/worker_service.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"
#include "krige/web/events.hpp"

namespace krige::web {
namespace {

class EmptyFeed : public service::TrialFeed {
 public:
  service::TrialChanges Changes(std::int64_t, std::int64_t, int, service::ChangeFields) override {
    return {};
  }
  std::int64_t LastSeq(std::int64_t) override { return 0; }
  std::vector<service::TrialSteps> Steps(std::int64_t, int) override { return {}; }
};

class NoWorkers : public service::WorkerService {
 public:
  service::WorkerPage List(const service::WorkerQuery&) override { return {}; }
};

TEST(OpenApiTest, EveryRouteOfTheTableIsDocumentedWithItsRole) {
  testing::FakeExperimentService service;
  testing::FakeDatasetService datasets;
  testing::FakeAuthService auth;
  EmptyFeed feed;
  EventHub events(feed);
  NoWorkers workers;
  http::Router router;
  RegisterApi(router, service, datasets, auth, &workers);
  RegisterMetrics(router, [] { return std::string(); });
  RegisterFeedApi(router, service, feed, events);
  testing::NullRunService runs;
  RegisterRunsApi(router, runs);
  RegisterDashboard(router);

  http::Request get;
  get.method = "GET";
  get.path = "/api/v1/openapi.yaml";
  const http::Response served = router.Dispatch(get);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.content_type, "application/yaml; charset=utf-8");
  const YAML::Node doc = YAML::Load(served.body);
  ASSERT_TRUE(doc["paths"].IsMap());

  int checked = 0;
  for (const auto& route : router.Routes()) {
    if (route.pattern.rfind("/api/", 0) != 0 && route.pattern != "/healthz" &&
        route.pattern != "/metrics")
      continue;
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const YAML::Node path = doc["paths"][route.pattern];
    ASSERT_TRUE(path && path.IsMap()) << route.pattern << " is not in docs/openapi.yaml";
    const YAML::Node op = path[method];
    ASSERT_TRUE(op && op.IsMap()) << route.method << " " << route.pattern << " is not documented";
    ASSERT_TRUE(op["responses"].IsMap()) << route.method << " " << route.pattern;
    const std::string role = op["x-krige-role"].as<std::string>("");
    EXPECT_EQ(role.substr(0, role.find(' ')), std::string(RoleName(route.role)))
        << route.method << " " << route.pattern;
    // Every {name} in the pattern is a declared path parameter.
    for (std::size_t open = route.pattern.find('{'); open != std::string::npos;
         open = route.pattern.find('{', open + 1)) {
      const std::string name =
          route.pattern.substr(open + 1, route.pattern.find('}', open) - open - 1);
      bool declared = false;
      for (const char* where : {"path", "operation"}) {
        const YAML::Node owner = std::string(where) == "path" ? path : op;
        if (!owner["parameters"]) continue;
        const YAML::Node list = owner["parameters"];
        if (!list.IsSequence()) continue;
        for (const auto& p : list) {
          YAML::Node resolved = p;
          if (p["$ref"]) {
            const std::string ref = p["$ref"].as<std::string>();
            resolved = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
          }
          if (resolved["in"].as<std::string>("") == "path" &&
              resolved["name"].as<std::string>("") == name)
            declared = true;
        }
      }
      EXPECT_TRUE(declared) << route.pattern << ": path parameter " << name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 38);
}

}  // namespace
}  // namespace krige::web
