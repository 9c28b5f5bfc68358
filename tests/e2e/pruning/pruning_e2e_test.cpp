// Early stopping on the real stack: krige-server, krige-worker processes over ZeroMQ, a real
// PostgreSQL. Pruned trials end `pruned` with fewer steps stored than a full trial, and a
// pruned command's processes are gone.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// No such process, or a zombie nobody reaped yet (it runs nothing).
bool Gone(int pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  stat >> pid_field >> name >> state;
  return state == "Z";
}

class PruningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff,
                                       {"--lease-seconds", "4"});
    server_ = std::move(server.process);
    zmq_ = server.zmq;
    transport_ = MakeHttpTransport(server.http, std::chrono::seconds(30));
    client_ = std::make_unique<Client>(transport_);
    for (int i = 0; i < 2; ++i)
      workers_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_,
                                   "--slots", "1", "--id", "w" + std::to_string(i),
                                   "--allow-commands"},
          dir_.path() + "/worker" + std::to_string(i) + ".log"));
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* name : {"server.log", "worker0.log", "worker1.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      std::cout << "--- " << name << "\n" << std::string(std::istreambuf_iterator<char>(in), {});
    }
  }

  // trial id -> (state, steps stored for `metric`), straight from the database.
  std::map<std::int64_t, std::pair<std::string, int>> Stored(std::int64_t experiment,
                                                             const std::string& metric) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    std::map<std::int64_t, std::pair<std::string, int>> out;
    for (const auto& row : w.exec_params(
             "SELECT t.id, t.state, count(m.step) FROM trials t LEFT JOIN trial_metrics m ON "
             "m.trial_id = t.id AND m.key = $2 WHERE t.experiment_id = $1 GROUP BY t.id",
             experiment, metric))
      out[row[0].as<std::int64_t>()] = {row[1].as<std::string>(), row[2].as<int>()};
    return out;
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::string zmq_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
};

TEST_F(PruningTest, FoldsPrunerStopsHopelessCvTrialsBetweenFolds) {
  ExperimentSpec spec = LoadSpecFile(testing::SourceDir() + "/examples/svc_breast_cancer.yaml");
  spec.training.dataset = testing::SourceDir() + "/examples/data/breast_cancer.csv";
  spec.training.folds = 10;
  spec.max_trials = 16;
  spec.tuner.seed = 5;
  // A wide space: many configurations are hopeless (majority-class accuracy) from fold 1 on.
  Json j = ToJson(spec);
  j["space"] = {{"C", {{"type", "float"}, {"low", 1e-4}, {"high", 1e3}, {"log", true}}},
                {"gamma", {{"type", "float"}, {"low", 1e-5}, {"high", 1e2}, {"log", true}}}};
  j["pruner"] = {{"name", "folds"}};
  const Experiment created = client_->CreateExperiment(SpecFromJson(j));
  const Experiment done = testing::WaitDone(*client_, created.id, 120s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted);
  EXPECT_EQ(done.counts.total(), 16) << "pruned trials count toward max_trials";
  EXPECT_GT(done.counts.pruned, 0);
  EXPECT_GT(done.counts.completed, 0);
  // The API says pruned, with the last reported value and the pruner's reason.
  int pruned_in_api = 0;
  for (const Trial& t : client_->ListTrials(created.id)) {
    if (t.state != TrialState::kPruned) continue;
    ++pruned_in_api;
    EXPECT_TRUE(t.value.has_value());
    EXPECT_NE(t.error.find("by folds"), std::string::npos) << t.error;
  }
  EXPECT_EQ(pruned_in_api, done.counts.pruned);
  for (const auto& [id, stored] : Stored(created.id, "accuracy")) {
    if (stored.first == "pruned") {
      EXPECT_LT(stored.second, 10) << "trial " << id;
      EXPECT_GE(stored.second, 1) << "trial " << id;
    } else {
      EXPECT_EQ(stored.first, "completed");
      EXPECT_EQ(stored.second, 10) << "trial " << id;
    }
  }
  ASSERT_TRUE(done.best);
  EXPECT_GT(*done.best->value, 0.9);
}

TEST_F(PruningTest, APrunedCommandLosesItsWholeProcessGroup) {
  // Each trial writes its pid and its child's (a sleep in the same group) to files, then
  // reports a step every 0.3 s: trial 0 at its x, later ones below it.
  const std::string script = dir_.path() + "/train.sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
           "sleep 60 &\n"
           "echo \"$$ $!\" > \""
        << dir_.path()
        << "/pids.$KRIGE_TRIAL_NUMBER\"\n"
           "i=0\n"
           "while [ $i -lt 8 ]; do\n"
           "  echo \"{\\\"step\\\": $i, \\\"score\\\": $KRIGE_PARAM_x}\"\n"
           "  i=$((i+1)); sleep 0.3\n"
           "done\n";
  }
  ::chmod(script.c_str(), 0755);
  const Json spec_json = {
      {"name", "command-pruning"},
      {"objective", {{"metric", "score"}, {"goal", "maximize"}}},
      {"tuner", {{"name", "grid"}}},
      {"pruner", {{"name", "median"}, {"n_startup_trials", 1}, {"n_warmup_steps", 1}}},
      {"max_trials", 4},
      {"parallelism", 1},
      {"space", {{"x", {{"type", "categorical"}, {"values", {0.9, 0.1, 0.2, 0.3}}}}}},
      {"training", {{"kind", "command"}, {"command", {script}}, {"timeout_seconds", 60}}}};
  const Experiment created = client_->CreateExperiment(SpecFromJson(spec_json));
  const Experiment done = testing::WaitDone(*client_, created.id, 90s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted);
  EXPECT_EQ(done.counts.completed, 1);
  EXPECT_EQ(done.counts.pruned, 3);
  for (const auto& [id, stored] : Stored(created.id, "score")) {
    if (stored.first == "pruned") {
      EXPECT_LT(stored.second, 8) << "trial " << id;
    }
  }
  // Every process of every trial (the script and its sleep) is gone soon after.
  std::set<int> pids;
  for (int n = 0; n < 4; ++n) {
    std::ifstream in(dir_.path() + "/pids." + std::to_string(n));
    int a = 0, b = 0;
    ASSERT_TRUE(in >> a >> b) << "trial " << n << " wrote no pids";
    pids.insert(a);
    pids.insert(b);
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::set<int> alive = pids;
  while (!alive.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto it = alive.begin(); it != alive.end();)
      it = Gone(*it) ? alive.erase(it) : std::next(it);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(alive.empty()) << alive.size() << " processes left";
}

}  // namespace
}  // namespace krige
