#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_auth_service.hpp"
#include "fake_dataset_service.hpp"
#include "fake_experiment_service.hpp"
#include "krige/codec.hpp"
#include "krige/sha256.hpp"
#include "krige/web/api.hpp"
#include "krige/web/dashboard.hpp"

namespace krige::web {
namespace {

const char* kGoodSpec = R"({
  "name": "logistic on breast cancer",
  "objective": {"metric": "accuracy", "goal": "maximize"},
  "tuner": {"name": "random", "seed": 7},
  "max_trials": 30,
  "space": {
    "C": {"type": "float", "low": 0.001, "high": 1000, "log": true},
    "penalty": {"type": "categorical", "values": ["l1", "l2"]}
  },
  "training": {"dataset": "data/breast_cancer.csv", "model": "logistic_regression"}
})";

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() { RegisterApi(router_, service_, datasets_, auth_); }

  http::Response Call(std::string method, std::string path,
                      std::map<std::string, std::string> query = {}, std::string body = {}) {
    http::Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.query = std::move(query);
    r.body = std::move(body);
    return router_.Dispatch(std::move(r));
  }
  Json Body(const http::Response& r) { return Json::parse(r.body); }

  std::int64_t CreateGood(const std::string& name) {
    Json spec = Json::parse(kGoodSpec);
    spec["name"] = name;
    const http::Response r = Call("POST", "/api/v1/experiments", {}, spec.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r)["id"].get<std::int64_t>();
  }

  testing::FakeExperimentService service_;
  testing::FakeDatasetService datasets_;
  testing::FakeAuthService auth_;
  http::Router router_;
};

TEST_F(ApiTest, CreateReturns201AndTheExperiment) {
  const http::Response r = Call("POST", "/api/v1/experiments", {}, kGoodSpec);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.headers.at("Location"), "/api/v1/experiments/1");
  const Json body = Body(r);
  EXPECT_EQ(body["id"], 1);
  EXPECT_EQ(body["name"], "logistic on breast cancer");
  EXPECT_EQ(body["state"], "running");
  EXPECT_EQ(body["spec"], ToJson(SpecFromJson(Json::parse(kGoodSpec))));
  EXPECT_EQ(body["trials"]["total"], 0);
  EXPECT_TRUE(body["best"].is_null());
}

struct BadSpec {
  const char* label;
  std::function<std::string()> body;
  const char* expected;  // the exact response body
};

void PrintTo(const BadSpec& spec, std::ostream* os) {
  *os << spec.label;
}

class BadSpecTest : public ApiTest, public ::testing::WithParamInterface<BadSpec> {};

TEST_P(BadSpecTest, Is400ListingEveryProblem) {
  const http::Response r = Call("POST", "/api/v1/experiments", {}, GetParam().body());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r), Json::parse(GetParam().expected)) << r.body;
  EXPECT_EQ(service_.List({}).experiments.size(), 0u);  // nothing stored
}

std::function<std::string()> Edit(std::function<void(Json&)> edit) {
  return [edit] {
    Json j = Json::parse(kGoodSpec);
    edit(j);
    return j.dump();
  };
}

INSTANTIATE_TEST_SUITE_P(
    FiveSpecsAndMalformedJson, BadSpecTest,
    ::testing::Values(BadSpec{"missing_required", Edit([](Json& j) {
                                j.erase("name");
                                j.erase("objective");
                              }),
                              R"js({"error":{"code":"invalid_argument",
                    "message":"name: is required; objective: is required",
                    "field":"name",
                    "problems":[{"field":"name","message":"is required"},
                                {"field":"objective","message":"is required"}]}})js"},
                      BadSpec{"bad_bounds", Edit([](Json& j) {
                                j["space"]["C"]["low"] = 0;
                                j["max_trials"] = 0;
                              }),
                              R"js({"error":{"code":"invalid_argument",
                    "message":"max_trials: must be between 1 and 1000000; space.C.low: must be > 0 for log scale",
                    "field":"max_trials",
                    "problems":[{"field":"max_trials","message":"must be between 1 and 1000000"},
                                {"field":"space.C.low","message":"must be > 0 for log scale"}]}})js"},
                      BadSpec{"wrong_types_and_unknown_field", Edit([](Json& j) {
                                j["tunr"] = "gp";
                                j["tuner"]["seed"] = "seven";
                                j["space"]["penalty"]["values"] = "l1";
                              }),
                              R"js({"error":{"code":"invalid_argument",
                    "message":"tunr: unknown field (did you mean \"tuner\"?); tuner.seed: must be an integer; space.penalty.values: must be a list",
                    "field":"tunr",
                    "problems":[{"field":"tunr","message":"unknown field (did you mean \"tuner\"?)"},
                                {"field":"tuner.seed","message":"must be an integer"},
                                {"field":"space.penalty.values","message":"must be a list"}]}})js"},
                      BadSpec{"bad_training", Edit([](Json& j) {
                                j["training"]["model"] = "magic";
                                j["training"]["folds"] = 1;
                                j["training"]["metrics"] = {"rmse"};
                              }),
                              R"js({"error":{"code":"invalid_argument",
                    "message":"training.model: unknown model \"magic\" (known: logistic_regression, ridge, svc, svr, linear_svc, lasso, elastic_net, knn, xgboost, random_forest, kmeans); training.folds: must be between 2 and 100; training.metrics[0]: \"rmse\" is not a classification metric (known: accuracy, balanced_accuracy, f1, precision, recall, roc_auc, log_loss, f1_macro, f1_micro, f1_weighted, precision_macro, precision_micro, precision_weighted, recall_macro, recall_micro, recall_weighted)",
                    "field":"training.model",
                    "problems":[{"field":"training.model","message":"unknown model \"magic\" (known: logistic_regression, ridge, svc, svr, linear_svc, lasso, elastic_net, knn, xgboost, random_forest, kmeans)"},
                                {"field":"training.folds","message":"must be between 2 and 100"},
                                {"field":"training.metrics[0]","message":"\"rmse\" is not a classification metric (known: accuracy, balanced_accuracy, f1, precision, recall, roc_auc, log_loss, f1_macro, f1_micro, f1_weighted, precision_macro, precision_micro, precision_weighted, recall_macro, recall_micro, recall_weighted)"}]}})js"},
                      BadSpec{"not_an_object", [] { return std::string("[1, 2]"); },
                              R"js({"error":{"code":"invalid_argument",
                    "message":"the spec must be a JSON object",
                    "problems":[{"field":"","message":"the spec must be a JSON object"}]}})js"},
                      BadSpec{"malformed_json", [] { return std::string(R"({"name": "x",)"); },
                              R"js({"error":{"code":"invalid_argument",
                    "message":"malformed JSON: [json.exception.parse_error.101] parse error at line 1, column 14: syntax error while parsing object key - unexpected end of input; expected string literal"}})js"}),
    [](const auto& info) { return std::string(info.param.label); });

TEST_F(ApiTest, ListIsNewestFirstWithCursorPaging) {
  for (const char* name : {"a", "b", "c", "d", "e"}) CreateGood(name);
  const http::Response first = Call("GET", "/api/v1/experiments", {{"limit", "2"}});
  ASSERT_EQ(first.status, 200) << first.body;
  const Json page1 = Body(first);
  ASSERT_EQ(page1["experiments"].size(), 2u);
  EXPECT_EQ(page1["experiments"][0]["name"], "e");
  EXPECT_EQ(page1["experiments"][1]["name"], "d");
  ASSERT_FALSE(page1["next_cursor"].get<std::string>().empty());

  std::vector<std::string> names;
  std::string cursor = page1["next_cursor"];
  while (!cursor.empty()) {
    const Json page =
        Body(Call("GET", "/api/v1/experiments", {{"limit", "2"}, {"cursor", cursor}}));
    for (const auto& e : page["experiments"]) names.push_back(e["name"]);
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"c", "b", "a"}));
}

TEST_F(ApiTest, ListDecodesTheQuery) {
  ASSERT_EQ(Call("GET", "/api/v1/experiments", {{"state", "paused"}, {"limit", "500"}}).status,
            200);
  const auto q = service_.last_experiment_query();
  EXPECT_EQ(q.state, ExperimentState::kPaused);
  EXPECT_EQ(q.limit, 500);
  ASSERT_EQ(Call("GET", "/api/v1/experiments").status, 200);
  EXPECT_EQ(service_.last_experiment_query().limit, 50);
  EXPECT_FALSE(service_.last_experiment_query().state.has_value());
}

TEST_F(ApiTest, BadListQueryNamesTheField) {
  const struct {
    std::map<std::string, std::string> query;
    const char* field;
  } cases[] = {{{{"limit", "abc"}}, "limit"},  {{{"limit", "0"}}, "limit"},
               {{{"limit", "501"}}, "limit"},  {{{"limit", "5x"}}, "limit"},
               {{{"state", "nope"}}, "state"}, {{{"cursor", "zzz"}}, "cursor"}};
  for (const auto& c : cases) {
    const http::Response r = Call("GET", "/api/v1/experiments", c.query);
    EXPECT_EQ(r.status, 400) << c.field;
    EXPECT_EQ(Body(r)["error"]["code"], "invalid_argument");
    EXPECT_EQ(Body(r)["error"]["field"], c.field) << r.body;
  }
  EXPECT_EQ(Body(Call("GET", "/api/v1/experiments", {{"limit", "abc"}})),
            Json::parse(R"js({"error":{"code":"invalid_argument","field":"limit",
                "message":"limit must be an integer between 1 and 500, got \"abc\""}})js"));
}

TEST_F(ApiTest, GetExperiment) {
  const auto id = CreateGood("one");
  service_.AddTrial(id, TrialState::kCompleted, 0.9, {{"C", 1.5}});
  const http::Response r = Call("GET", "/api/v1/experiments/" + std::to_string(id));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["name"], "one");
  EXPECT_EQ(Body(r)["trials"]["completed"], 1);
  EXPECT_EQ(Body(r)["best"]["value"], 0.9);
}

TEST_F(ApiTest, GetUnknownExperimentIs404) {
  const http::Response r = Call("GET", "/api/v1/experiments/99");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(
      Body(r),
      Json::parse(R"js({"error":{"code":"not_found","message":"experiment 99 not found"}})js"));
}

TEST_F(ApiTest, NonNumericIdIs400NamingId) {
  for (const char* path : {"/api/v1/experiments/abc", "/api/v1/experiments/-1",
                           "/api/v1/experiments/0", "/api/v1/experiments/1x/trials",
                           "/api/v1/experiments/99999999999999999999/best", "/api/v1/trials/x"}) {
    const http::Response r = Call("GET", path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(Body(r)["error"]["field"], "id") << path;
  }
  EXPECT_EQ(Body(Call("GET", "/api/v1/experiments/abc")),
            Json::parse(R"js({"error":{"code":"invalid_argument","field":"id",
                "message":"id must be a positive integer, got \"abc\""}})js"));
}

TEST_F(ApiTest, TrialsListSortsFiltersAndPages) {
  const auto id = CreateGood("t");
  service_.AddTrial(id, TrialState::kCompleted, 0.5);
  service_.AddTrial(id, TrialState::kFailed, std::nullopt);
  service_.AddTrial(id, TrialState::kCompleted, 0.8);
  service_.AddTrial(id, TrialState::kRunning, std::nullopt);
  const std::string path = "/api/v1/experiments/" + std::to_string(id) + "/trials";

  const Json by_number = Body(Call("GET", path));
  ASSERT_EQ(by_number["trials"].size(), 4u);
  EXPECT_EQ(by_number["trials"][0]["number"], 0);
  EXPECT_EQ(by_number["next_cursor"], "");

  const Json newest = Body(Call("GET", path, {{"sort", "-number"}}));
  EXPECT_EQ(newest["trials"][0]["number"], 3);
  EXPECT_TRUE(service_.last_trial_query().descending);

  const Json by_value = Body(Call("GET", path, {{"sort", "value"}, {"state", "completed"}}));
  ASSERT_EQ(by_value["trials"].size(), 2u);
  EXPECT_EQ(by_value["trials"][0]["value"], 0.8);
  EXPECT_EQ(service_.last_trial_query().sort, service::TrialSort::kValue);
  EXPECT_EQ(service_.last_trial_query().state, TrialState::kCompleted);

  const Json page1 = Body(Call("GET", path, {{"limit", "3"}}));
  ASSERT_EQ(page1["trials"].size(), 3u);
  const Json page2 = Body(Call("GET", path, {{"limit", "3"}, {"cursor", page1["next_cursor"]}}));
  ASSERT_EQ(page2["trials"].size(), 1u);
  EXPECT_EQ(page2["trials"][0]["number"], 3);
  EXPECT_EQ(page2["next_cursor"], "");
}

TEST_F(ApiTest, ATrialPageIsRenderedOnceUntilATrialOfItsExperimentChanges) {
  const auto id = CreateGood("t");
  service_.AddTrial(id, TrialState::kCompleted, 0.5);
  service_.AddTrial(id, TrialState::kCompleted, 0.7);
  const std::string path = "/api/v1/experiments/" + std::to_string(id) + "/trials";
  const int before = service_.trial_lists();

  const http::Response first = Call("GET", path, {{"sort", "value"}});
  const http::Response again = Call("GET", path, {{"sort", "value"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.content_type, "application/json");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(service_.trial_lists(), before + 1);
  // Another query is another page.
  EXPECT_EQ(Body(Call("GET", path, {{"sort", "value"}, {"limit", "1"}}))["trials"].size(), 1u);
  EXPECT_EQ(service_.trial_lists(), before + 2);

  service_.AddTrial(id, TrialState::kCompleted, 0.9);
  const Json fresh = Body(Call("GET", path, {{"sort", "value"}}));
  EXPECT_EQ(service_.trial_lists(), before + 3);
  ASSERT_EQ(fresh["trials"].size(), 3u);
  EXPECT_EQ(fresh["trials"][0]["value"], 0.9);

  // Another experiment's pages are its own.
  const auto other = CreateGood("u");
  EXPECT_EQ(Body(Call("GET", "/api/v1/experiments/" + std::to_string(other) + "/trials",
                      {{"sort", "value"}}))["trials"]
                .size(),
            0u);
  EXPECT_EQ(Call("GET", "/api/v1/experiments/999/trials", {{"sort", "value"}}).status, 404);
}

TEST_F(ApiTest, BadTrialsQueryNamesTheField) {
  const auto id = CreateGood("t");
  const std::string path = "/api/v1/experiments/" + std::to_string(id) + "/trials";
  const struct {
    std::map<std::string, std::string> query;
    const char* field;
  } cases[] = {{{{"limit", "abc"}}, "limit"},
               {{{"limit", "1001"}}, "limit"},
               {{{"state", "nope"}}, "state"},
               {{{"sort", "x"}}, "sort"}};
  for (const auto& c : cases) {
    const http::Response r = Call("GET", path, c.query);
    EXPECT_EQ(r.status, 400) << c.field;
    EXPECT_EQ(Body(r)["error"]["field"], c.field) << r.body;
  }
  EXPECT_EQ(Body(Call("GET", path, {{"sort", "x"}})),
            Json::parse(R"js({"error":{"code":"invalid_argument","field":"sort",
                "message":"sort must be number, -number or value, got \"x\""}})js"));
  EXPECT_EQ(Body(Call("GET", path, {{"state", "nope"}})),
            Json::parse(R"js({"error":{"code":"invalid_argument","field":"state",
                "message":"unknown trial state \"nope\" (known: queued, running, completed, failed, pruned)"}})js"));
  EXPECT_EQ(Call("GET", "/api/v1/experiments/42/trials").status, 404);
}

TEST_F(ApiTest, BestIs404UntilATrialCompletes) {
  const auto id = CreateGood("b");
  const std::string path = "/api/v1/experiments/" + std::to_string(id) + "/best";
  const http::Response none = Call("GET", path);
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(Body(none), Json::parse(R"js({"error":{"code":"not_found",
      "message":"experiment 1 has no completed trial yet"}})js"));
  service_.AddTrial(id, TrialState::kCompleted, 0.7, {{"C", 2.0}, {"penalty", std::string("l2")}});
  service_.AddTrial(id, TrialState::kCompleted, 0.75, {{"C", 3.0}, {"penalty", std::string("l1")}});
  const http::Response best = Call("GET", path);
  ASSERT_EQ(best.status, 200);
  EXPECT_EQ(Body(best)["value"], 0.75);
  EXPECT_EQ(Body(best)["params"], Json::parse(R"({"C":3.0,"penalty":"l1"})"));
}

TEST_F(ApiTest, GetTrial) {
  const auto id = CreateGood("g");
  const Trial t = service_.AddTrial(id, TrialState::kCompleted, 0.6, {{"C", 1.0}});
  const http::Response r = Call("GET", "/api/v1/trials/" + std::to_string(t.id));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), ToJson(t));
  EXPECT_EQ(Call("GET", "/api/v1/trials/77").status, 404);
}

TEST_F(ApiTest, Healthz) {
  const http::Response ok = Call("GET", "/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Body(ok), Json::parse(R"({"status":"ok"})"));
  service_.SetHealthy(false);
  const http::Response down = Call("GET", "/healthz");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(Body(down)["error"]["code"], "unavailable");
}

// /api/v1/datasets

const char* kCsv = "a,b,target\n1,2,0\n3,4,1\n";
// What the server names it by.
const std::string kCsvSha = Sha256Hex(kCsv);

TEST_F(ApiTest, UploadIs201ThenIdempotent) {
  const http::Response first = Call("POST", "/api/v1/datasets", {{"name", "tiny"}}, kCsv);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(Body(first)["sha256"], kCsvSha);
  EXPECT_EQ(Body(first)["name"], "tiny");
  EXPECT_EQ(Body(first)["size"], std::string(kCsv).size());
  EXPECT_EQ(first.headers.at("Location"), "/api/v1/datasets/" + kCsvSha);
  const http::Response again = Call("POST", "/api/v1/datasets", {{"name", "tiny"}}, kCsv);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Body(again)["sha256"], kCsvSha);
  EXPECT_EQ(Body(again)["size"], Body(first)["size"]);
}

TEST_F(ApiTest, UploadNeedsANameAndBytes) {
  const http::Response unnamed = Call("POST", "/api/v1/datasets", {}, kCsv);
  EXPECT_EQ(unnamed.status, 400);
  EXPECT_EQ(Body(unnamed)["error"]["field"], "name");
  const http::Response empty = Call("POST", "/api/v1/datasets", {{"name", "x"}}, "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Body(empty)["error"]["message"], "the dataset is empty");
}

TEST_F(ApiTest, DownloadGivesTheBytesAsCsv) {
  Call("POST", "/api/v1/datasets", {{"name", "tiny"}}, kCsv);
  const http::Response r = Call("GET", "/api/v1/datasets/" + kCsvSha);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv");
  EXPECT_EQ(r.body, kCsv);
  EXPECT_EQ(r.headers.at("ETag"), "\"" + kCsvSha + "\"");
}

TEST_F(ApiTest, UnknownOrMalformedHashes) {
  const http::Response unknown = Call("GET", "/api/v1/datasets/" + std::string(64, 'a'));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["error"]["code"], "not_found");
  const http::Response malformed = Call("GET", "/api/v1/datasets/xyz");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Body(malformed)["error"]["field"], "sha256");
  EXPECT_EQ(Call("GET", "/api/v1/datasets/" + std::string(64, 'a') + "/info").status, 404);
}

TEST_F(ApiTest, InfoAndListDescribeDatasets) {
  Call("POST", "/api/v1/datasets", {{"name", "tiny"}}, kCsv);
  Call("POST", "/api/v1/datasets", {{"name", "other"}}, "x\n1\n");
  const http::Response info = Call("GET", "/api/v1/datasets/" + kCsvSha + "/info");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(Body(info)["name"], "tiny");
  EXPECT_EQ(datasets_.downloads(), 0) << "info does not send the bytes";

  const Json all = Body(Call("GET", "/api/v1/datasets"));
  ASSERT_EQ(all["datasets"].size(), 2u);
  EXPECT_EQ(all["datasets"][0]["name"], "other");  // newest first
  const Json named = Body(Call("GET", "/api/v1/datasets", {{"name", "tiny"}}));
  ASSERT_EQ(named["datasets"].size(), 1u);
  EXPECT_EQ(named["datasets"][0]["sha256"], kCsvSha);
  EXPECT_EQ(Call("GET", "/api/v1/datasets", {{"limit", "0"}}).status, 400);
}

TEST_F(ApiTest, OnlyTheUploadRouteTakesLargeBodies) {
  EXPECT_EQ(router_.BodyLimit("POST", "/api/v1/datasets"), kDatasetBodyLimit);
  EXPECT_EQ(router_.BodyLimit("POST", "/api/v1/experiments"), 0u);
  EXPECT_EQ(router_.BodyLimit("GET", "/api/v1/datasets"), 0u);
  EXPECT_EQ(router_.MaxBodyLimit(), kDatasetBodyLimit);
}

// Bounds on every input (docs/api.md, "Limits").

// Malformed in every list; each form once was a 200 on the trials list.
const char* const kMalformedCursors[] = {"n:12abc",   "n:",       "v:1:2x",
                                         "v:nan:1",   "v:inf:3",  "n:-5",
                                         "n: 3",      "v::1",     "n:99999999999",
                                         "v:1e400:1", "x:1",      "\xe2\x98\x83",
                                         "v:1:",      "v:1",      "n:+3",
                                         "n:03",      "v:1:2:3",  "v: 1:2",
                                         "v:0x10:1",  "v:-inf:2", "12abc",
                                         " 3",        "3 ",       "-5",
                                         "0",         "007",      "99999999999999999999",
                                         "n:1\n",     "zzz"};

TEST_F(ApiTest, EveryListRefusesMalformedCursorsAlike) {
  const auto id = CreateGood("c");
  const std::string trials = "/api/v1/experiments/" + std::to_string(id) + "/trials";
  for (const char* cursor : kMalformedCursors) {
    for (const auto& [path, sort] :
         std::vector<std::pair<std::string, std::string>>{{"/api/v1/experiments", ""},
                                                          {trials, "number"},
                                                          {trials, "-number"},
                                                          {trials, "value"}}) {
      std::map<std::string, std::string> query = {{"cursor", cursor}};
      if (!sort.empty()) query["sort"] = sort;
      const http::Response r = Call("GET", path, query);
      EXPECT_EQ(r.status, 400) << path << " sort=" << sort << " cursor=" << cursor;
      EXPECT_EQ(Body(r), Json::parse(R"js({"error":{"code":"invalid_argument","field":"cursor",
          "message":"malformed cursor: pass the next_cursor of the previous page unchanged"}})js"))
          << cursor;
    }
  }
}

TEST_F(ApiTest, EachListTakesOnlyItsOwnCursors) {
  const auto id = CreateGood("c");
  const std::string trials = "/api/v1/experiments/" + std::to_string(id) + "/trials";
  const auto status = [&](const std::string& path, const std::string& sort,
                          const std::string& cursor) {
    std::map<std::string, std::string> query = {{"cursor", cursor}};
    if (!sort.empty()) query["sort"] = sort;
    return Call("GET", path, query).status;
  };
  EXPECT_EQ(status("/api/v1/experiments", "", "12"), 200);
  EXPECT_EQ(status("/api/v1/experiments", "", "9223372036854775807"), 200);
  EXPECT_EQ(status("/api/v1/experiments", "", "9223372036854775808"), 400);
  EXPECT_EQ(status("/api/v1/experiments", "", "n:1"), 400);
  EXPECT_EQ(status(trials, "number", "n:0"), 200);
  EXPECT_EQ(status(trials, "number", "n:2147483647"), 200);
  EXPECT_EQ(status(trials, "number", "n:2147483648"), 400);
  EXPECT_EQ(status(trials, "number", "v:0.5:3"), 400);
  EXPECT_EQ(status(trials, "number", "12"), 400);
  for (const char* cursor :
       {"v:0.5:3", "v:-1.5e-07:2", "v:1e+20:0", "v:0.93000000000000005:7", "v:-0:1", "n:4"})
    EXPECT_EQ(status(trials, "value", cursor), 200) << cursor;
  EXPECT_EQ(service_.last_trial_query().cursor, "n:4") << "passed on unchanged";
}

TEST(WorkersRouteTest, ListsPagesAndRefusesOtherCursors) {
  struct RecordingWorkers : service::WorkerService {
    service::WorkerPage List(const service::WorkerQuery& q) override {
      last = q;
      service::Worker w;
      w.id = "w0";
      w.hostname = "h";
      w.slots = 2;
      w.state = "alive";
      w.running = 1;
      w.done = 4;
      w.kinds = {"cv", "command"};
      return {{w}, "w:w0"};
    }
    service::WorkerQuery last;
  } workers;
  testing::FakeExperimentService service;
  testing::FakeDatasetService datasets;
  testing::FakeAuthService auth;
  http::Router router;
  RegisterApi(router, service, datasets, auth, &workers);
  const auto get = [&](std::map<std::string, std::string> query) {
    http::Request r;
    r.method = "GET";
    r.path = "/api/v1/workers";
    r.query = std::move(query);
    return router.Dispatch(std::move(r));
  };
  const http::Response r = get({});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"js({"next_cursor":"w:w0","workers":[{"id":"w0",
      "hostname":"h","slots":2,"version":"","state":"alive","first_seen":"","last_seen":"",
      "trials":{"running":1,"done":4},"kinds":["cv","command"]}]})js"));
  EXPECT_EQ(workers.last.limit, 100);
  EXPECT_EQ(get({{"limit", "1000"}, {"cursor", "w:host-12-ab"}}).status, 200);
  EXPECT_EQ(workers.last.limit, 1000);
  EXPECT_EQ(workers.last.cursor, "w:host-12-ab");
  EXPECT_EQ(get({{"cursor", "w:" + std::string(256, 'x')}}).status, 200) << "ids of 256 bytes";
  for (const std::string& bad :
       {std::string("w:"), "w:" + std::string(257, 'x'), std::string("w:\xff"),
        std::string("w:a\0b", 5), std::string("12"), std::string("n:3")})
    EXPECT_EQ(get({{"cursor", bad}}).status, 400) << bad;
  for (const char* limit : {"0", "1001", "x"}) EXPECT_EQ(get({{"limit", limit}}).status, 400);
  // The other lists take no worker cursor.
  http::Request experiments;
  experiments.method = "GET";
  experiments.path = "/api/v1/experiments";
  experiments.query = {{"cursor", "w:w0"}};
  EXPECT_EQ(router.Dispatch(std::move(experiments)).status, 400);
}

TEST_F(ApiTest, QueryTextThatCannotBeStoredIsA400NamingIt) {
  const std::string nul("a\0b", 3);
  const struct {
    std::string method, path, key, value;
  } cases[] = {
      {"GET", "/api/v1/datasets", "name", "\xff"},
      {"GET", "/api/v1/datasets", "name", nul},
      {"POST", "/api/v1/datasets", "name", "\xff"},
      {"POST", "/api/v1/datasets", "name", "caf\xc3"},
      {"POST", "/api/v1/datasets", "name", nul},
      {"GET", "/api/v1/experiments", "state", nul},
      {"GET", "/api/v1/experiments", "state", "\xed\xa0\x80"},
      {"GET", "/api/v1/experiments", "cursor", "\xff"},
      {"GET", "/api/v1/datasets", "name", std::string(5000, 'n')},
  };
  for (const auto& c : cases) {
    const http::Response r = Call(c.method, c.path, {{c.key, c.value}}, "a,b\n1,2\n");
    EXPECT_EQ(r.status, 400) << c.method << " " << c.path << " " << c.key;
    EXPECT_EQ(Body(r)["error"]["field"], c.key) << r.body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/datasets", {{"name", "caf\xc3\xa9"}}).status, 200);
}

TEST_F(ApiTest, EveryInputClassOfASpecIsA400NamingItsField) {
  const std::string good = kGoodSpec;
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  const struct {
    std::string body;
    const char* field;
  } cases[] = {
      {with(R"("max_trials": 30)", R"("max_trials": 1e400)"), "max_trials"},
      {with(R"("max_trials": 30)", R"("max_trials": )" + std::string(400, '7')), "max_trials"},
      {with(R"("max_trials": 30)", R"("max_trials": 4294967297)"), "max_trials"},
      {with(R"("name": "logistic on breast cancer")", R"("name": "a\u0000b")"), "name"},
      {with(R"(["l1", "l2"])", R"(["l1", "l\u0000"])"), "space.penalty.values[1]"},
      {with(R"("goal": "maximize")", R"("goal": "")"), "objective.goal"},
      {with(R"("max_trials": 30)", R"("max_trials": 30, "parallelism": 100000)"), "parallelism"},
      {with(R"(["l1", "l2"])", Json(std::vector<int>(1001, 1)).dump()), "space.penalty.values"},
  };
  for (const auto& c : cases) {
    const http::Response r = Call("POST", "/api/v1/experiments", {}, c.body);
    EXPECT_EQ(r.status, 400) << c.field << ": " << r.body;
    EXPECT_EQ(Body(r)["error"]["field"], c.field) << r.body;
    EXPECT_EQ(Body(r)["error"]["problems"][0]["field"], c.field) << r.body;
  }
}

// Access control: the whole route table, and the checks that depend on the request.

// What every route must declare. A route added to RegisterApi or RegisterDashboard without
// an entry here fails the walk: its role is then a decision, written down twice.
const std::map<std::string, Role> kExpectedRoles = {
    {"POST /api/v1/experiments", Role::kWrite},
    {"GET /api/v1/experiments", Role::kRead},
    {"GET /api/v1/experiments/{id}", Role::kRead},
    {"GET /api/v1/experiments/{id}/trials", Role::kRead},
    {"GET /api/v1/experiments/{id}/best", Role::kRead},
    {"POST /api/v1/experiments/{id}/stop", Role::kWrite},
    {"POST /api/v1/experiments/{id}/pause", Role::kWrite},
    {"POST /api/v1/experiments/{id}/resume", Role::kWrite},
    {"DELETE /api/v1/experiments/{id}", Role::kWrite},
    {"GET /api/v1/trials/{id}", Role::kRead},
    {"POST /api/v1/datasets", Role::kWrite},
    {"GET /api/v1/datasets", Role::kRead},
    {"GET /api/v1/datasets/{sha256}", Role::kRead},
    {"GET /api/v1/datasets/{sha256}/info", Role::kRead},
    {"POST /api/v1/tokens", Role::kAdmin},
    {"GET /api/v1/tokens", Role::kAdmin},
    {"DELETE /api/v1/tokens/{id}", Role::kAdmin},
    {"GET /healthz", Role::kNone},
    {"GET /api/v1/workers", Role::kRead},
    {"GET /api/v1/experiments/{id}/trials/{number}", Role::kRead},
    {"GET /", Role::kNone},
    {"GET /app/app.js", Role::kNone},
    {"GET /app/style.css", Role::kNone},
};

TEST(RouteTableTest, EveryRouteDeclaresTheExpectedRole) {
  testing::FakeExperimentService service;
  testing::FakeDatasetService datasets;
  testing::FakeAuthService auth;
  struct NoWorkers : service::WorkerService {
    service::WorkerPage List(const service::WorkerQuery&) override { return {}; }
  } workers;
  http::Router router;
  RegisterApi(router, service, datasets, auth, &workers);
  RegisterDashboard(router);
  std::map<std::string, Role> seen;
  for (const auto& route : router.Routes()) {
    const std::string key = route.method + " " + route.pattern;
    seen[key] = route.role;
    const auto expected = kExpectedRoles.find(key);
    ASSERT_NE(expected, kExpectedRoles.end()) << key << " is not in kExpectedRoles";
    EXPECT_EQ(RoleName(route.role), RoleName(expected->second)) << key;
    // Every GET of the API is read, no mutation is below write, public means no /api/.
    if (route.method == "GET" && key.find("/api/") != std::string::npos &&
        key.find("/tokens") == std::string::npos) {
      EXPECT_EQ(route.role, Role::kRead) << key;
    }
    if (route.method != "GET") {
      EXPECT_GE(route.role, Role::kWrite) << key;
    }
    if (route.role == Role::kNone) {
      EXPECT_EQ(key.find("/api/"), std::string::npos) << key;
    }
    // Only the dataset download takes a capability (what workers fetch with).
    EXPECT_EQ(route.has_capability, key == "GET /api/v1/datasets/{sha256}") << key;
  }
  EXPECT_EQ(seen.size(), kExpectedRoles.size());
}

class ApiAuthTest : public ApiTest {
 protected:
  ApiAuthTest() {
    auth_.Add("r", Role::kRead);
    auth_.Add("w", Role::kWrite);
    auth_.Add("a", Role::kAdmin);
    router_.SetAuthenticator([this](const std::string& t) { return auth_.Authenticate(t); });
  }
  http::Response As(const std::string& token, std::string method, std::string path,
                    std::string body = {}, std::map<std::string, std::string> headers = {}) {
    http::Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.headers = std::move(headers);
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return router_.Dispatch(std::move(r));
  }
};

const char* kCommandSpec = R"({
  "name": "runs a program",
  "objective": {"metric": "loss", "goal": "minimize"},
  "space": {"x": {"type": "float", "low": 0, "high": 1}},
  "training": {"kind": "command", "command": ["/bin/sh", "-c", "echo loss={x}"]}
})";

TEST_F(ApiAuthTest, ControlNeedsWriteAndAnswersTheExperiment) {
  ASSERT_EQ(As("w", "POST", "/api/v1/experiments", kGoodSpec).status, 201);
  for (const char* verb : {"stop", "pause", "resume"})
    EXPECT_EQ(As("r", "POST", std::string("/api/v1/experiments/1/") + verb).status, 403) << verb;
  EXPECT_EQ(As("r", "DELETE", "/api/v1/experiments/1").status, 403);
  const http::Response paused = As("w", "POST", "/api/v1/experiments/1/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(Json::parse(paused.body)["state"], "paused");
  EXPECT_EQ(Json::parse(As("w", "POST", "/api/v1/experiments/1/resume").body)["state"], "running");
  EXPECT_EQ(Json::parse(As("w", "POST", "/api/v1/experiments/1/stop").body)["state"], "stopped");
  const http::Response refused = As("w", "POST", "/api/v1/experiments/1/pause");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Json::parse(refused.body)["error"]["code"], "failed_precondition");
  EXPECT_EQ(As("w", "POST", "/api/v1/experiments/7/stop").status, 404);
  EXPECT_EQ(As("w", "POST", "/api/v1/experiments/x/stop").status, 400);
  EXPECT_EQ(As("w", "DELETE", "/api/v1/experiments/1").status, 204);
  EXPECT_EQ(As("r", "GET", "/api/v1/experiments/1").status, 404);
  EXPECT_EQ(As("w", "DELETE", "/api/v1/experiments/1").status, 404);
}

TEST_F(ApiAuthTest, CommandExperimentsNeedAdminCvNeedsWrite) {
  EXPECT_EQ(As("r", "POST", "/api/v1/experiments", kGoodSpec).status, 403);
  EXPECT_EQ(As("w", "POST", "/api/v1/experiments", kGoodSpec).status, 201);
  const http::Response denied = As("w", "POST", "/api/v1/experiments", kCommandSpec);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(Body(denied)["error"]["code"], "permission_denied");
  EXPECT_THAT(Body(denied)["error"]["message"].get<std::string>(), ::testing::HasSubstr("admin"));
  EXPECT_EQ(As("a", "POST", "/api/v1/experiments", kCommandSpec).status, 201);
  EXPECT_EQ(As("", "POST", "/api/v1/experiments", kCommandSpec).status, 401);
  EXPECT_EQ(service_.List({}).experiments.size(), 2u) << "only the allowed ones were created";
}

TEST_F(ApiAuthTest, TokensAreCreatedListedAndRevokedByAdmins) {
  EXPECT_EQ(As("w", "POST", "/api/v1/tokens", R"({"name":"ci","role":"read"})").status, 403);
  const http::Response created =
      As("a", "POST", "/api/v1/tokens", R"({"name":"ci","role":"write"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.at("Cache-Control"), "no-store");
  const Json token = Body(created);
  EXPECT_EQ(token["name"], "ci");
  EXPECT_EQ(token["role"], "write");
  EXPECT_TRUE(token["revoked_at"].is_null());
  const std::string secret = token["token"];
  EXPECT_EQ(As(secret, "GET", "/api/v1/datasets").status, 200) << "the new token works";

  const http::Response list = As("a", "GET", "/api/v1/tokens");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Body(list)["tokens"].size(), 4u);
  EXPECT_EQ(list.body.find(secret), std::string::npos) << "the list never shows a secret";
  EXPECT_FALSE(Body(list)["tokens"][0].contains("token"));

  const std::string path = "/api/v1/tokens/" + std::to_string(token["id"].get<int>());
  const http::Response revoked = As("a", "DELETE", path);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(Body(revoked)["revoked_at"].is_null());
  EXPECT_EQ(As(secret, "GET", "/api/v1/datasets").status, 401);
  EXPECT_EQ(As("a", "DELETE", "/api/v1/tokens/99").status, 404);

  EXPECT_EQ(As("a", "POST", "/api/v1/tokens", R"({"name":"x","role":"root"})").status, 400);
  EXPECT_EQ(As("a", "POST", "/api/v1/tokens", R"({"role":"read"})").status, 400);
  EXPECT_EQ(As("a", "POST", "/api/v1/tokens", R"({"name":"x","role":"none"})").status, 400);
}

TEST_F(ApiAuthTest, DatasetDownloadTakesAReadTokenOrItsCapability) {
  http::Request upload;
  upload.method = "POST";
  upload.path = "/api/v1/datasets";
  upload.query = {{"name", "tiny"}};
  upload.body = kCsv;
  upload.headers["authorization"] = "Bearer w";
  ASSERT_EQ(router_.Dispatch(upload).status, 201);
  const std::string path = "/api/v1/datasets/" + kCsvSha;
  EXPECT_EQ(As("", "GET", path).status, 401);
  EXPECT_EQ(As("r", "GET", path).status, 200);
  const auto capability = [](const std::string& c) {
    return std::map<std::string, std::string>{{"x-krige-capability", c}};
  };
  const http::Response granted =
      As("", "GET", path, {}, capability(testing::FakeAuthService::Capability(kCsvSha)));
  EXPECT_EQ(granted.status, 200);
  EXPECT_EQ(granted.body, kCsv);
  EXPECT_EQ(As("", "GET", path, {}, capability("forged")).status, 403);
  // Another dataset's capability opens nothing here, nor any other route.
  EXPECT_EQ(As("", "GET", path, {}, capability(testing::FakeAuthService::Capability("b"))).status,
            403);
  EXPECT_EQ(
      As("", "GET", path + "/info", {}, capability(testing::FakeAuthService::Capability(kCsvSha)))
          .status,
      401);
}

}  // namespace
}  // namespace krige::web
