// The `krige` commands people reach for, each run as the real binary against a real
// krige-server (auth off: these tests are about the commands) with two real krige-workers on
// 127.0.0.1 and a real PostgreSQL. What the CLI prints is checked against the REST API.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// Splits CSV text (RFC 4180: quoted fields may hold commas, quotes and newlines) into rows.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff,
                                       {"--lease-seconds", "2"});
    server_ = std::move(server.process);
    http_ = server.http;
    for (int i = 0; i < 2; ++i)
      workers_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", server.zmq,
                                   "--slots", "1", "--id", "w" + std::to_string(i),
                                   "--allow-commands"},
          dir_.path() + "/worker" + std::to_string(i) + ".log"));
    client_ = std::make_unique<Client>(MakeHttpTransport(http_));
    // No local stack, no token: the server named, as a user with KRIGE_SERVER would.
    krige_ = "KRIGE_HOME=" + dir_.path() + " KRIGE_TOKEN= KRIGE_TOKEN_FILE= TERM=xterm " +
             testing::BinDir() + "/krige --server " + http_ + " ";
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* name : {"server.log", "worker0.log", "worker1.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      std::cout << "--- " << name << "\n" << std::string(std::istreambuf_iterator<char>(in), {});
    }
  }

  std::pair<int, std::string> Krige(const std::string& args) {
    return testing::RunCommand(krige_ + args);
  }

  // The breast-cancer example with `max_trials` trials, its dataset next to it.
  std::string WriteCvSpec(int max_trials, const std::string& name = "spec.yaml") {
    const std::string path = dir_.path() + "/" + name;
    std::ifstream in(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
    std::ofstream out(path);
    for (std::string line; std::getline(in, line);) {
      if (line.find("max_trials:") == 0) line = "max_trials: " + std::to_string(max_trials);
      if (line.find("tuner:") == 0) line = "tuner: {name: random, seed: 11}";
      if (line.find("  dataset:") == 0)
        line = "  dataset: " + testing::SourceDir() + "/examples/data/breast_cancer.csv";
      out << line << "\n";
    }
    return path;
  }

  // A command experiment whose every trial runs `script` (sh -c).
  std::string WriteCommandSpec(const std::string& script, int max_trials, int parallelism) {
    const std::string path = dir_.path() + "/command.yaml";
    std::ofstream(path) << "name: cmd\nobjective: {metric: score, goal: maximize}\n"
                        << "tuner: {name: random, seed: 1}\nmax_trials: " << max_trials
                        << "\nparallelism: " << parallelism
                        << "\nspace: {x: {type: float, low: 0, high: 1}}\n"
                        << "training:\n  kind: command\n  command: [sh, -c, " << Json(script).dump()
                        << "]\n  timeout_seconds: 60\n";
    return path;
  }

  std::int64_t Detach(const std::string& spec) {
    const auto [code, out] = Krige("run --detach " + spec + " 2>/dev/null");
    EXPECT_EQ(code, 0) << out;
    return std::stoll(out);
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::string http_, krige_;
  std::unique_ptr<Client> client_;
};

TEST_F(CliCommandsTest, DetachWatchTrialsTrialExportAndWorkersAgreeWithTheApi) {
  // run --detach prints the id alone and returns while the experiment runs.
  const std::int64_t id = Detach(WriteCvSpec(6));
  ASSERT_GT(id, 0);

  // watch, piped: plain lines, one per change, ending with the best trial.
  const auto [watch_code, watched] = Krige("watch " + std::to_string(id) + " 2>&1");
  ASSERT_EQ(watch_code, 0) << watched;
  EXPECT_THAT(watched, HasSubstr("[6/6] completed=6"));
  EXPECT_THAT(watched, HasSubstr("best trial #"));
  EXPECT_THAT(watched, Not(HasSubstr("\r"))) << "no terminal, no in-place redraw";
  const Experiment done = client_->GetExperiment(id);
  ASSERT_EQ(done.state, ExperimentState::kCompleted);
  const std::vector<Trial> api = client_->ListTrials(id, TrialSort::kNumber);
  ASSERT_EQ(api.size(), 6u);

  // trials --json is the API's list; --sort value puts the best first; --state filters.
  const auto [code, trials_json] = Krige("trials " + std::to_string(id) + " --json");
  ASSERT_EQ(code, 0) << trials_json;
  const Json listed = Json::parse(trials_json);
  ASSERT_EQ(listed.size(), 6u);
  for (std::size_t i = 0; i < api.size(); ++i) EXPECT_EQ(listed[i], ToJson(api[i]));
  const auto [code2, by_value] = Krige("trials " + std::to_string(id) + " --sort value --json");
  ASSERT_EQ(code2, 0);
  // Best first (ties of CV accuracy are common: the best trial is one of the tied ones, and the
  // value sort orders ties by number).
  EXPECT_EQ(Json::parse(by_value)[0]["value"], *done.best->value);
  const auto [code3, table] = Krige("trials " + std::to_string(id) + " --state failed");
  EXPECT_EQ(code3, 0);
  EXPECT_THAT(table, HasSubstr("no failed trials"));

  // trial EXP NUMBER: everything about it, per-fold scores included.
  const Trial best = client_->GetTrial(id, done.best->number);
  ASSERT_EQ(best.steps.size(), 5u) << "5 folds";
  const auto [code4, detail] =
      Krige("trial " + std::to_string(id) + " " + std::to_string(best.number));
  ASSERT_EQ(code4, 0) << detail;
  EXPECT_THAT(detail, HasSubstr("trial #" + std::to_string(best.number) + " of experiment #" +
                                std::to_string(id)));
  EXPECT_THAT(detail, HasSubstr("state:    completed (attempt 1 of 3)"));
  EXPECT_THAT(detail, HasSubstr("worker:   " + best.worker));
  EXPECT_THAT(detail, HasSubstr("STEP"));
  EXPECT_EQ(Count(detail, "\n    4  "), 1) << "the fifth fold's row\n" << detail;
  const auto [code5, missing] = Krige("trial " + std::to_string(id) + " 99 2>&1");
  EXPECT_EQ(code5, 1);
  EXPECT_THAT(missing, HasSubstr("has no trial #99"));

  // export --format csv: a row per trial, every value as the API has it.
  const auto [code6, csv] = Krige("export " + std::to_string(id) + " --format csv");
  ASSERT_EQ(code6, 0) << csv;
  const auto rows = ParseCsv(csv);
  ASSERT_EQ(rows.size(), 7u) << csv;
  const std::vector<std::string> header = rows[0];
  ASSERT_GE(header.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 3),
            (std::vector<std::string>{"number", "state", "value"}));
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* name : {"C", "penalty", "accuracy", "f1", "roc_auc"})
    EXPECT_EQ(column.count(name), 1u) << name << " in " << csv;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Trial& t = api[r - 1];
    ASSERT_EQ(rows[r].size(), header.size());
    EXPECT_EQ(std::stoi(rows[r][0]), t.number);
    EXPECT_EQ(rows[r][1], TrialStateName(t.state));
    EXPECT_EQ(std::stod(rows[r][2]), *t.value) << "exact: the shortest text that reads back";
    EXPECT_EQ(std::stod(rows[r][column["C"]]), std::get<double>(t.params.at("C")));
    EXPECT_EQ(rows[r][column["penalty"]], std::get<std::string>(t.params.at("penalty")));
    for (const char* m : {"accuracy", "f1", "roc_auc"})
      EXPECT_EQ(std::stod(rows[r][column[m]]), t.metrics.at(m)) << m;
  }
  const auto [code7, exported] = Krige("export " + std::to_string(id) + " --format json");
  ASSERT_EQ(code7, 0);
  const Json e = Json::parse(exported);
  EXPECT_EQ(e["experiment"]["id"], id);
  ASSERT_EQ(e["trials"].size(), 6u);
  EXPECT_EQ(e["trials"][3], ToJson(api[3]));

  // workers: both, alive, with the trials each ran, as the API and the trials table say.
  const auto [code8, workers_json] = Krige("workers --json");
  ASSERT_EQ(code8, 0) << workers_json;
  const Json workers = Json::parse(workers_json);
  ASSERT_EQ(workers.size(), 2u) << workers_json;
  std::map<std::string, int> ran;
  for (const Trial& t : api) ++ran[t.worker];
  for (const auto& w : workers) {
    const std::string wid = w["id"];
    EXPECT_TRUE(wid == "w0" || wid == "w1") << wid;
    EXPECT_EQ(w["state"], "alive");
    EXPECT_EQ(w["slots"], 1);
    EXPECT_EQ(w["kinds"].get<std::set<std::string>>(), (std::set<std::string>{"cv", "command"}))
        << "--allow-commands";
    EXPECT_EQ(w["trials"]["running"], 0);
    EXPECT_EQ(w["trials"]["done"], ran[wid]) << wid;
    EXPECT_FALSE(w["hostname"].get<std::string>().empty());
    EXPECT_FALSE(w["first_seen"].get<std::string>().empty());
  }
  const auto [code9, workers_table] = Krige("workers");
  EXPECT_EQ(code9, 0);
  EXPECT_THAT(workers_table, HasSubstr("ID"));
  EXPECT_THAT(workers_table, HasSubstr("w0"));
  EXPECT_THAT(workers_table, HasSubstr("alive"));

  // The REST page bound and cursor: one worker a page, two pages.
  const auto page = [&](const std::string& query) {
    HttpRequest r;
    r.target = "/api/v1/workers" + query;
    const HttpResponse response = MakeHttpTransport(http_)->Send(r);
    EXPECT_EQ(response.status, 200) << response.body;
    return Json::parse(response.body);
  };
  const Json first = page("?limit=1");
  ASSERT_EQ(first["workers"].size(), 1u);
  EXPECT_EQ(first["workers"][0]["id"], "w0");
  EXPECT_EQ(first["next_cursor"], "w:w0");
  const Json second = page("?limit=1&cursor=w:w0");
  ASSERT_EQ(second["workers"].size(), 1u);
  EXPECT_EQ(second["workers"][0]["id"], "w1");
  HttpRequest bad;
  bad.target = "/api/v1/workers?limit=0";
  EXPECT_EQ(MakeHttpTransport(http_)->Send(bad).status, 400);
  bad.target = "/api/v1/workers?cursor=7";
  EXPECT_EQ(MakeHttpTransport(http_)->Send(bad).status, 400);

  // A worker that goes away is listed as lost (for an hour), with what it did.
  workers_[1]->Kill(SIGKILL);
  workers_[1]->Wait(5s);
  std::string state;
  for (int i = 0; i < 200 && state != "lost"; ++i) {
    std::this_thread::sleep_for(100ms);
    for (const auto& w : client_->ListWorkers())
      if (w.id == "w1") state = w.state;
  }
  EXPECT_EQ(state, "lost");
}

TEST_F(CliCommandsTest, AFailedTrialsErrorIsPrintedOnce) {
  const std::string spec = WriteCommandSpec("echo 'bad input: x out of range' >&2; exit 3", 3, 1);
  const auto [code, out] = testing::RunCommand(krige_ + "run " + spec + " 2>&1");
  EXPECT_EQ(code, 1) << out;
  for (int n = 0; n < 3; ++n) {
    const std::string line = "trial #" + std::to_string(n) + " failed (attempt 1 on w";
    EXPECT_EQ(Count(out, line), 1) << line << "\n" << out;
  }
  // Each such line carries the trial's error (the experiment's own end may quote it again).
  std::istringstream lines(out);
  int with_error = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("trial #", 0) == 0 &&
        line.find("bad input: x out of range") != std::string::npos)
      ++with_error;
  EXPECT_EQ(with_error, 3) << out;
  // And `krige trial` shows that error in full.
  const std::int64_t id = client_->ListExperiments(1).front().id;
  const auto [code2, detail] = Krige("trial " + std::to_string(id) + " 1");
  EXPECT_EQ(code2, 0);
  EXPECT_THAT(detail, HasSubstr("state:    failed"));
  EXPECT_THAT(detail, HasSubstr("error:\n"));
  EXPECT_THAT(detail, HasSubstr("bad input: x out of range"));
}

TEST_F(CliCommandsTest, ValidateVersionAndDidYouMean) {
  const std::string bad = dir_.path() + "/bad.yaml";
  std::ofstream(bad) << "name: bad\nobjective: {metric: accuracy}\nmax_trails: 10\n"
                        "tuner: {name: gp, sed: 3}\n"
                        "space: {C: {type: float, low: 0, high: 1, log: true}}\n"
                        "training: {dataset: x.csv, model: logistic_regression, fold: 3}\n";
  const auto [code, problems] = Krige("validate " + bad + " 2>&1");
  EXPECT_EQ(code, 1) << problems;
  EXPECT_THAT(problems, HasSubstr("4 problems"));
  EXPECT_THAT(problems, HasSubstr("max_trails: unknown field (did you mean \"max_trials\"?)"));
  EXPECT_THAT(problems, HasSubstr("tuner.sed: unknown field (did you mean \"seed\"?)"));
  EXPECT_THAT(problems, HasSubstr("training.fold: unknown field (did you mean \"folds\"?)"));
  EXPECT_THAT(problems, HasSubstr("space.C.low: must be > 0 for log scale"));
  const auto [code2, ok] = Krige("validate " + WriteCvSpec(5) + " 2>&1");
  EXPECT_EQ(code2, 0) << ok;
  EXPECT_THAT(ok,
              HasSubstr("valid (2 parameters, tuner random, 5 trials, cv logistic_regression)"));
  // A dataset path that is not there is a problem of the spec here, before any upload.
  const std::string lost = dir_.path() + "/lost.yaml";
  std::ofstream(lost) << "name: lost\nobjective: {metric: accuracy}\n"
                         "space: {C: {type: float, low: 0.1, high: 1}}\n"
                         "training: {dataset: nowhere.csv, model: logistic_regression}\n";
  const auto [code3, unreadable] = Krige("validate " + lost + " 2>&1");
  EXPECT_EQ(code3, 1);
  EXPECT_THAT(unreadable,
              HasSubstr("training.dataset: cannot read " + dir_.path() + "/nowhere.csv"));
  // A hyperparameter the model does not have: every trial would fail, so it is a problem.
  const std::string typo = dir_.path() + "/typo.yaml";
  std::ofstream(typo) << "name: typo\nobjective: {metric: accuracy}\n"
                         "space: {gama: {type: float, low: 0.1, high: 1}}\n"
                         "training: {dataset: "
                      << testing::SourceDir() << "/examples/data/breast_cancer.csv, model: svc}\n";
  const auto [code_typo, typo_out] = Krige("validate " + typo + " 2>&1");
  EXPECT_EQ(code_typo, 1) << typo_out;
  EXPECT_THAT(typo_out, HasSubstr("space.gama: "));

  // run gets the same did-you-mean, from the server's decoder as much as the client's.
  const auto [code4, run] = Krige("run " + bad + " 2>&1");
  EXPECT_EQ(code4, 2) << run;
  EXPECT_THAT(run, HasSubstr("did you mean \"max_trials\"?"));
  Json j = ToJson(LoadSpecFile(WriteCvSpec(5)));
  j["paralelism"] = 2;
  HttpRequest post;
  post.method = "POST";
  post.target = "/api/v1/experiments";
  post.body = j.dump();
  const HttpResponse rejected = MakeHttpTransport(http_)->Send(post);
  EXPECT_EQ(rejected.status, 400);
  EXPECT_THAT(rejected.body, HasSubstr("unknown field (did you mean \\\"parallelism\\\"?)"));

  const auto [code5, version] = Krige("--version");
  EXPECT_EQ(code5, 0);
  EXPECT_THAT(version, ::testing::ContainsRegex("^krige [0-9]+\\.[0-9]+\\.[0-9]+"));
}

TEST_F(CliCommandsTest, OnATerminalWatchDrawsABarAndCtrlCSaysHowToComeBack) {
  // Trials of a second each: the bar has time to show a rate.
  const std::int64_t id = Detach(WriteCommandSpec("sleep 1; echo score=0.5", 4, 2));
  // A pseudo-terminal (util-linux script): the bar is redrawn in place.
  const auto [code, tty] =
      testing::RunCommand("script -qec '" + krige_ + "watch " + std::to_string(id) + "' /dev/null");
  EXPECT_EQ(code, 0) << tty;
  EXPECT_THAT(tty, HasSubstr("\r\033[K[####################] 4/4"));
  EXPECT_THAT(tty, HasSubstr("  ETA ")) << "a rate and an ETA once a trial has finished";
  EXPECT_THAT(tty, HasSubstr("best 0.5000 (#"));
  EXPECT_THAT(tty, HasSubstr("best trial #"));

  // An experiment no connected worker can run: watch says why it waits. Ctrl-C then: exit
  // 130, the experiment keeps running, and the way back is named.
  const std::string nobody = dir_.path() + "/function.yaml";
  std::ofstream(nobody) << "name: resnet\nobjective: {metric: loss, goal: minimize}\n"
                           "max_trials: 2\nspace: {x: {type: float, low: 0, high: 1}}\n"
                           "training: {kind: function, function: train_resnet}\n";
  const std::int64_t slow = Detach(nobody);
  ChildProcess watcher({"/bin/sh", "-c", "exec env " + krige_ + "watch " + std::to_string(slow)},
                       dir_.path() + "/watch.log");
  EXPECT_THAT(watcher.WaitForLine("waiting: ", 20s),
              HasSubstr("waiting for a worker that runs function:train_resnet"))
      << watcher.Log();
  ASSERT_NE(watcher.WaitForLine("[0/2]", 20s), "") << watcher.Log();
  watcher.Kill(SIGINT);
  EXPECT_EQ(watcher.Wait(10s), 130) << watcher.Log();
  EXPECT_THAT(watcher.Log(), HasSubstr("krige watch " + std::to_string(slow)));
  EXPECT_THAT(watcher.Log(), HasSubstr("krige stop " + std::to_string(slow)));
  EXPECT_EQ(client_->GetExperiment(slow).state, ExperimentState::kRunning);
}

}  // namespace
}  // namespace krige

namespace krige {
namespace {

TEST_F(CliCommandsTest, StopPauseResumeAndRm) {
  const std::int64_t id = Detach(WriteCommandSpec("sleep 1; echo score=0.5", 20, 2));
  const std::string ids = std::to_string(id);
  const auto [code, paused] = Krige("pause " + ids + " 2>&1");
  ASSERT_EQ(code, 0) << paused;
  EXPECT_THAT(paused, HasSubstr("experiment #" + ids + " \"cmd\": paused"));
  EXPECT_EQ(client_->GetExperiment(id).state, ExperimentState::kPaused);
  const auto [code2, resumed] = Krige("resume " + ids + " 2>&1");
  ASSERT_EQ(code2, 0) << resumed;
  EXPECT_THAT(resumed, HasSubstr(": running"));
  const auto [code3, stopped] = Krige("stop " + ids + " 2>&1");
  ASSERT_EQ(code3, 0) << stopped;
  EXPECT_THAT(stopped, HasSubstr(": stopped"));
  EXPECT_EQ(client_->GetExperiment(id).state, ExperimentState::kStopped);
  // Watching a stopped experiment ends at once, with its state, exit 1.
  const auto [code4, watched] = Krige("watch " + ids + " 2>&1");
  EXPECT_EQ(code4, 1) << watched;
  EXPECT_THAT(watched, HasSubstr("experiment #" + ids + " stopped"));
  const auto [code5, removed] = Krige("rm " + ids + " 2>&1");
  ASSERT_EQ(code5, 0) << removed;
  EXPECT_THAT(removed, HasSubstr("experiment #" + ids + " deleted"));
  const auto [code6, gone] = Krige("show " + ids + " 2>&1");
  EXPECT_EQ(code6, 1) << gone;
  EXPECT_THAT(gone, HasSubstr("no experiment " + ids));
  const auto [code7, unknown] = Krige("stop 999 2>&1");
  EXPECT_EQ(code7, 1) << unknown;
}

}  // namespace
}  // namespace krige
