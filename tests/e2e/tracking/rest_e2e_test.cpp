// Experiment tracking over REST on a real krige-server and PostgreSQL: runs, an idempotent
// 1 000-point batch, paged history, search by metric and param, artifacts, and every way a
// path could leave the run's directory (refused with a 400, nothing written outside).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "krige/run.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TrackingRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/artifacts";
    outside_ = dir_.path() + "/outside";
    fs::create_directories(outside_);
    if (Fallback()) ::setenv("KRIGE_ARTIFACTS_NO_OPENAT2", "1", 1);
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff,
                                       {"--artifact-root", root_});
    server_ = std::move(server.process);
    zmq_ = server.zmq;
    ::unsetenv("KRIGE_ARTIFACTS_NO_OPENAT2");
    http_ = server.http;
    transport_ = MakeHttpTransport(http_, std::chrono::seconds(30));
  }
  virtual bool Fallback() const { return false; }
  void TearDown() override {
    if (HasFailure()) std::cout << server_->Log();
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    return transport_->Send(r);
  }
  Json Ok(const std::string& method, const std::string& target, const Json& body = nullptr,
          int status = 200) {
    const HttpResponse r = Send(method, target, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    return Json::parse(r.body);
  }
  std::int64_t NewRun(const std::string& experiment, const Json& params = Json::object()) {
    return Ok("POST", "/api/v1/runs",
              {{"experiment_name", experiment}, {"name", "r"}, {"params", params}},
              201)["run"]["id"]
        .get<std::int64_t>();
  }
  void CheckArtifacts();
  // Every file under `dir`, recursively (to show nothing was written there).
  static std::vector<std::string> Files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(e.path().string());
    return out;
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::string root_, outside_, zmq_, http_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::shared_ptr<Transport> transport_;
};

TEST_F(TrackingRestTest, ABatchLoggedTwiceIsStoredOnceAndPagedBack) {
  const std::int64_t id = NewRun("batches", {{"model", "svc"}});
  const std::string run = "/api/v1/runs/" + std::to_string(id);
  Json metrics = Json::array();
  for (int i = 0; i < 1000; ++i)
    metrics.push_back(
        {{"key", "loss"}, {"value", 1.0 / (i + 1)}, {"step", i}, {"timestamp", 1700000000000 + i}});
  // Non-finite values travel as strings and come back the same.
  metrics.push_back({{"key", "odd"}, {"value", "NaN"}, {"step", 0}, {"timestamp", 1}});
  metrics.push_back({{"key", "odd"}, {"value", "Infinity"}, {"step", 1}, {"timestamp", 1}});
  metrics.push_back({{"key", "odd"}, {"value", "-Infinity"}, {"step", 2}, {"timestamp", 1}});
  const Json batch = {{"metrics", metrics}, {"params", {{"lr", "0.1"}}}, {"tags", {{"t", "1"}}}};
  Ok("POST", run + "/log", batch);
  Ok("POST", run + "/log", batch);  // a retry: nothing doubles

  std::vector<Json> points;
  std::string cursor;
  int pages = 0;
  do {
    const Json page =
        Ok("GET", run + "/metrics/loss?limit=300" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& p : page["points"]) points.push_back(p);
    cursor = page["next_cursor"];
    ++pages;
  } while (!cursor.empty());
  ASSERT_EQ(points.size(), 1000u);
  EXPECT_EQ(pages, 4);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(points[i]["step"], i);
    EXPECT_DOUBLE_EQ(points[i]["value"].get<double>(), 1.0 / (i + 1));
  }
  const Json odd = Ok("GET", run + "/metrics/odd");
  ASSERT_EQ(odd["points"].size(), 3u);
  EXPECT_EQ(odd["points"][0]["value"], "NaN");
  EXPECT_EQ(odd["points"][1]["value"], "Infinity");
  EXPECT_EQ(odd["points"][2]["value"], "-Infinity");

  // The latest point of each metric, params and tags; then the end.
  Json got = Ok("GET", run)["run"];
  EXPECT_EQ(got["metrics"]["loss"]["step"], 999);
  EXPECT_EQ(got["metrics"]["odd"]["value"], "-Infinity");
  EXPECT_EQ(got["params"]["lr"], "0.1");
  EXPECT_EQ(got["tags"]["t"], "1");
  EXPECT_EQ(got["status"], "running");
  // A param keeps its first value; changing it names the field.
  const HttpResponse changed = Send("POST", run + "/log", R"({"params": {"lr": "0.2"}})");
  EXPECT_EQ(changed.status, 409) << changed.body;
  EXPECT_THAT(changed.body, HasSubstr("params.lr"));
  got = Ok("POST", run + "/end", {{"status", "killed"}})["run"];
  EXPECT_EQ(got["status"], "killed");
  EXPECT_FALSE(got["end_time"].is_null());
}

// A batch of which some points are stored already (logged again by another batch): the new
// ones are stored, the stored ones kept as they were (the first value wins), nothing doubles.
// Also two such batches at once, and a batch that repeats a point within itself.
TEST_F(TrackingRestTest, ABatchOverlappingStoredPointsAddsOnlyItsNewOnes) {
  const std::int64_t id = NewRun("overlap");
  const std::string log = "/api/v1/runs/" + std::to_string(id) + "/log";
  const auto batch = [](int from, int to, double value) {
    Json metrics = Json::array();
    for (int i = from; i < to; ++i)
      metrics.push_back({{"key", "loss"}, {"value", value}, {"step", i}, {"timestamp", 1000 + i}});
    return Json{{"metrics", metrics}};
  };
  Ok("POST", log, batch(0, 100, 1.0));
  Ok("POST", log, batch(50, 150, 2.0));  // 50..99 are stored: only 100..149 are new
  // Three at once, each over its own connection (the server stores them in parallel).
  std::vector<std::thread> parallel;
  std::vector<int> statuses(3);
  for (int k = 0; k < 3; ++k)
    parallel.emplace_back([&, k] {
      HttpRequest r;
      r.method = "POST";
      r.target = log;
      r.body = batch(140 + 10 * k, 200 + 10 * k, 3.0).dump();
      statuses[k] = MakeHttpTransport(http_, std::chrono::seconds(30))->Send(r).status;
    });
  for (auto& t : parallel) t.join();
  EXPECT_EQ(statuses, std::vector<int>({200, 200, 200}));
  Json twice = batch(300, 310, 4.0);
  twice["metrics"].push_back(twice["metrics"][0]);
  Ok("POST", log, twice);

  const Json page = Ok("GET", "/api/v1/runs/" + std::to_string(id) + "/metrics/loss?limit=10000");
  const Json& points = page["points"];
  ASSERT_EQ(points.size(), 220u + 10u);  // steps 0..219, then 300..309
  for (std::size_t i = 0; i < points.size(); ++i) {
    const int step = points[i]["step"];
    EXPECT_EQ(step, i < 220 ? static_cast<int>(i) : static_cast<int>(300 + i - 220));
    const double want = step < 100 ? 1.0 : step < 150 ? 2.0 : step < 300 ? 3.0 : 4.0;
    EXPECT_EQ(points[i]["value"].get<double>(), want) << "step " << step;
  }
  EXPECT_EQ(Ok("GET", "/api/v1/runs/" + std::to_string(id))["run"]["metrics"]["loss"]["step"], 309);
}

TEST_F(TrackingRestTest, BadBatchesAre400sNamingEveryField) {
  const std::string run = "/api/v1/runs/" + std::to_string(NewRun("bad"));
  const HttpResponse r = Send("POST", run + "/log",
                              R"({"metrics": [{"key": "a", "value": "nan"},
                                              {"key": "", "value": 1},
                                              {"key": "b", "value": 1, "step": -1}]})");
  ASSERT_EQ(r.status, 400) << r.body;
  const Json problems = Json::parse(r.body)["error"]["problems"];
  std::vector<std::string> fields;
  for (const auto& p : problems) fields.push_back(p["field"]);
  EXPECT_THAT(fields,
              ::testing::ElementsAre("metrics[0].value", "metrics[1].key", "metrics[2].step"));
  Json big = Json::array();
  for (int i = 0; i < 10001; ++i) big.push_back({{"key", "k"}, {"value", 1}, {"step", i}});
  const HttpResponse too_many = Send("POST", run + "/log", Json{{"metrics", big}}.dump());
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.body, HasSubstr("at most 10000"));
  EXPECT_EQ(Send("POST", "/api/v1/runs/999999/log", R"({"metrics": []})").status, 404);
}

TEST_F(TrackingRestTest, SearchFiltersByMetricParamAndTag) {
  Json ids = Json::array();
  for (const auto& [model, accuracy] :
       std::vector<std::pair<std::string, double>>{{"svc", 0.95}, {"svc", 0.80}, {"knn", 0.97}}) {
    const std::int64_t id = NewRun("search", {{"model", model}});
    Ok("POST", "/api/v1/runs/" + std::to_string(id) + "/log",
       {{"metrics", {{{"key", "accuracy"}, {"value", accuracy}, {"step", 0}}}},
        {"tags", {{"team", "x"}}}});
    ids.push_back(id);
  }
  NewRun("elsewhere", {{"model", "svc"}});  // another experiment: never in these results
  const auto search = [&](const std::string& filter, const Json& order = Json::array()) {
    const Json page =
        Ok("POST", "/api/v1/runs/search",
           {{"experiment_names", {"search"}}, {"filter", filter}, {"order_by", order}});
    std::vector<std::int64_t> out;
    for (const auto& r : page["runs"]) out.push_back(r["id"]);
    return out;
  };
  EXPECT_THAT(search("metrics.accuracy > 0.9 and params.model = 'svc' and tags.team = 'x'"),
              ::testing::ElementsAre(ids[0]));
  EXPECT_THAT(search("metrics.accuracy > 0.9 and params.model = 'rf'"), ::testing::IsEmpty());
  EXPECT_THAT(
      search("metrics.accuracy >= 0.8 and (params.model = 'knn' or params.model LIKE 'sv%')",
             {"metrics.accuracy DESC"}),
      ::testing::ElementsAre(ids[2], ids[0], ids[1]));
  EXPECT_THAT(search("", {"params.model ASC", "metrics.accuracy ASC"}),
              ::testing::ElementsAre(ids[2], ids[1], ids[0]));
  // Values are parameters, never SQL: a quote in a value is just a character.
  EXPECT_THAT(search("params.model = 'x'' OR ''1''=''1'"), ::testing::IsEmpty());

  // Cursor pages.
  const Json first = Ok("POST", "/api/v1/runs/search",
                        {{"experiment_names", {"search"}}, {"limit", 2}, {"order_by", {"run_id"}}});
  ASSERT_EQ(first["runs"].size(), 2u);
  const Json second = Ok("POST", "/api/v1/runs/search",
                         {{"experiment_names", {"search"}},
                          {"limit", 2},
                          {"order_by", {"run_id"}},
                          {"cursor", first["next_cursor"]}});
  ASSERT_EQ(second["runs"].size(), 1u);
  EXPECT_EQ(second["runs"][0]["id"], ids[2]);
  EXPECT_EQ(second["next_cursor"], "");

  // A malformed filter: a 400 naming the position.
  const HttpResponse bad =
      Send("POST", "/api/v1/runs/search",
           R"({"experiment_names": ["search"], "filter": "metrics.accuracy > 'high'"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("at character 20: expected a number"));
  EXPECT_EQ(Send("POST", "/api/v1/runs/search",
                 R"({"experiment_names": ["search"], "filter": "params.model < 'a'"})")
                .status,
            400);
}

// GET /api/v1/tracking/experiments lists them with their run counts; runs.csv has a row per
// run (more than one search page of them), a column per param, metric (latest value) and tag,
// and keeps text inert for a spreadsheet.
TEST_F(TrackingRestTest, ExperimentsAreListedAndTheirRunsExportAsCsv) {
  const int n = 1005;  // more than one search page (limits::kRunSearchPage)
  std::int64_t first = 0, experiment = 0;
  for (int i = 0; i < n; ++i) {
    const Json run = Ok("POST", "/api/v1/runs",
                        {{"experiment_name", "csv"},
                         {"name", i == 0 ? "=HYPERLINK(\"x\")" : "r" + std::to_string(i)},
                         {"params", {{"i", std::to_string(i)}}},
                         {"tags", i % 2 ? Json{{"odd", "yes, \"quoted\""}} : Json::object()}},
                        201)["run"];
    if (i == 0) {
      first = run["id"];
      experiment = run["experiment_id"];
    }
  }
  const std::string log = "/api/v1/runs/" + std::to_string(first) + "/log";
  Ok("POST", log,
     {{"metrics",
       {{{"key", "loss"}, {"value", 0.5}, {"step", 0}},
        {{"key", "loss"}, {"value", 0.25}, {"step", 1}},
        {{"key", "odd"}, {"value", "NaN"}, {"step", 0}}}}});
  NewRun("other");

  const Json list = Ok("GET", "/api/v1/tracking/experiments");
  std::map<std::string, std::int64_t> runs;
  for (const auto& e : list["experiments"]) runs[e["name"]] = e["runs"];
  EXPECT_EQ(runs["csv"], n);
  EXPECT_EQ(runs["other"], 1);
  EXPECT_EQ(Ok("GET", "/api/v1/tracking/experiments?limit=1")["experiments"].size(), 1u);
  EXPECT_EQ(Send("GET", "/api/v1/tracking/experiments?limit=0").status, 400);

  const HttpResponse csv =
      Send("GET", "/api/v1/tracking/experiments/" + std::to_string(experiment) + "/runs.csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  std::vector<std::string> lines;
  std::istringstream in(csv.body);
  for (std::string line; std::getline(in, line);) {
    ASSERT_FALSE(line.empty() || line.back() != '\r') << "CRLF line ends";
    line.pop_back();
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(n + 1));
  EXPECT_EQ(lines[0],
            "run_id,name,status,start_time,end_time,parent_run_id,trial_id,param_i,metric_loss,"
            "metric_odd,tag_odd");
  std::set<std::string> ids;
  std::string first_row;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    ids.insert(lines[i].substr(0, lines[i].find(',')));
    if (lines[i].rfind(std::to_string(first) + ",", 0) == 0) first_row = lines[i];
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n)) << "each run once";
  // The latest loss (step 1), NaN as a word, the formula-looking name made inert, no tag.
  EXPECT_THAT(first_row, ::testing::StartsWith(std::to_string(first) +
                                               ",\"'=HYPERLINK(\"\"x\"\")\",running,"));
  EXPECT_THAT(first_row, ::testing::EndsWith(",,,,0,0.25,NaN,"));
  EXPECT_THAT(csv.body, HasSubstr(",\"yes, \"\"quoted\"\"\"\r\n"));

  // ?filter= and ?order_by= as the search takes them.
  const HttpResponse filtered =
      Send("GET", "/api/v1/tracking/experiments/" + std::to_string(experiment) +
                      "/runs.csv?filter=metrics.loss%20%3C%201&order_by=run_id");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(std::count(filtered.body.begin(), filtered.body.end(), '\n'), 2);
  EXPECT_EQ(Send("GET", "/api/v1/tracking/experiments/" + std::to_string(experiment) +
                            "/runs.csv?filter=metrics.loss%20%3E")
                .status,
            400);
  EXPECT_EQ(Send("GET", "/api/v1/tracking/experiments/999999/runs.csv").status, 404);
}

// The same requests with the server's per-component fallback (openat with O_NOFOLLOW), as on a
// kernel without openat2.
class TrackingRestFallbackTest : public TrackingRestTest {
 protected:
  bool Fallback() const override { return true; }
};

TEST_F(TrackingRestTest, ArtifactsGoUpAndDownAndNeverLeaveTheRunsDirectory) {
  CheckArtifacts();
}
TEST_F(TrackingRestFallbackTest, ArtifactsNeverLeaveTheRunsDirectoryWithoutOpenat2) {
  EXPECT_THAT(server_->Log(), HasSubstr("openat with O_NOFOLLOW per component"));
  CheckArtifacts();
}

void TrackingRestTest::CheckArtifacts() {
  const std::int64_t id = NewRun("files");
  const std::string base = "/api/v1/runs/" + std::to_string(id) + "/artifacts/";
  std::string bytes(100000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  EXPECT_EQ(Send("PUT", base + "model.bin", bytes).status, 201);
  EXPECT_EQ(Send("PUT", base + "plots/loss%20curve.png", "png").status, 201);
  EXPECT_EQ(Send("GET", base + "model.bin").body, bytes);
  EXPECT_EQ(Send("GET", base + "plots/loss%20curve.png").body, "png");
  const Json list = Ok("GET", "/api/v1/runs/" + std::to_string(id) + "/artifacts");
  ASSERT_EQ(list["artifacts"].size(), 2u);
  EXPECT_EQ(list["artifacts"][0]["path"], "model.bin");
  EXPECT_EQ(list["artifacts"][0]["size"], 100000);
  EXPECT_EQ(list["artifacts"][1]["path"], "plots/loss curve.png");
  EXPECT_EQ(Send("GET", base + "nothing.txt").status, 404);

  // Symbolic links planted in the artifact root: in the run's directory, to a directory and
  // to a file outside; and a run's whole directory as a link.
  std::ofstream(outside_ + "/secret.txt") << "secret";
  const std::string run_dir = root_ + "/" + std::to_string(id);
  ASSERT_EQ(::symlink(outside_.c_str(), (run_dir + "/out").c_str()), 0);
  ASSERT_EQ(::symlink((outside_ + "/secret.txt").c_str(), (run_dir + "/secret.txt").c_str()), 0);
  const std::int64_t other = NewRun("files");
  ASSERT_EQ(::symlink(outside_.c_str(), (root_ + "/" + std::to_string(other)).c_str()), 0);
  const std::string other_base = "/api/v1/runs/" + std::to_string(other) + "/artifacts/";

  struct Attempt {
    std::string method, target, why;
  };
  const std::vector<Attempt> attempts = {
      {"PUT", base + "../../outside/x", "\\\"..\\\" components"},
      {"PUT", base + "..%2f..%2foutside%2fx", "\\\"..\\\" components"},
      {"PUT", base + "%2e%2e/%2e%2e/outside/x", "\\\"..\\\" components"},
      {"PUT", base + "%2E%2E/x", "\\\"..\\\" components"},
      {"PUT", base + "a/./x", "\\\".\\\" components"},
      {"PUT", base + "/" + outside_.substr(1) + "/x", "absolute paths"},
      {"PUT", base + "%2f" + outside_.substr(1) + "%2fx", "absolute paths"},
      {"PUT", base + "x%00.txt", "NUL"},
      {"PUT", base + "a%5c..%5cx", "backslashes"},
      {"PUT", base + "out/x", "symbolic link"},
      {"PUT", base + "secret.txt", "symbolic link"},
      {"GET", base + "secret.txt", "symbolic link"},
      {"GET", base + "out/secret.txt", "symbolic link"},
      {"GET", base + "../../outside/secret.txt", "\\\"..\\\" components"},
      {"PUT", other_base + "x", "symbolic link"},
      {"GET", other_base + "secret.txt", "symbolic link"},
  };
  for (const auto& a : attempts) {
    const HttpResponse r = Send(a.method, a.target, a.method == "PUT" ? "pwned" : "");
    EXPECT_EQ(r.status, 400) << a.method << " " << a.target << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr(a.why)) << a.target;
    EXPECT_THAT(r.body, HasSubstr("\"field\":\"path\"")) << a.target;
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("secret\""))) << a.target;
  }
  // Outside: only what the test put there.
  EXPECT_THAT(Files(outside_), ::testing::ElementsAre(outside_ + "/secret.txt"));
  std::ifstream in(outside_ + "/secret.txt");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "secret");
  // The links are still links, not replaced by uploads.
  EXPECT_TRUE(fs::is_symlink(run_dir + "/secret.txt"));
  EXPECT_TRUE(fs::is_symlink(run_dir + "/out"));
}

TEST_F(TrackingRestTest, ASweepsTrialsAreRunsAndTheirObjectiveLogsToThem) {
  testing::ChildProcess worker({testing::BinDir() + "/tracking_worker", "--connect", zmq_},
                               dir_.path() + "/worker.log");
  const ExperimentSpec spec = SpecFromJson(ParseJson(R"({
    "name": "tracked-sweep",
    "objective": {"metric": "loss", "goal": "minimize"},
    "tuner": {"name": "random", "seed": 5},
    "max_trials": 4, "parallelism": 2,
    "space": {"x": {"type": "float", "low": 0, "high": 1}},
    "training": {"kind": "function", "function": "fit"}
  })"));
  Client client(transport_);
  const Experiment sweep = client.CreateExperiment(spec);
  const Experiment done = testing::WaitDone(client, sweep.id, std::chrono::seconds(120));
  ASSERT_EQ(done.state, ExperimentState::kCompleted) << worker.Log();

  // The sweep's tracking experiment, named like it; one search returns its four trials.
  const Json te = Ok("GET", "/api/v1/tracking/experiments/tracked-sweep")["experiment"];
  EXPECT_EQ(te["sweep_id"], sweep.id);
  const Json page = Ok("POST", "/api/v1/runs/search",
                       {{"experiment_ids", {te["id"]}}, {"order_by", {"metrics.loss ASC"}}});
  ASSERT_EQ(page["runs"].size(), 4u) << page.dump();
  double previous = -1;
  for (const auto& r : page["runs"]) {
    EXPECT_FALSE(r["trial_id"].is_null());
    EXPECT_EQ(r["status"], "finished");
    EXPECT_EQ(r["tags"]["optimizer"], "sgd");  // logged by the objective
    EXPECT_EQ(r["tags"]["krige.sweep.id"], std::to_string(sweep.id));
    EXPECT_TRUE(r["params"].contains("x"));
    const double loss = r["metrics"]["loss"]["value"];  // the trial's value, from the scheduler
    EXPECT_GE(loss, previous);                          // ordered by it
    previous = loss;
    EXPECT_DOUBLE_EQ(r["metrics"]["train_loss"]["value"].get<double>(), loss);
    const std::string run = "/api/v1/runs/" + std::to_string(r["id"].get<std::int64_t>());
    EXPECT_EQ(Ok("GET", run + "/metrics/train_loss")["points"].size(), 20u);
    EXPECT_THAT(Send("GET", run + "/artifacts/notes/trial.txt").body, HasSubstr("trial "));
    // The trial's run is the scheduler's to end.
    EXPECT_EQ(Send("POST", run + "/end", R"({"status": "failed"})").status, 409);
  }
  // The same filter language over trials: params are text, metrics numbers.
  const Json filtered = Ok("POST", "/api/v1/runs/search",
                           {{"experiment_names", {"tracked-sweep"}},
                            {"filter",
                             "metrics.loss >= 0 and status = 'finished' and "
                             "tags.`krige.trial.number` = '0'"}});
  EXPECT_EQ(filtered["runs"].size(), 1u);
}

}  // namespace
}  // namespace krige
