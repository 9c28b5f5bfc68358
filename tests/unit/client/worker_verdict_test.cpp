// krige::Worker against a coordinator played by the test (a real ROUTER socket on 127.0.0.1):
// with ASSIGN await_verdicts a trial waits after each REPORT for the coordinator's CONTINUE or
// PRUNE, so a pruned trial runs no step past the one it was pruned at; without it the steps run
// back to back.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "krige/worker.hpp"
#include "wire/wire.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;

constexpr int kSteps = 4;

class FakeCoordinator {
 public:
  FakeCoordinator() : socket_(context_, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The next message other than a heartbeat or READY, or nothing within `timeout`.
  std::optional<wire::Message> Next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::multipart_t msg(socket_);
      peer_ = msg.popstr();
      std::vector<std::string> frames;
      while (!msg.empty()) frames.push_back(msg.popstr());
      if (!frames.empty() && frames.front().empty()) frames.erase(frames.begin());
      wire::Message m = wire::Decode(frames);
      if (std::holds_alternative<wire::Heartbeat>(m) || std::holds_alternative<wire::Ready>(m))
        continue;
      return m;
    }
  }

  void Send(const wire::Message& m) {
    zmq::multipart_t msg;
    msg.addstr(peer_);
    msg.addstr("");
    for (const auto& f : wire::Encode(m)) msg.addstr(f);
    msg.send(socket_);
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_, peer_;
};

struct Progress {
  std::mutex mutex;
  std::vector<int> steps_run;  // steps whose work started
  bool saw_stop = false;
};

class WorkerVerdictTest : public ::testing::Test {
 protected:
  void StartWorker() {
    Objectives objectives;
    objectives.functions["steps"] = [this](const TrialContext& trial) {
      TrialOutput out;
      for (int step = 0; step < kSteps; ++step) {
        {
          std::lock_guard<std::mutex> lock(run_.mutex);
          run_.steps_run.push_back(step);
        }
        StepScores scores{step, {{"loss", 1.0 / (step + 1)}}};
        trial.Report(scores);
        out.steps.push_back(scores);
        if (trial.ShouldStop()) {
          std::lock_guard<std::mutex> lock(run_.mutex);
          run_.saw_stop = true;
          throw Error(ErrorCode::kFailedPrecondition, "stopped");
        }
      }
      out.value = 0.25;
      return out;
    };
    WorkerOptions options;
    options.connect = coordinator_.endpoint();
    options.id = "w";
    worker_ = std::make_unique<Worker>(options, objectives);
    thread_ = std::thread([this] { worker_->Run(); });
    const auto hello = coordinator_.Next(5s);
    ASSERT_TRUE(hello && std::holds_alternative<wire::Hello>(*hello));
  }

  void Assign(bool await_verdicts) {
    wire::Assign assign;
    assign.trial = {1, 1};
    assign.experiment_id = 1;
    assign.training.kind = "function";
    assign.training.function = "steps";
    assign.objective = {"loss", Goal::kMinimize};
    assign.await_verdicts = await_verdicts;
    coordinator_.Send(assign);
  }

  int ReportStep(std::chrono::milliseconds timeout) {
    for (;;) {
      const auto m = coordinator_.Next(timeout);
      if (!m) return -1;
      if (const auto* r = std::get_if<wire::Report>(&*m)) return r->scores.step;
    }
  }

  std::vector<int> StepsRun() {
    std::lock_guard<std::mutex> lock(run_.mutex);
    return run_.steps_run;
  }

  void TearDown() override {
    if (worker_) worker_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  FakeCoordinator coordinator_;
  Progress run_;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
};

TEST_F(WorkerVerdictTest, AwaitingVerdictsTheNextStepWaitsForContinueAndPruneEndsIt) {
  StartWorker();
  Assign(true);
  ASSERT_EQ(ReportStep(5s), 0);
  // No verdict yet: step 1 does not start.
  EXPECT_EQ(ReportStep(400ms), -1);
  EXPECT_EQ(StepsRun(), std::vector<int>{0});
  coordinator_.Send(wire::Continue{{1, 1}, 0});
  ASSERT_EQ(ReportStep(5s), 1);
  coordinator_.Send(wire::Prune{{1, 1}});
  // The trial ends at the step it was pruned at: a FAIL ("stopped"), no REPORT of step 2.
  for (;;) {
    const auto m = coordinator_.Next(5s);
    ASSERT_TRUE(m) << "the pruned trial did not end";
    ASSERT_FALSE(std::holds_alternative<wire::Report>(*m)) << "a step ran after PRUNE";
    if (std::holds_alternative<wire::Fail>(*m)) break;
  }
  EXPECT_EQ(StepsRun(), (std::vector<int>{0, 1}));
  std::lock_guard<std::mutex> lock(run_.mutex);
  EXPECT_TRUE(run_.saw_stop);
}

TEST_F(WorkerVerdictTest, WithoutAwaitingVerdictsTheStepsRunBackToBack) {
  StartWorker();
  Assign(false);
  for (int step = 0; step < kSteps; ++step) ASSERT_EQ(ReportStep(5s), step);
  for (;;) {
    const auto m = coordinator_.Next(5s);
    ASSERT_TRUE(m) << "no RESULT";
    if (std::holds_alternative<wire::Result>(*m)) break;
  }
}

TEST_F(WorkerVerdictTest, ASilentCoordinatorCostsAStepABoundedWaitNotTheTrial) {
  StartWorker();
  Assign(true);
  for (int step = 0; step < kSteps; ++step) ASSERT_EQ(ReportStep(5s), step);
  for (;;) {
    const auto m = coordinator_.Next(5s);
    ASSERT_TRUE(m) << "no RESULT";
    if (std::holds_alternative<wire::Result>(*m)) break;
  }
}

}  // namespace
}  // namespace krige
