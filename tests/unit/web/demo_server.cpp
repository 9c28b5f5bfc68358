// A krige HTTP server backed by the in-memory fake service and seeded with hostile names, for
// the browser test (tests/browser/) and for looking at the dashboard by hand:
//   build/bin/web_demo_server [port]   -> prints "listening on 127.0.0.1:PORT", runs until killed.
// With KRIGE_DEMO_TOKEN set, auth is on and that is the one (read) token.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "fake_auth_service.hpp"
#include "fake_dataset_service.hpp"
#include "fake_experiment_service.hpp"
#include "krige/codec.hpp"
#include "krige/http/server.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"

namespace {

krige::ExperimentSpec Spec(const std::string& name) {
  krige::Json j = krige::ParseJson(R"({
    "objective": {"metric": "accuracy"},
    "space": {"C": {"type": "float", "low": 0.001, "high": 1000, "log": true},
              "penalty": {"type": "categorical", "values": ["l1", "l2", "<script>alert(1)</script>"]}},
    "training": {"dataset": "data/breast_cancer.csv", "model": "logistic_regression"}})");
  j["name"] = name;
  return krige::SpecFromJson(j);
}

}  // namespace

int main(int argc, char** argv) {
  using krige::TrialState;
  krige::testing::FakeExperimentService service;
  service.Create(Spec("plain experiment"));
  service.Create(Spec("<img src=x onerror=alert(1)>"));
  const auto hostile = service.Create(Spec("<b>x</b>")).id;
  service.AddTrial(
      hostile, TrialState::kCompleted, 0.91,
      {{"C", 0.5}, {"penalty", std::string("<img src=x onerror=\"window.__pwned=1\">")}});
  service.AddTrial(hostile, TrialState::kCompleted, 0.95,
                   {{"C", 2.0}, {"penalty", std::string("<script>alert(1)</script>")}});
  service.AddTrial(hostile, TrialState::kFailed, std::nullopt, {{"C", 9.0}});
  service.AddTrial(hostile, TrialState::kRunning, std::nullopt, {{"C", 3.0}});

  auto router = std::make_shared<krige::http::Router>();
  krige::testing::FakeDatasetService datasets;
  krige::testing::FakeAuthService auth;
  krige::web::RegisterApi(*router, service, datasets, auth);
  if (const char* token = std::getenv("KRIGE_DEMO_TOKEN"); token && *token) {
    auth.Add(token, krige::Role::kRead, "demo");
    router->SetAuthenticator([&auth](const std::string& t) { return auth.Authenticate(t); });
  }
  krige::web::RegisterDashboard(*router);
  krige::http::ServerOptions options;
  if (argc > 1) options.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  krige::http::Server server(options, router);
  const std::uint16_t port = server.Start();
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  while (true) std::this_thread::sleep_for(std::chrono::seconds(60));
}
