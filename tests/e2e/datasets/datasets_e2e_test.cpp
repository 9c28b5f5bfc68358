// Datasets reach remote workers, and commands are trials: a real krige-server, a real
// PostgreSQL and krige-worker processes that share nothing with the test but the network.
// Auth is on: the test holds the first admin token; the workers hold none (they download with
// the capability each ASSIGN carries).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "krige/sha256.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ChildProcess;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class DatasetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOn,
                                       {"--lease-seconds", "5"});
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    token_ = server.token;
    ASSERT_FALSE(token_.empty()) << server_->Log();
    client_ = std::make_unique<Client>(Client::Connect(http_, std::chrono::seconds(30), token_));
  }

  // A worker in a fresh, empty working directory with an empty cache of its own: it can
  // reach the server only over the network.
  void StartWorker(int slots) {
    const std::string home = dir_.path() + "/worker-home";
    fs::create_directories(home);
    cache_ = dir_.path() + "/worker-cache";
    worker_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq_, "--slots",
                                 std::to_string(slots), "--id", "remote", "--cache-dir", cache_,
                                 "--allow-commands"},
        dir_.path() + "/worker.log", home);
  }

  Experiment WaitDone(std::int64_t id, std::chrono::seconds timeout) {
    return testing::WaitDone(*client_, id, timeout);
  }

  std::string Logs() const {
    return "--- server\n" + server_->Log() + "--- worker\n" + (worker_ ? worker_->Log() : "");
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_, worker_;
  std::string http_, zmq_, cache_, token_;
  std::unique_ptr<Client> client_;
};

TEST_F(DatasetsTest, AWorkerInAnEmptyDirectoryTrainsOnADatasetItNeverSaw) {
  const std::string csv = ReadFile(testing::SourceDir() + "/examples/data/breast_cancer.csv");
  ASSERT_FALSE(csv.empty());
  const DatasetInfo stored = client_->UploadDataset("breast_cancer.csv", csv);
  const std::string sha = Sha256Hex(csv);
  ASSERT_EQ(stored.sha256, sha);
  EXPECT_EQ(stored.size, static_cast<std::int64_t>(csv.size()));

  StartWorker(2);
  ExperimentSpec spec =
      LoadSpecFile(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
  spec.training.dataset = "sha256:" + sha;
  spec.max_trials = 6;
  const Experiment created = client_->CreateExperiment(spec);
  const Experiment done = WaitDone(created.id, 180s);
  ASSERT_EQ(done.state, ExperimentState::kCompleted) << Logs();
  EXPECT_EQ(done.counts.completed, 6) << Logs();
  ASSERT_TRUE(done.best);
  EXPECT_GT(*done.best->value, 0.9);

  // The cache holds the file, byte for byte; the working directory stayed empty.
  EXPECT_EQ(ReadFile(cache_ + "/" + sha + ".csv"), csv);
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/worker-home"));
  // Six trials, two slots, one download: counted where the bytes leave the server and where
  // they arrive.
  EXPECT_EQ(Count(server_->Log(), "dataset " + sha + " downloaded"), 1) << Logs();
  EXPECT_EQ(Count(worker_->Log(), "downloaded dataset sha256:" + sha), 1) << Logs();
}

TEST_F(DatasetsTest, ANameResolvesToTheLatestUploadWhenTheExperimentIsCreated) {
  const std::string csv = ReadFile(testing::SourceDir() + "/examples/data/breast_cancer.csv");
  client_->UploadDataset("cancer", "f,target\n1,0\n2,1\n");
  const DatasetInfo latest = client_->UploadDataset("cancer", csv);
  ExperimentSpec spec =
      LoadSpecFile(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
  spec.training.dataset = "name:cancer";
  spec.max_trials = 1;
  const Experiment created = client_->CreateExperiment(spec);
  EXPECT_EQ(created.spec.training.dataset, "sha256:" + latest.sha256);

  spec.training.dataset = "name:no-such-dataset";
  try {
    client_->CreateExperiment(spec);
    FAIL() << "an unknown name must be refused";
  } catch (const ValidationError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].field, "training.dataset");
  }
  StartWorker(1);
  EXPECT_EQ(WaitDone(created.id, 120s).state, ExperimentState::kCompleted) << Logs();
}

TEST_F(DatasetsTest, KrigeRunUploadsALocalDatasetOnce) {
  StartWorker(2);
  const std::string spec = dir_.path() + "/spec.yaml";
  {
    std::ifstream in(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
    std::ofstream out(spec);
    for (std::string line; std::getline(in, line);) {
      if (line.find("max_trials:") != std::string::npos) line = "max_trials: 4";
      if (line.find("dataset:") != std::string::npos)
        line = "  dataset: " + testing::SourceDir() + "/examples/data/breast_cancer.csv";
      out << line << "\n";
    }
  }
  const std::string run = testing::BinDir() + "/krige --server " + http_ + " --token " + token_ +
                          " run " + spec + " 2>&1";
  const auto [code, out] = testing::RunCommand(run);
  ASSERT_EQ(code, 0) << out << Logs();
  EXPECT_THAT(out, HasSubstr("dataset breast_cancer.csv uploaded"));
  const auto [code2, out2] = testing::RunCommand(run);
  ASSERT_EQ(code2, 0) << out2;
  EXPECT_THAT(out2, HasSubstr("dataset breast_cancer.csv is on the server"));
  const auto experiments = client_->ListExperiments();
  ASSERT_EQ(experiments.size(), 2u);
  EXPECT_EQ(experiments[0].spec.training.dataset.rfind("sha256:", 0), 0u);
}

TEST_F(DatasetsTest, TheCommandExampleCompletesThroughKrigeRun) {
  if (testing::RunCommand("command -v python3 >/dev/null").first != 0)
    GTEST_SKIP() << "the example runs python3, which is not on PATH";
  StartWorker(2);
  const auto [code, out] =
      testing::RunCommand(testing::BinDir() + "/krige --server " + http_ + " --token " + token_ +
                          " run " + testing::SourceDir() + "/examples/command/spec.yaml 2>&1");
  ASSERT_EQ(code, 0) << out << Logs();
  EXPECT_THAT(out, HasSubstr("[12/12] completed=12"));
  const auto experiments = client_->ListExperiments();
  ASSERT_EQ(experiments.size(), 1u);
  const Experiment& e = experiments[0];
  ASSERT_TRUE(e.best);
  EXPECT_GT(*e.best->value, 0.8);
  // Every epoch was reported as a step and stored.
  HttpRequest get;
  get.target = "/api/v1/trials/" + std::to_string(e.best->id);
  const Json trial =
      Json::parse(MakeHttpTransport(http_, std::chrono::seconds(30), token_)->Send(get).body);
  ASSERT_TRUE(trial.contains("steps")) << trial.dump();
  EXPECT_EQ(trial["steps"].size(), trial["params"]["epochs"].get<std::size_t>()) << trial.dump();
}

}  // namespace
}  // namespace krige
