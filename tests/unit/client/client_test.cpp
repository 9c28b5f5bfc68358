// Client against a scripted Transport: request shapes, status/error mapping, cursor following.
#include <deque>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "krige/client.hpp"

namespace krige {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeTransport : public Transport {
 public:
  void Push(int status, Json body) { responses_.push_back({status, body.dump(), {}}); }
  void PushRaw(int status, std::string body) {
    responses_.push_back({status, std::move(body), {}});
  }
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

ExperimentSpec SampleSpec() {
  ExperimentSpec spec;
  spec.name = "demo";
  spec.objective.metric = "accuracy";
  ParamSpec c;
  c.name = "C";
  c.low = 0.01;
  c.high = 10;
  c.log = true;
  spec.space = SearchSpace({c});
  spec.training.dataset = "/data/iris.csv";
  spec.training.model = "logistic_regression";
  return spec;
}

Trial SampleTrial(int number, double value) {
  Trial t;
  t.id = 100 + number;
  t.experiment_id = 7;
  t.number = number;
  t.params = {{"C", 0.5 + number}};
  t.state = TrialState::kCompleted;
  t.value = value;
  t.metrics = {{"accuracy", value}};
  return t;
}

Json ExperimentJson(std::int64_t id, const char* state = "running") {
  Experiment e;
  e.id = id;
  e.spec = SampleSpec();
  e.state = ExperimentStateFromName(state);
  e.counts.completed = 3;
  e.counts.running = 1;
  e.best = SampleTrial(2, 0.97);
  return ToJson(e);
}

struct ClientTest : ::testing::Test {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  Client client{fake};
};

TEST_F(ClientTest, CreateExperimentPostsTheSpecAndDecodesTheAnswer) {
  fake->Push(201, ExperimentJson(7));
  const Experiment e = client.CreateExperiment(SampleSpec());
  EXPECT_EQ(e.id, 7);
  EXPECT_EQ(e.spec.name, "demo");
  EXPECT_EQ(e.counts.completed, 3);
  ASSERT_TRUE(e.best.has_value());
  EXPECT_EQ(e.best->number, 2);
  ASSERT_EQ(fake->requests.size(), 1u);
  EXPECT_EQ(fake->requests[0].method, "POST");
  EXPECT_EQ(fake->requests[0].target, "/api/v1/experiments");
  EXPECT_EQ(SpecFromJson(Json::parse(fake->requests[0].body)).name, "demo");
}

TEST_F(ClientTest, GetExperimentUsesTheId) {
  fake->Push(200, ExperimentJson(42, "completed"));
  const Experiment e = client.GetExperiment(42);
  EXPECT_EQ(e.state, ExperimentState::kCompleted);
  EXPECT_EQ(fake->requests[0].method, "GET");
  EXPECT_EQ(fake->requests[0].target, "/api/v1/experiments/42");
}

TEST_F(ClientTest, ValidationErrorCarriesEveryProblem) {
  fake->Push(400, {{"error",
                    {{"code", "invalid_argument"},
                     {"message", "spec is invalid"},
                     {"field", "space.C.low"},
                     {"problems",
                      {{{"field", "space.C.low"}, {"message", "must be > 0 on a log scale"}},
                       {{"field", "max_trials"}, {"message", "must be >= 1"}}}}}}});
  try {
    client.CreateExperiment(SampleSpec());
    FAIL() << "no exception";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.problems(), ElementsAre(FieldProblem{"space.C.low", "must be > 0 on a log scale"},
                                          FieldProblem{"max_trials", "must be >= 1"}));
  }
}

TEST_F(ClientTest, ErrorCodeComesFromTheBody) {
  fake->Push(404, {{"error", {{"code", "not_found"}, {"message", "no experiment 9"}}}});
  try {
    client.GetExperiment(9);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_STREQ(e.what(), "no experiment 9");
  }
  fake->Push(409, {{"error", {{"code", "failed_precondition"}, {"message", "stopped"}}}});
  try {
    client.GetExperiment(9);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  }
}

TEST_F(ClientTest, NonJsonErrorFallsBackToTheStatus) {
  fake->PushRaw(503, "upstream down");
  try {
    client.GetExperiment(1);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_THAT(e.what(), HasSubstr("503"));
    EXPECT_THAT(e.what(), HasSubstr("upstream down"));
  }
  fake->PushRaw(500, "");
  EXPECT_THROW(
      try { client.GetExperiment(1); } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInternal);
        throw;
      },
      Error);
}

TEST_F(ClientTest, MalformedSuccessBodyIsInternal) {
  fake->PushRaw(200, "{not json");
  try {
    client.GetExperiment(1);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
  }
}

TEST_F(ClientTest, ListTrialsFollowsTheCursor) {
  fake->Push(200, {{"trials", {ToJson(SampleTrial(0, 0.9)), ToJson(SampleTrial(1, 0.8))}},
                   {"next_cursor", "c/1 2"}});
  fake->Push(200, {{"trials", {ToJson(SampleTrial(2, 0.7))}}, {"next_cursor", ""}});
  const auto trials = client.ListTrials(7, TrialSort::kValue);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[2].number, 2);
  ASSERT_EQ(fake->requests.size(), 2u);
  EXPECT_EQ(fake->requests[0].target, "/api/v1/experiments/7/trials?sort=value&limit=100");
  EXPECT_EQ(fake->requests[1].target,
            "/api/v1/experiments/7/trials?sort=value&limit=100&cursor=c%2F1%202");
}

TEST_F(ClientTest, ListTrialsStopsAtTheLimitAndFilters) {
  fake->Push(200, {{"trials", {ToJson(SampleTrial(0, 0.9)), ToJson(SampleTrial(1, 0.8))}},
                   {"next_cursor", "x"}});
  fake->Push(200, {{"trials", {ToJson(SampleTrial(2, 0.7))}}, {"next_cursor", "y"}});
  const auto trials = client.ListTrials(7, TrialSort::kNumberDesc, 3, TrialState::kCompleted);
  EXPECT_EQ(trials.size(), 3u);
  ASSERT_EQ(fake->requests.size(), 2u);
  EXPECT_EQ(fake->requests[0].target,
            "/api/v1/experiments/7/trials?sort=-number&state=completed&limit=3");
  EXPECT_EQ(fake->requests[1].target,
            "/api/v1/experiments/7/trials?sort=-number&state=completed&limit=1&cursor=x");
}

TEST_F(ClientTest, ListExperimentsFollowsTheCursor) {
  fake->Push(200, {{"experiments", {ExperimentJson(3)}}, {"next_cursor", "n"}});
  fake->Push(200, {{"experiments", {ExperimentJson(2), ExperimentJson(1)}}, {"next_cursor", ""}});
  const auto list = client.ListExperiments();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, 3);
  EXPECT_EQ(list[2].id, 1);
  EXPECT_EQ(fake->requests[1].target, "/api/v1/experiments?limit=100&cursor=n");
}

TEST_F(ClientTest, EmptyPageWithCursorEnds) {
  fake->Push(200, {{"experiments", Json::array()}, {"next_cursor", "again"}});
  EXPECT_TRUE(client.ListExperiments().empty());
  EXPECT_EQ(fake->requests.size(), 1u);
}

TEST_F(ClientTest, BestReturnsTheTrial) {
  fake->Push(200, ToJson(SampleTrial(4, 0.99)));
  const auto best = client.Best(7);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->number, 4);
  EXPECT_EQ(fake->requests[0].target, "/api/v1/experiments/7/best");
}

TEST_F(ClientTest, BestIsEmptyOn404ForAnExistingExperiment) {
  fake->Push(404, {{"error", {{"code", "not_found"}, {"message", "no completed trial"}}}});
  fake->Push(200, ExperimentJson(7));
  EXPECT_FALSE(client.Best(7).has_value());
}

TEST_F(ClientTest, BestThrowsForAMissingExperiment) {
  fake->Push(404, {{"error", {{"code", "not_found"}, {"message", "no completed trial"}}}});
  fake->Push(404, {{"error", {{"code", "not_found"}, {"message", "no experiment 7"}}}});
  try {
    client.Best(7);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST_F(ClientTest, HealthyNeverThrows) {
  fake->Push(200, {{"status", "ok"}});
  EXPECT_TRUE(client.Healthy());
  EXPECT_EQ(fake->requests[0].target, "/healthz");
  fake->Push(503, {{"status", "down"}});
  EXPECT_FALSE(client.Healthy());
  EXPECT_FALSE(client.Healthy());  // transport throws kUnavailable
}

TEST_F(ClientTest, TransportErrorsPropagate) {
  try {
    client.GetExperiment(1);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace krige
