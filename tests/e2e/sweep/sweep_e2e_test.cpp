// The whole path on 127.0.0.1: a real krige-server, real krige-worker processes over ZeroMQ,
// a real PostgreSQL. Specs go in through the REST API; the database is checked directly.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartServer("", "server.log");
    for (int i = 0; i < 2; ++i) StartWorker(i);
  }

  // A failure in CI must be diagnosable from its output alone.
  void TearDown() override {
    if (HasFailure()) std::cout << Logs();
  }

  // (Re)starts the coordinator; `zmq` empty: any port, else that endpoint (a restart keeps it,
  // so the workers find the new coordinator by themselves).
  void StartServer(const std::string& zmq, const std::string& log) {
    auto server =
        testing::StartServer(db_.url(), dir_.path() + "/" + log, testing::Auth::kOff,
                             {"--lease-seconds", "4"}, zmq.empty() ? "tcp://127.0.0.1:*" : zmq);
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    transport_ = MakeHttpTransport(http_, std::chrono::seconds(30));
    client_ = std::make_unique<Client>(transport_);
  }

  void StartWorker(int i) {
    workers_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_, "--slots",
                                 "1", "--id", "w" + std::to_string(i)},
        dir_.path() + "/worker" + std::to_string(i) + ".log"));
  }

  ExperimentSpec BreastCancerSpec(int max_trials, std::uint64_t seed) {
    ExperimentSpec spec =
        LoadSpecFile(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
    spec.training.dataset = testing::SourceDir() + "/examples/data/breast_cancer.csv";
    spec.max_trials = max_trials;
    spec.tuner.seed = seed;
    return spec;
  }

  Experiment WaitDone(std::int64_t id, std::chrono::seconds timeout) {
    return testing::WaitDone(*client_, id, timeout);
  }

  std::string Logs() const {
    std::string out;
    for (const char* name : {"server.log", "server2.log", "worker0.log", "worker1.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      if (in)
        out +=
            std::string("--- ") + name + "\n" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  // Counts straight from the database: what the API says is not taken on trust.
  struct Stored {
    int trials = 0, completed = 0, distinct_numbers = 0, with_five_folds = 0;
  };
  Stored Inspect(std::int64_t experiment_id, const std::string& metric) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    Stored s;
    const auto row = w.exec_params1(
        "SELECT count(*), count(*) FILTER (WHERE state = 'completed'), count(DISTINCT number) "
        "FROM trials WHERE experiment_id = $1",
        experiment_id);
    s.trials = row[0].as<int>();
    s.completed = row[1].as<int>();
    s.distinct_numbers = row[2].as<int>();
    s.with_five_folds = w.exec_params1(
                             "SELECT count(*) FROM (SELECT t.id FROM trials t JOIN "
                             "trial_metrics m ON m.trial_id = t.id AND m.key = $2 WHERE "
                             "t.experiment_id = $1 AND t.state = 'completed' GROUP BY t.id "
                             "HAVING count(DISTINCT m.step) = 5) x",
                             experiment_id, metric)[0]
                            .as<int>();
    return s;
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::string http_, zmq_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
};

TEST_F(SweepTest, ThirtyTrialSweepCompletesWithFiveFoldScoresEach) {
  const Experiment created = client_->CreateExperiment(BreastCancerSpec(30, 7));
  const Experiment done = WaitDone(created.id, 180s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted) << Logs();
  EXPECT_EQ(done.counts.completed, 30);
  ASSERT_TRUE(done.best);
  EXPECT_GT(*done.best->value, 0.95) << "logistic regression on breast cancer";
  const Stored s = Inspect(created.id, "accuracy");
  EXPECT_EQ(s.trials, 30);
  EXPECT_EQ(s.completed, 30);
  EXPECT_EQ(s.distinct_numbers, 30);
  EXPECT_EQ(s.with_five_folds, 30);
  // Both workers took part.
  const auto trials = client_->ListTrials(created.id);
  std::set<std::string> used;
  for (const auto& t : trials) used.insert(t.worker);
  EXPECT_EQ(used, (std::set<std::string>{"w0", "w1"}));
}

// tpe and cmaes are accepted by the server and run through the scheduler like the others: past
// their random start the suggestions come from the model, and each experiment ends complete.
TEST_F(SweepTest, TpeAndCmaesExperimentsRunToCompletion) {
  std::vector<std::int64_t> ids;
  for (const char* name : {"tpe", "cmaes"}) {
    ExperimentSpec spec = BreastCancerSpec(16, 3);
    spec.tuner.name = name;
    spec.tuner.options["n_startup_trials"] = 4;
    ids.push_back(client_->CreateExperiment(spec).id);
  }
  for (const std::int64_t id : ids) {
    const Experiment done = WaitDone(id, 180s);
    ASSERT_EQ(done.state, ExperimentState::kCompleted) << done.spec.tuner.name << Logs();
    const Stored s = Inspect(id, "accuracy");
    EXPECT_EQ(s.completed, 16) << done.spec.tuner.name;
    EXPECT_EQ(s.distinct_numbers, 16) << done.spec.tuner.name;
    ASSERT_TRUE(done.best);
    EXPECT_GT(*done.best->value, 0.95) << done.spec.tuner.name;
  }
}

TEST_F(SweepTest, AKilledWorkerLosesNothingAndDuplicatesNothing) {
  ExperimentSpec spec = BreastCancerSpec(30, 11);
  spec.training.repeats = 4;  // slower trials: the kill lands mid-trial
  const Experiment created = client_->CreateExperiment(spec);
  // Kill worker 0 in the middle of a trial, once a few trials are in.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  std::optional<Trial> victim;
  while (!victim && std::chrono::steady_clock::now() < deadline) {
    if (client_->GetExperiment(created.id).counts.completed >= 5) {
      for (const auto& t :
           client_->ListTrials(created.id, TrialSort::kNumber, 0, TrialState::kRunning))
        if (t.worker == "w0") victim = t;
    }
    if (!victim) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(victim) << Logs();
  workers_[0]->Kill(SIGKILL);
  ASSERT_EQ(workers_[0]->Wait(10s), 128 + SIGKILL);

  const Experiment done = WaitDone(created.id, 240s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted) << Logs();
  const Stored s = Inspect(created.id, "accuracy");
  EXPECT_EQ(s.trials, 30);
  EXPECT_EQ(s.completed, 30);
  EXPECT_EQ(s.distinct_numbers, 30);
  // 4 repeats x 5 folds: 20 steps, each stored once.
  pqxx::connection c(db_.url());
  pqxx::read_transaction w(c);
  EXPECT_EQ(w.exec_params1("SELECT count(*) FROM trial_metrics m JOIN trials t ON t.id = "
                           "m.trial_id WHERE t.experiment_id = $1 AND m.key = 'accuracy'",
                           created.id)[0]
                .as<int>(),
            30 * 20);
  // The trial w0 held when it died was finished: by w1 on a later attempt (the usual case),
  // or by w0 itself if its result got out just before the kill. Every retried trial ran on w1.
  const HttpResponse got =
      transport_->Send({"GET", "/api/v1/trials/" + std::to_string(victim->id), "", {}});
  ASSERT_EQ(got.status, 200) << got.body;
  const Trial after = TrialFromJson(Json::parse(got.body));
  EXPECT_EQ(after.state, TrialState::kCompleted);
  EXPECT_TRUE((after.attempt == 2 && after.worker == "w1") ||
              (after.attempt == 1 && after.worker == "w0"))
      << "attempt " << after.attempt << " on " << after.worker;
  EXPECT_EQ(w.exec_params1("SELECT count(*) FROM trials WHERE experiment_id = $1 AND "
                           "attempt > 1 AND worker <> 'w1'",
                           created.id)[0]
                .as<int>(),
            0);
  std::cout << "requeued trials: "
            << w.exec_params1(
                    "SELECT count(*) FROM trials WHERE experiment_id = $1 AND "
                    "attempt > 1",
                    created.id)[0]
                   .as<int>()
            << "\n";
}

TEST_F(SweepTest, ACoordinatorCrashLosesNothingAndTheSearchContinuesAsIfUninterrupted) {
  ExperimentSpec spec = BreastCancerSpec(30, 21);
  spec.training.repeats = 4;
  const Experiment created = client_->CreateExperiment(spec);
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (client_->GetExperiment(created.id).counts.completed < 8 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  server_->Kill(SIGKILL);
  ASSERT_EQ(server_->Wait(10s), 128 + SIGKILL);
  const std::string endpoint = zmq_;
  StartServer(endpoint, "server2.log");  // same database, same worker endpoint

  const Experiment done = WaitDone(created.id, 240s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted) << Logs();
  const Stored s = Inspect(created.id, "accuracy");
  EXPECT_EQ(s.trials, 30);
  EXPECT_EQ(s.completed, 30);
  EXPECT_EQ(s.distinct_numbers, 30);
  // The tuner's state was rebuilt from the store: the same configurations, number by number,
  // as an experiment with the same seed that was never interrupted.
  spec.training.repeats = 1;  // training settings do not change what the tuner proposes
  const Experiment reference = client_->CreateExperiment(spec);
  ASSERT_EQ(WaitDone(reference.id, 240s).state, ExperimentState::kCompleted) << Logs();
  std::vector<Params> crashed, uninterrupted;
  for (const auto& t : client_->ListTrials(created.id)) crashed.push_back(t.params);
  for (const auto& t : client_->ListTrials(reference.id)) uninterrupted.push_back(t.params);
  EXPECT_EQ(crashed, uninterrupted);
}

TEST_F(SweepTest, TheSameSeedGivesTheSameConfigurations) {
  const Experiment a = client_->CreateExperiment(BreastCancerSpec(8, 5));
  const Experiment b = client_->CreateExperiment(BreastCancerSpec(8, 5));
  const Experiment c = client_->CreateExperiment(BreastCancerSpec(8, 6));
  for (const auto& e : {a, b, c})
    ASSERT_EQ(WaitDone(e.id, 120s).state, ExperimentState::kCompleted) << Logs();
  auto params = [&](std::int64_t id) {
    std::vector<Params> out;
    for (const auto& t : client_->ListTrials(id)) out.push_back(t.params);
    return out;
  };
  EXPECT_EQ(params(a.id).size(), 8u);
  EXPECT_EQ(params(a.id), params(b.id));
  EXPECT_NE(params(a.id), params(c.id));
}

TEST_F(SweepTest, BadSpecsAreAnsweredWithEveryProblem) {
  const Json good = ToJson(BreastCancerSpec(5, 1));
  struct Case {
    std::function<void(Json&)> edit;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {[](Json& j) { j["space"]["C"]["low"] = -1; }, {"space.C.low"}},
      {[](Json& j) {
         j.erase("name");
         j["max_trials"] = 0;
       },
       {"name", "max_trials"}},
      {[](Json& j) { j["tuner"]["name"] = "magic"; }, {"tuner.name"}},
      {[](Json& j) {
         j["training"]["model"] = "svm9000";
         j["objective"]["metric"] = "rmse";
       },
       {"training.model", "objective.metric"}},
      {[](Json& j) {
         j["space"]["penalty"] = {{"type", "categorical"}, {"values", Json::array()}};
         j["space"]["k"] = {{"type", "int"}, {"low", 5}, {"high", 1}};
       },
       {"space.penalty.values", "space.k.high"}},
  };
  for (const auto& c : cases) {
    Json spec = good;
    c.edit(spec);
    const HttpResponse r = transport_->Send({"POST", "/api/v1/experiments", spec.dump(), {}});
    ASSERT_EQ(r.status, 400) << r.body;
    const Json body = Json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "invalid_argument");
    std::vector<std::string> fields;
    for (const auto& p : body["error"]["problems"]) {
      fields.push_back(p["field"]);
      EXPECT_FALSE(p["message"].get<std::string>().empty());
    }
    EXPECT_THAT(fields, ::testing::UnorderedElementsAreArray(c.fields)) << r.body;
  }
  const HttpResponse r = transport_->Send({"POST", "/api/v1/experiments", "{\"name\": ", {}});
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "invalid_argument");
  EXPECT_THAT(Json::parse(r.body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("malformed JSON"));
  // Nothing was stored.
  EXPECT_TRUE(client_->ListExperiments().empty());
}

}  // namespace
}  // namespace krige
