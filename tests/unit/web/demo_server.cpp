// A krige HTTP server backed by the in-memory fake service and seeded with hostile names, for
// the browser test (tests/browser/) and for looking at the dashboard by hand:
//   build/bin/web_demo_server [port]   -> prints "listening on 127.0.0.1:PORT", runs until killed.
// With KRIGE_DEMO_TOKEN set, auth is on and that is the one (read) token.
#include <algorithm>
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
#include "krige/web/events.hpp"

namespace {

// The trial feed over the fake service: a trial's id stands for its change sequence.
class DemoFeed : public krige::service::TrialFeed {
 public:
  explicit DemoFeed(krige::service::ExperimentService& service) : service_(service) {}
  krige::service::TrialChanges Changes(std::int64_t experiment_id, std::int64_t after,
                                       int limit) override {
    krige::service::TrialChanges out;
    for (const auto& t : All(experiment_id)) {
      if (t.id <= after) continue;
      if (static_cast<int>(out.rows.size()) == limit) {
        out.more = true;
        break;
      }
      krige::service::TrialRow r;
      r.id = t.id;
      r.number = t.number;
      r.state = t.state;
      r.value = t.value;
      r.params_json = krige::ToJson(t.params).dump();
      r.attempt = t.attempt;
      r.worker = t.worker;
      r.error = t.error;
      r.seq = t.id;
      out.rows.push_back(std::move(r));
    }
    return out;
  }
  std::int64_t LastSeq(std::int64_t experiment_id) override {
    std::int64_t last = 0;
    for (const auto& t : All(experiment_id)) last = std::max(last, t.id);
    return last;
  }
  std::vector<krige::service::TrialSteps> Steps(std::int64_t experiment_id, int) override {
    std::vector<krige::service::TrialSteps> out;
    for (const auto& t : All(experiment_id))
      if (!t.steps.empty()) out.push_back({t.id, t.number, t.state, t.steps});
    return out;
  }

 private:
  std::vector<krige::Trial> All(std::int64_t experiment_id) {
    krige::service::TrialQuery q;
    q.limit = 1000;
    auto trials = service_.Trials(experiment_id, q).trials;
    std::sort(trials.begin(), trials.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    return trials;
  }
  krige::service::ExperimentService& service_;
};

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
  DemoFeed feed(service);
  krige::web::EventHub events(feed);
  krige::web::RegisterFeedApi(*router, service, feed, events);
  krige::http::ServerOptions options;
  if (argc > 1) options.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  krige::http::Server server(options, router);
  const std::uint16_t port = server.Start();
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  while (true) std::this_thread::sleep_for(std::chrono::seconds(60));
}
