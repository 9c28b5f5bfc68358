// Control of experiments end to end: a real krige-server, real krige-worker processes running
// commands, a real PostgreSQL. Stop (the trials' processes are gone within 2 s), pause (running
// trials finish, none are handed out, a restarted server keeps it paused), resume (the same
// configuration sequence as an uninterrupted run), delete (the rows are gone), the refusals
// (404, 409) and max_failed_trials; unknown hyperparameters and tuner options are refused at
// submission.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using ::testing::HasSubstr;

bool Alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartServer("tcp://127.0.0.1:*", "server.log");
    for (int i = 0; i < 2; ++i) {
      workers_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_,
                                   "--slots", "1", "--id", "w" + std::to_string(i),
                                   "--allow-commands"},
          dir_.path() + "/worker" + std::to_string(i) + ".log"));
    }
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* name : {"server.log", "server2.log", "worker0.log", "worker1.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      if (in)
        std::cout << "--- " << name << "\n" << std::string(std::istreambuf_iterator<char>(in), {});
    }
  }

  void StartServer(const std::string& zmq, const std::string& log) {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/" + log, testing::Auth::kOff,
                                       {"--lease-seconds", "4"}, zmq);
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    transport_ = MakeHttpTransport(http_, std::chrono::seconds(30));
    client_ = std::make_unique<Client>(transport_);
  }

  // A command experiment over one float `x` (random search, seed 5): `script` runs under sh
  // with $1 = x and $2 = the trial's number.
  ExperimentSpec CommandSpec(const std::string& name, int max_trials, int parallelism,
                             const std::string& script) {
    ExperimentSpec spec = SpecFromJson(
        Json{{"name", name},
             {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
             {"tuner", {{"name", "random"}, {"seed", 5}}},
             {"max_trials", max_trials},
             {"parallelism", parallelism},
             {"space", {{"x", {{"type", "float"}, {"low", 0}, {"high", 1}}}}},
             {"training",
              {{"kind", "command"}, {"command", {"sh", "-c", script, "sh", "{x}", "{number}"}}}}});
    return spec;
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    return transport_->Send(request);
  }

  template <typename Pred>
  Experiment WaitFor(std::int64_t id, Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Experiment e = client_->GetExperiment(id);
    while (!pred(e) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      e = client_->GetExperiment(id);
    }
    return e;
  }

  // The pids the trials' commands wrote (one file per trial number).
  std::vector<pid_t> Pids(int expected, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::vector<pid_t> pids;
      for (int n = 0; n < 100; ++n) {
        std::ifstream in(dir_.path() + "/pid." + std::to_string(n));
        pid_t pid = 0;
        if (in >> pid) pids.push_back(pid);
      }
      if (static_cast<int>(pids.size()) >= expected || std::chrono::steady_clock::now() > deadline)
        return pids;
      std::this_thread::sleep_for(50ms);
    }
  }

  std::vector<Params> ParamsByNumber(std::int64_t id) {
    std::vector<Params> out;
    for (const Trial& t : client_->ListTrials(id)) {
      EXPECT_EQ(t.number, static_cast<int>(out.size()));
      out.push_back(t.params);
    }
    return out;
  }

  int Sql(const std::string& query, std::int64_t id) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    return w.exec_params1(query, id)[0].as<int>();
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::string http_, zmq_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
};

TEST_F(ControlTest, StopKillsTheRunningTrialsProcessesAndHandsOutNoMore) {
  // Each trial writes its pid and becomes a 60 s sleep.
  const Experiment e = client_->CreateExperiment(
      CommandSpec("stop", 20, 2, "echo $$ > '" + dir_.path() + "/pid.'$2; exec sleep 60"));
  const std::vector<pid_t> pids = Pids(2, 20s);
  ASSERT_EQ(pids.size(), 2u) << "two trials running";
  for (const pid_t pid : pids) ASSERT_TRUE(Alive(pid));

  const auto stop_at = std::chrono::steady_clock::now();
  const Experiment stopped = client_->Stop(e.id);
  EXPECT_EQ(stopped.state, ExperimentState::kStopped);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() - stop_at < 2s) {
    gone = !Alive(pids[0]) && !Alive(pids[1]);
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone) << "the trials' processes outlived the stop by 2 s";
  std::cout << "processes gone "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - stop_at)
                   .count()
            << " ms after the stop\n";

  EXPECT_EQ(client_->Stop(e.id).state, ExperimentState::kStopped) << "a repeated stop is a 200";
  std::this_thread::sleep_for(1500ms);
  const Experiment later = client_->GetExperiment(e.id);
  EXPECT_EQ(later.state, ExperimentState::kStopped);
  EXPECT_EQ(later.counts.total(), 2) << "no trial after the stop";
  EXPECT_EQ(later.counts.failed, 2);
  for (const Trial& t : client_->ListTrials(e.id)) {
    EXPECT_EQ(t.state, TrialState::kFailed);
    EXPECT_EQ(t.error, "experiment stopped");
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM trials WHERE experiment_id = $1 AND state IN "
                "('queued', 'running')",
                e.id),
            0);
}

TEST_F(ControlTest, PauseFinishesRunningTrialsSurvivesARestartAndResumeKeepsTheSequence) {
  // The reference: the same seed, never interrupted.
  const Experiment plain = client_->CreateExperiment(CommandSpec("plain", 6, 1, "echo loss=$1"));
  ASSERT_EQ(client_->Wait(plain.id, {}, 100ms).state, ExperimentState::kCompleted);
  const std::vector<Params> reference = ParamsByNumber(plain.id);
  ASSERT_EQ(reference.size(), 6u);

  const Experiment e = client_->CreateExperiment(CommandSpec(
      "paused", 6, 1, "echo $$ > '" + dir_.path() + "/pid.'$2; sleep 0.6; echo loss=$1"));
  // Paused while trial 1 runs: it finishes and is recorded, nothing else starts.
  ASSERT_EQ(Pids(2, 20s).size(), 2u);
  const Experiment paused = client_->Pause(e.id);
  EXPECT_EQ(paused.state, ExperimentState::kPaused);
  EXPECT_EQ(client_->Pause(e.id).state, ExperimentState::kPaused) << "a repeated pause is a 200";
  const Experiment settled = WaitFor(
      e.id, [](const Experiment& x) { return x.counts.running == 0; }, 5s);
  EXPECT_EQ(settled.counts.running, 0);
  EXPECT_EQ(settled.counts.failed, 0) << "pause stops no trial";
  const int done = settled.counts.completed;
  EXPECT_GE(done, 2);

  // A restarted coordinator keeps it paused (the workers find it on the same endpoint).
  server_->Kill(SIGTERM);
  ASSERT_EQ(server_->Wait(10s), 0);
  StartServer(zmq_, "server2.log");
  std::this_thread::sleep_for(1500ms);
  const Experiment after_restart = client_->GetExperiment(e.id);
  EXPECT_EQ(after_restart.state, ExperimentState::kPaused);
  EXPECT_EQ(after_restart.counts.total(), done) << "a paused experiment hands out no trial";

  EXPECT_EQ(client_->Resume(e.id).state, ExperimentState::kRunning);
  int polls = 0;
  const Experiment finished = client_->Wait(
      e.id, [&polls](const Experiment&) { ++polls; }, 100ms);
  EXPECT_EQ(finished.state, ExperimentState::kCompleted);
  EXPECT_GT(polls, 0);
  EXPECT_EQ(finished.counts.completed, 6);
  EXPECT_EQ(ParamsByNumber(e.id), reference) << "resume continues the same configurations";
}

TEST_F(ControlTest, DeleteRemovesTheRowsAndRefusalsUseTheErrorShape) {
  const Experiment e = client_->CreateExperiment(CommandSpec("gone", 3, 1, "echo step=1 loss=$1"));
  ASSERT_EQ(client_->Wait(e.id, {}, 100ms).state, ExperimentState::kCompleted);
  ASSERT_EQ(Sql("SELECT count(*) FROM trial_metrics m JOIN trials t ON t.id = m.trial_id "
                "WHERE t.experiment_id = $1",
                e.id),
            3);

  // 409: a completed experiment cannot be paused, resumed or stopped.
  for (const char* verb : {"pause", "resume", "stop"}) {
    const HttpResponse r = Send("POST", "/api/v1/experiments/" + std::to_string(e.id) + "/" + verb);
    EXPECT_EQ(r.status, 409) << verb;
    const Json body = Json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "failed_precondition") << r.body;
    EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("completed"));
  }
  try {
    client_->Pause(e.id);
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kFailedPrecondition);
  }

  const HttpResponse deleted = Send("DELETE", "/api/v1/experiments/" + std::to_string(e.id));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(Sql("SELECT count(*) FROM experiments WHERE id = $1", e.id), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM trials WHERE experiment_id = $1", e.id), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM trial_metrics WHERE $1 > 0", e.id), 0)
      << "its trials' metrics went with them";

  // 404 for what does not exist (any more).
  for (const char* verb : {"pause", "resume", "stop"})
    EXPECT_EQ(Send("POST", "/api/v1/experiments/" + std::to_string(e.id) + "/" + verb).status, 404)
        << verb;
  EXPECT_EQ(Send("DELETE", "/api/v1/experiments/" + std::to_string(e.id)).status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/experiments/" + std::to_string(e.id)).status, 404);
  EXPECT_EQ(Send("POST", "/api/v1/experiments/999999/stop").status, 404);

  // Deleting a running experiment stops it first.
  const Experiment running = client_->CreateExperiment(
      CommandSpec("running", 10, 2, "echo $$ > '" + dir_.path() + "/pid.'$2; exec sleep 60"));
  const std::vector<pid_t> pids = Pids(2, 20s);
  ASSERT_EQ(pids.size(), 2u);
  client_->Delete(running.id);
  EXPECT_EQ(Sql("SELECT count(*) FROM trials WHERE experiment_id = $1", running.id), 0);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while ((Alive(pids[0]) || Alive(pids[1])) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(Alive(pids[0]) || Alive(pids[1])) << "deleting stops its trials";
}

TEST_F(ControlTest, ConsecutiveFailuresFailTheExperimentWithTheirError) {
  ExperimentSpec spec = CommandSpec("broken", 50, 1, "echo 'no such file: data.csv' >&2; exit 3");
  spec.max_failed_trials = 3;
  const Experiment e = client_->CreateExperiment(spec);
  const Experiment failed = client_->Wait(e.id, {}, 100ms);
  EXPECT_EQ(failed.state, ExperimentState::kFailed);
  EXPECT_EQ(failed.counts.failed, 3) << "not the whole budget of 50";
  EXPECT_THAT(failed.error, HasSubstr("3 trials failed before any succeeded"));
  EXPECT_THAT(failed.error, HasSubstr("no such file: data.csv"));
  const Json raw = client_->GetExperimentJson(e.id);
  EXPECT_EQ(raw["error"], failed.error);
  EXPECT_EQ(raw["spec"]["max_failed_trials"], 3);
}

TEST_F(ControlTest, UnknownHyperparametersAndTunerOptionsAreRefusedWithTheirFields) {
  Json spec = ToJson(LoadSpecFile(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml"));
  spec["training"]["dataset"] = testing::SourceDir() + "/examples/data/breast_cancer.csv";
  spec["space"]["gama"] = {{"type", "float"}, {"low", 0.1}, {"high", 1}};
  spec["training"]["params"] = {{"max_iter", 100}};
  spec["tuner"]["options"] = {{"n_initail", 5}};
  const HttpResponse r = Send("POST", "/api/v1/experiments", spec.dump());
  ASSERT_EQ(r.status, 400) << r.body;
  const Json body = Json::parse(r.body);
  std::map<std::string, std::string> problems;
  for (const auto& p : body["error"]["problems"]) problems[p["field"]] = p["message"];
  ASSERT_TRUE(problems.count("space.gama")) << r.body;
  EXPECT_THAT(problems["space.gama"],
              HasSubstr("logistic_regression has no hyperparameter 'gama' (it has C, penalty"));
  ASSERT_TRUE(problems.count("training.params.max_iter")) << r.body;
  ASSERT_TRUE(problems.count("tuner.options.n_initail")) << r.body;
  EXPECT_THAT(problems["tuner.options.n_initail"], HasSubstr("random has no option"));
  EXPECT_EQ(Sql("SELECT count(*) FROM experiments WHERE $1 > 0", 1), 0) << "nothing stored";

  // max_failed_trials is bounded.
  Json bounded = ToJson(CommandSpec("bounded", 5, 1, "true"));
  bounded["max_failed_trials"] = -1;
  const HttpResponse negative = Send("POST", "/api/v1/experiments", bounded.dump());
  EXPECT_EQ(negative.status, 400);
  EXPECT_THAT(negative.body, HasSubstr("max_failed_trials"));

  // The gp's own options pass.
  spec = ToJson(LoadSpecFile(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml"));
  spec["training"]["dataset"] = testing::SourceDir() + "/examples/data/breast_cancer.csv";
  spec["tuner"] = {{"name", "gp"}, {"seed", 1}, {"options", {{"n_initial", 4}}}};
  spec["max_trials"] = 1;
  EXPECT_EQ(Send("POST", "/api/v1/experiments", spec.dump()).status, 201);
}

}  // namespace
}  // namespace krige
