// The SDK's Tracker against a real krige-server and PostgreSQL: a run with params, tags, steps
// and an artifact; and a user program that keeps logging while the server is killed and
// started again, whose 10 000 points all arrive, once each.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "krige/tracker.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(0, "server.log"); }
  void TearDown() override {
    if (HasFailure())
      for (const char* log : {"server.log", "server2.log", "program.log"}) {
        std::ifstream in(dir_.path() + "/" + log);
        if (in) std::cout << "--- " << log << "\n" << in.rdbuf() << "\n";
      }
  }

  // krige-server on 127.0.0.1:`port` (0: any; a restart passes the first one's port, so
  // clients find it where it was).
  void Start(int port, const std::string& log) {
    server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-server", "--database-url", db_.url(),
                                 "--http", "127.0.0.1:" + std::to_string(port), "--zmq",
                                 "tcp://127.0.0.1:*", "--auth", "off", "--artifact-root",
                                 dir_.path() + "/artifacts"},
        dir_.path() + "/" + log);
    const std::string line = server_->WaitForLine("krige-server listening", 30s);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, std::regex("http=(\\S+):(\\d+) "))) << server_->Log();
    http_ = m[1].str() + ":" + m[2].str();
    port_ = std::stoi(m[2].str());
  }

  Tracker MakeTracker() { return Tracker(Client::Connect(http_, 10s, "")); }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::string http_;
  int port_ = 0;
};

TEST_F(TrackerTest, ARunLogsStepsParamsTagsAndAnArtifact) {
  Tracker tracker = MakeTracker();
  const std::string model = dir_.path() + "/model.bin";
  std::ofstream(model, std::ios::binary) << std::string("\x01\x02weights\x00\xff", 11);
  std::int64_t id = 0;
  {
    krige::Run run = tracker.StartRun("sdk", {{"lr", "0.1"}}, {{"team", "x"}}, "first");
    id = run.id();
    for (int step = 0; step < 2500; ++step) run.LogMetric("loss", 1.0 / (1 + step), step);
    run.LogMetric("odd", std::nan(""), 0);
    run.LogParam("layers", "3");
    run.SetTag("note", "a note");
    run.LogArtifact("models/model.bin", model);
    EXPECT_THROW(run.LogMetric("", 1.0), Error);
    // The destructor flushes and ends the run (finished).
  }
  const RunInfo info = tracker.GetRun(id);
  EXPECT_EQ(info.name, "first");
  EXPECT_EQ(info.status, RunStatus::kFinished);
  EXPECT_EQ(info.params.at("lr"), "0.1");
  EXPECT_EQ(info.params.at("layers"), "3");
  EXPECT_EQ(info.tags.at("team"), "x");
  EXPECT_EQ(info.tags.at("note"), "a note");
  EXPECT_EQ(info.latest_metrics.at("loss").step, 2499);
  EXPECT_TRUE(std::isnan(info.latest_metrics.at("odd").value));
  const auto history = tracker.MetricHistory(id, "loss");
  ASSERT_EQ(history.size(), 2500u);
  for (int i = 0; i < 2500; ++i) EXPECT_EQ(history[i].step, i);
  // Search sees it; the artifact comes back byte for byte.
  RunQuery query;
  query.experiment_names = {"sdk"};
  query.filter = "metrics.loss < 0.001 and params.lr = '0.1'";
  ASSERT_EQ(tracker.SearchRuns(query).size(), 1u);
  HttpRequest get;
  get.target = "/api/v1/runs/" + std::to_string(id) + "/artifacts/models/model.bin";
  EXPECT_EQ(tracker.client().transport()->Send(get).body,
            std::string("\x01\x02weights\x00\xff", 11));

  // The CLI reads the same: the runs table (filtered), CSV, JSON, and one run.
  const std::string krige = testing::BinDir() + "/krige --server " + http_ + " --token '' ";
  auto [rc, table] = testing::RunCommand(krige + "runs sdk --filter \"params.lr = '0.1'\" 2>&1");
  EXPECT_EQ(rc, 0) << table;
  EXPECT_THAT(table, ::testing::HasSubstr("first"));
  EXPECT_THAT(table, ::testing::HasSubstr("loss=0.0004"));
  EXPECT_THAT(table, ::testing::HasSubstr("team=x"));
  std::tie(rc, table) = testing::RunCommand(krige + "runs sdk --filter \"params.lr = '9'\" 2>&1");
  EXPECT_THAT(table, ::testing::HasSubstr("no runs"));
  std::tie(rc, table) = testing::RunCommand(krige + "runs sdk --csv 2>&1");
  EXPECT_THAT(table,
              ::testing::StartsWith("id,name,status,start_time,end_time,params.layers,"
                                    "params.lr,metrics.loss,metrics.odd,tags.note,tags.team\n"));
  EXPECT_THAT(table, ::testing::HasSubstr(",NaN,a note,x\n"));
  std::tie(rc, table) = testing::RunCommand(krige + "runs sdk --json 2>&1");
  EXPECT_EQ(Json::parse(table).at(0).at("id"), id);
  std::tie(rc, table) = testing::RunCommand(krige + "run-show " + std::to_string(id) + " 2>&1");
  EXPECT_EQ(rc, 0) << table;
  EXPECT_THAT(table, ::testing::HasSubstr("status:  finished"));
  EXPECT_THAT(table, ::testing::HasSubstr("models/model.bin (11 bytes)"));
  std::tie(rc, table) = testing::RunCommand(krige + "run-show 99999 2>&1");
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(table, ::testing::HasSubstr("no run 99999"));
}

TEST_F(TrackerTest, TenThousandPointsSurviveAServerRestartInTheMiddle) {
  // The program logs a point every 300 us (about 3 s in all), flushing every 200 ms.
  ChildProcess program(
      {testing::BinDir() + "/tracking_log_points", http_, "restart", "10000", "300"},
      dir_.path() + "/program.log");
  const std::string started = program.WaitForLine("run ", 30s);
  ASSERT_FALSE(started.empty()) << program.Log();
  const std::int64_t id = std::stoll(started.substr(started.find("run ") + 4));
  ASSERT_FALSE(program.WaitForLine("logged 2000", 60s).empty()) << program.Log();

  // SIGKILL: a batch may have been committed without its answer reaching the program; the
  // retry must not store it twice.
  server_->Kill(SIGKILL);
  server_->Wait(10s);
  std::this_thread::sleep_for(500ms);  // the program keeps logging meanwhile
  EXPECT_EQ(program.Log().find("done"), std::string::npos) << "the restart was not in the middle";
  Start(port_, "server2.log");

  ASSERT_EQ(program.Wait(120s), 0) << program.Log();
  EXPECT_THAT(program.Log(), ::testing::HasSubstr("done sent=10000 dropped=0"));
  Tracker tracker = MakeTracker();
  const auto history = tracker.MetricHistory(id, "loss");
  ASSERT_EQ(history.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(history[i].step, i);
    ASSERT_DOUBLE_EQ(history[i].value, 1.0 / (1 + i));
  }
  EXPECT_EQ(tracker.GetRun(id).status, RunStatus::kFinished);
}

}  // namespace
}  // namespace krige
