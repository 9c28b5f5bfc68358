// Workers say what they run: a user's worker with a C++ objective and a stock krige-worker on
// one server, two experiments at once; each trial goes only to a worker that can run it, and
// an experiment no connected worker can run waits and says so. The database says who ran what.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using ::testing::HasSubstr;

const std::string kName = "quadratic <b>in C++</b>";

ExperimentSpec FunctionSpec(const std::string& function, int max_trials) {
  return SpecFromJson(ParseJson(R"({
    "name": ")" + kName + R"(",
    "objective": {"metric": "loss", "goal": "minimize"},
    "tuner": {"name": "random", "seed": 3},
    "max_trials": )" + std::to_string(max_trials) +
                                R"(,
    "parallelism": 2,
    "space": {"x": {"type": "float", "low": 0, "high": 1}},
    "training": {"kind": "function", "function": ")" +
                                function + R"("}
  })"));
}

class KindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff);
    server_ = std::move(server.process);
    zmq_ = server.zmq;
    client_ = std::make_unique<Client>(MakeHttpTransport(server.http, 30s));
  }
  void TearDown() override {
    if (HasFailure())
      for (const auto& p : processes_) std::cout << p->Log();
    if (HasFailure()) std::cout << server_->Log();
  }

  ChildProcess& Start(std::vector<std::string> argv, const std::string& name) {
    processes_.push_back(std::make_unique<ChildProcess>(argv, dir_.path() + "/" + name + ".log"));
    return *processes_.back();
  }
  ChildProcess& StockWorker(const std::string& id) {
    return Start(
        {testing::BinDir() + "/krige-worker", "--connect", zmq_, "--slots", "2", "--id", id}, id);
  }
  ChildProcess& FunctionWorker(const std::string& id, std::int64_t only = 0) {
    std::vector<std::string> argv{KRIGE_FUNCTION_WORKER, "--connect", zmq_, "--id", id};
    if (only) argv.insert(argv.end(), {"--only-experiment", std::to_string(only)});
    return Start(argv, id);
  }

  // worker -> number of trials of `experiment` it ran, from the database.
  std::map<std::string, int> RanBy(std::int64_t experiment) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction r(c);
    std::map<std::string, int> out;
    for (const auto& row :
         r.exec_params("SELECT worker, count(*) FROM trials WHERE experiment_id = $1 AND state = "
                       "'completed' GROUP BY worker",
                       experiment))
      out[row[0].as<std::string>()] = row[1].as<int>();
    return out;
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::string zmq_;
  std::unique_ptr<Client> client_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
};

TEST_F(KindsTest, EachWorkerReceivesOnlyTheTrialsItCanRun) {
  ExperimentSpec cv = LoadSpecFile(testing::SourceDir() + "/examples/knn_iris.yaml");
  cv.training.dataset = testing::SourceDir() + "/examples/data/iris.csv";
  cv.max_trials = 8;
  cv.parallelism = 2;
  StockWorker("stock");
  FunctionWorker("custom");
  const std::int64_t a = client_->CreateExperiment(cv).id;
  const std::int64_t b = client_->CreateExperiment(FunctionSpec("quadratic", 8)).id;
  const Experiment ea = testing::WaitDone(*client_, a, 120s);
  const Experiment eb = testing::WaitDone(*client_, b, 120s);
  ASSERT_EQ(ea.state, ExperimentState::kCompleted);
  ASSERT_EQ(eb.state, ExperimentState::kCompleted);
  EXPECT_EQ(ea.counts.completed, 8);
  EXPECT_EQ(eb.counts.completed, 8);
  EXPECT_EQ(ea.counts.failed + eb.counts.failed, 0);
  EXPECT_EQ(RanBy(a), (std::map<std::string, int>{{"stock", 8}}));
  EXPECT_EQ(RanBy(b), (std::map<std::string, int>{{"custom", 8}}));
  // TrialContext named the experiment.
  for (const Trial& t : client_->ListTrials(b)) {
    EXPECT_EQ(t.metrics.at("experiment_id"), static_cast<double>(b));
    EXPECT_EQ(t.metrics.at("experiment_name_length"), static_cast<double>(kName.size()));
  }
}

TEST_F(KindsTest, AnExperimentNoWorkerCanRunWaitsAndSaysWhy) {
  StockWorker("stock");
  FunctionWorker("custom");
  const std::int64_t id = client_->CreateExperiment(FunctionSpec("train_resnet", 2)).id;
  ASSERT_NE(server_->WaitForLine("worker custom joined", 30s), "");
  ASSERT_NE(server_->WaitForLine("worker stock joined", 30s), "");
  std::this_thread::sleep_for(2s);
  const Experiment e = client_->GetExperiment(id);
  EXPECT_EQ(e.counts.total(), 0);
  EXPECT_THAT(e.waiting, HasSubstr("waiting for a worker that runs function:train_resnet"));
  EXPECT_THAT(e.waiting, HasSubstr("the connected workers run cv, function:quadratic"));
  // The list says it too.
  const auto listed = client_->ListExperiments();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].waiting, e.waiting);
}

TEST_F(KindsTest, AWorkerPinnedToOneExperimentTakesNoOther) {
  const std::int64_t first = client_->CreateExperiment(FunctionSpec("quadratic", 4)).id;
  const std::int64_t second = client_->CreateExperiment(FunctionSpec("quadratic", 4)).id;
  FunctionWorker("pinned", second);
  const Experiment done = testing::WaitDone(*client_, second, 60s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted);
  EXPECT_EQ(RanBy(second), (std::map<std::string, int>{{"pinned", 4}}));
  const Experiment waiting = client_->GetExperiment(first);
  EXPECT_EQ(waiting.counts.total(), 0);
  EXPECT_THAT(waiting.waiting, HasSubstr("each connected worker is pinned to another experiment"));
  FunctionWorker("anyone");  // a worker for every experiment finishes the first
  EXPECT_EQ(testing::WaitDone(*client_, first, 60s).state, ExperimentState::kCompleted);
  EXPECT_EQ(RanBy(first), (std::map<std::string, int>{{"anyone", 4}}));
}

}  // namespace
}  // namespace krige
