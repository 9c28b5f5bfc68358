// krige::Optimize against a scripted REST server (no network, no local slots): what it checks
// before creating anything, how it polls, what the progress callback sees.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "krige/codec.hpp"
#include "krige/optimize.hpp"
#include "krige/spec_builder.hpp"

namespace krige {
namespace {

class FakeTransport : public Transport {
 public:
  void Push(const Experiment& e) { responses_.push_back({200, ToJson(e).dump(), {}}); }
  HttpResponse Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests.push_back(request);
    if (responses_.empty()) throw Error(ErrorCode::kUnavailable, "no scripted response");
    HttpResponse r = responses_.front();
    responses_.pop_front();
    return r;
  }
  std::vector<HttpRequest> requests;

 private:
  std::mutex mu_;
  std::deque<HttpResponse> responses_;
};

const ExperimentSpec& BraninSpec() {
  static const Spec spec = Spec("branin")
                               .Minimize("loss")
                               .Tuner("gp")
                               .MaxTrials(3)
                               .Space(SearchSpace().Float("x", -5, 10))
                               .Function("branin");
  return spec;
}

Objectives Branin() {
  Objectives o;
  o.functions["branin"] = [](const TrialContext&) { return TrialOutput{}; };
  return o;
}

Experiment State(ExperimentState state, int completed, std::optional<double> best = {}) {
  Experiment e;
  e.id = 7;
  e.spec = BraninSpec();
  e.state = state;
  e.counts.completed = completed;
  if (best) {
    Trial t;
    t.id = 70 + completed;
    t.experiment_id = 7;
    t.params = {{"x", 1.5}};
    t.state = TrialState::kCompleted;
    t.value = best;
    e.best = t;
  }
  return e;
}

TEST(Optimize, ObjectivesThatCannotRunTheSpecFailBeforeAnythingIsCreated) {
  auto transport = std::make_shared<FakeTransport>();
  Objectives other;
  other.functions["rosenbrock"] = [](const TrialContext&) { return TrialOutput{}; };
  OptimizeOptions options;
  options.worker.connect = "tcp://127.0.0.1:5555";
  try {
    Optimize(Client(transport), BraninSpec(), other, options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("function:branin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("function:rosenbrock"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(transport->requests.empty());
}

TEST(Optimize, LocalSlotsNeedTheCoordinatorsEndpoint) {
  auto transport = std::make_shared<FakeTransport>();
  try {
    Optimize(Client(transport), BraninSpec(), Branin(), OptimizeOptions{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "worker.connect");
  }
  OptimizeOptions too_many;
  too_many.worker.connect = "tcp://127.0.0.1:5555";
  too_many.local_slots = 100000;
  EXPECT_THROW(Optimize(Client(transport), BraninSpec(), Branin(), too_many), Error);
  EXPECT_TRUE(transport->requests.empty());
}

TEST(Optimize, PollsUntilTheExperimentEndsAndReportsEachChange) {
  auto transport = std::make_shared<FakeTransport>();
  transport->Push(State(ExperimentState::kRunning, 0));         // POST
  transport->Push(State(ExperimentState::kRunning, 0));         // reported: the first look
  transport->Push(State(ExperimentState::kRunning, 1, 4.0));    // reported
  transport->Push(State(ExperimentState::kRunning, 1, 4.0));    // unchanged: not reported
  transport->Push(State(ExperimentState::kPaused, 2, 0.5));     // paused is waited for
  transport->Push(State(ExperimentState::kCompleted, 3, 0.5));  // the end
  OptimizeOptions options;
  options.local_slots = 0;  // remote workers only
  options.poll = std::chrono::milliseconds(1);
  std::vector<Experiment> seen;
  options.progress = [&](const Experiment& e) { seen.push_back(e); };
  const Experiment done = Optimize(Client(transport), BraninSpec(), Branin(), options);

  EXPECT_EQ(done.state, ExperimentState::kCompleted);
  ASSERT_TRUE(done.best && done.best->value);
  EXPECT_EQ(*done.best->value, 0.5);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].counts.completed, 0);
  EXPECT_EQ(*seen[1].best->value, 4.0);
  EXPECT_EQ(seen[2].state, ExperimentState::kPaused);
  EXPECT_EQ(seen[3].state, ExperimentState::kCompleted);
  ASSERT_EQ(transport->requests.size(), 6u);
  EXPECT_EQ(transport->requests[0].method, "POST");
  EXPECT_EQ(transport->requests[0].target, "/api/v1/experiments");
  EXPECT_EQ(ParseJson(transport->requests[0].body), ToJson(BraninSpec()));
  for (std::size_t i = 1; i < transport->requests.size(); ++i)
    EXPECT_EQ(transport->requests[i].target, "/api/v1/experiments/7");
}

TEST(Optimize, AnExceptionFromTheProgressCallbackEndsIt) {
  auto transport = std::make_shared<FakeTransport>();
  transport->Push(State(ExperimentState::kRunning, 0));
  transport->Push(State(ExperimentState::kRunning, 0));
  OptimizeOptions options;
  options.local_slots = 0;
  options.progress = [](const Experiment&) { throw std::runtime_error("enough"); };
  EXPECT_THROW(Optimize(Client(transport), BraninSpec(), Branin(), options), std::runtime_error);
  EXPECT_EQ(transport->requests.size(), 2u);
}

}  // namespace
}  // namespace krige
