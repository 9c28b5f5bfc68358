// Stop, pause, resume, delete and max_failed_trials, on the scheduler over the in-memory store.
#include <gtest/gtest.h>

#include "fake_store.hpp"
#include "krige/codec.hpp"
#include "scheduler.hpp"

namespace krige::service {
namespace {

class RecordingOutbox : public Outbox {
 public:
  void Send(const std::string& worker, const wire::Message& m) override {
    sent.emplace_back(worker, m);
  }
  template <typename T>
  std::vector<T> Take() {
    std::vector<T> out;
    std::vector<std::pair<std::string, wire::Message>> rest;
    for (auto& [w, m] : sent) {
      if (auto* t = std::get_if<T>(&m)) {
        out.push_back(*t);
      } else {
        rest.emplace_back(w, m);
      }
    }
    sent.swap(rest);
    return out;
  }
  std::vector<std::pair<std::string, wire::Message>> sent;
};

ExperimentSpec Spec(int max_trials, int parallelism, int max_failed_trials = 5) {
  return SpecFromJson(Json{{"name", "e"},
                           {"objective", {{"metric", "accuracy"}}},
                           {"tuner", {{"name", "random"}, {"seed", 11}}},
                           {"max_trials", max_trials},
                           {"parallelism", parallelism},
                           {"max_failed_trials", max_failed_trials},
                           {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 10}}}}},
                           {"training", {{"dataset", "d.csv"}, {"model", "logistic_regression"}}}});
}

class SchedulerControlTest : public ::testing::Test {
 protected:
  SchedulerControlTest()
      : registry_(tuners::DefaultRegistry()),
        scheduler_(std::make_unique<Scheduler>(experiments_, trials_, workers_, registry_, outbox_,
                                               Options())) {}

  SchedulerOptions Options() {
    SchedulerOptions o;
    o.lease = std::chrono::milliseconds(1000);
    o.clock = [this] { return now_; };
    return o;
  }
  std::int64_t NewExperiment(const ExperimentSpec& spec) {
    const auto id = store_.Create(spec).id;
    scheduler_->OnExperimentCreated(id, now_);
    return id;
  }
  void Hello(const std::string& w, int slots) {
    wire::Hello hello;
    hello.worker_id = w;
    hello.slots = slots;
    hello.kinds = {"cv"};
    scheduler_->OnMessage(w, hello, now_);
  }
  void Result(const std::string& w, const wire::TrialRef& ref, double value) {
    wire::Result r;
    r.trial = ref;
    r.value = value;
    scheduler_->OnMessage(w, r, now_);
  }
  void Fail(const std::string& w, const wire::TrialRef& ref, const std::string& error) {
    scheduler_->OnMessage(w, wire::Fail{ref, error}, now_);
  }
  void Control(std::int64_t id, ExperimentControl action) { scheduler_->Control(id, action, now_); }
  ErrorCode ControlError(std::int64_t id, ExperimentControl action) {
    try {
      Control(id, action);
    } catch (const Error& e) {
      return e.code();
    }
    ADD_FAILURE() << "no error";
    return ErrorCode::kInternal;
  }
  // Runs a sweep on one worker with one slot, completing each trial as it comes; `finish`
  // (when set) reports the result of each trial itself. Returns the params by trial number.
  std::vector<Params> Sweep(std::int64_t id,
                            const std::function<void(const wire::Assign&)>& finish = {}) {
    std::vector<Params> by_number;
    Hello("w", 1);
    for (int guard = 0; guard < 100; ++guard) {
      auto assigned = outbox_.Take<wire::Assign>();
      if (assigned.empty()) break;
      for (const auto& a : assigned) {
        EXPECT_EQ(a.number, static_cast<int>(by_number.size()));
        by_number.push_back(a.params);
        if (finish) {
          finish(a);
        } else {
          Result("w", a.trial, AsDouble(a.params.at("C")));
        }
      }
    }
    EXPECT_EQ(store_.state(id), ExperimentState::kCompleted);
    return by_number;
  }

  testing::FakeStore store_;
  testing::FakeExperiments experiments_{store_};
  testing::FakeTrials trials_{store_};
  testing::FakeWorkers workers_{store_};
  RecordingOutbox outbox_;
  tuners::Registry registry_;
  std::unique_ptr<Scheduler> scheduler_;
  Clock::time_point now_ = Clock::now();
};

TEST_F(SchedulerControlTest, PausedAndResumedSweepProposesTheSameSequence) {
  const auto plain = NewExperiment(Spec(8, 1));
  const std::vector<Params> uninterrupted = Sweep(plain);

  // The same spec (same seed), paused while trial 2 runs and again while 5 runs (with a
  // coordinator restart while paused), each time resumed.
  const auto id = NewExperiment(Spec(8, 1));
  const std::vector<Params> interrupted = Sweep(id, [&](const wire::Assign& a) {
    const int number = a.number;
    if (number != 2 && number != 5) return Result("w", a.trial, AsDouble(a.params.at("C")));
    Control(id, ExperimentControl::kPause);
    EXPECT_EQ(store_.state(id), ExperimentState::kPaused);
    Result("w", a.trial, AsDouble(a.params.at("C")));
    EXPECT_EQ(store_.trials().at(a.trial.trial_id).state, TrialState::kCompleted);
    scheduler_->Tick(now_);
    Hello("w", 1);
    EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "a paused experiment hands out nothing";
    if (number == 5) {
      scheduler_ = std::make_unique<Scheduler>(experiments_, trials_, workers_, registry_, outbox_,
                                               Options());
      scheduler_->Recover(now_);
      Hello("w", 1);
      EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "still paused after a restart";
      EXPECT_EQ(store_.state(id), ExperimentState::kPaused);
    }
    Control(id, ExperimentControl::kResume);
    EXPECT_EQ(store_.state(id), ExperimentState::kRunning);
  });
  EXPECT_EQ(interrupted, uninterrupted);
}

TEST_F(SchedulerControlTest, PauseLetsRunningTrialsFinish) {
  const auto id = NewExperiment(Spec(10, 2));
  Hello("w", 2);
  const auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 2u);
  Control(id, ExperimentControl::kPause);
  Control(id, ExperimentControl::kPause);  // idempotent
  EXPECT_TRUE(outbox_.Take<wire::Prune>().empty()) << "pause stops nothing";
  Result("w", assigned[0].trial, 1.0);
  Result("w", assigned[1].trial, 2.0);
  EXPECT_EQ(outbox_.Take<wire::Ack>().size(), 2u);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
  int completed = 0;
  for (const auto& [tid, t] : store_.trials()) completed += t.state == TrialState::kCompleted;
  EXPECT_EQ(completed, 2) << "results of a paused experiment are recorded";
  Control(id, ExperimentControl::kResume);
  EXPECT_EQ(outbox_.Take<wire::Assign>().size(), 2u) << "resumed: both slots refilled";
}

TEST_F(SchedulerControlTest, ResumeAtTheBudgetCompletes) {
  const auto id = NewExperiment(Spec(1, 1));
  Hello("w", 1);
  const auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 1u);
  Control(id, ExperimentControl::kPause);
  Result("w", assigned[0].trial, 1.0);
  EXPECT_EQ(store_.state(id), ExperimentState::kPaused);
  Control(id, ExperimentControl::kResume);
  EXPECT_EQ(store_.state(id), ExperimentState::kCompleted);
  EXPECT_EQ(ControlError(id, ExperimentControl::kPause), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ControlError(id, ExperimentControl::kResume), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ControlError(id, ExperimentControl::kStop), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ControlError(id + 100, ExperimentControl::kStop), ErrorCode::kNotFound);
}

TEST_F(SchedulerControlTest, StopPrunesRunningTrialsAndKeepsTheSlotUntilTheWorkerAnswers) {
  const auto stopped = NewExperiment(Spec(10, 1));
  Hello("w", 1);
  const auto first = outbox_.Take<wire::Assign>();
  ASSERT_EQ(first.size(), 1u);
  const auto other = NewExperiment(Spec(10, 1));
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "the worker's one slot is busy";

  Control(stopped, ExperimentControl::kStop);
  Control(stopped, ExperimentControl::kStop);  // idempotent
  EXPECT_EQ(store_.state(stopped), ExperimentState::kStopped);
  const auto prunes = outbox_.Take<wire::Prune>();
  ASSERT_EQ(prunes.size(), 1u) << "told once, not once per repeat";
  EXPECT_EQ(prunes[0].trial, first[0].trial);
  const Trial& t = store_.trials().at(first[0].trial.trial_id);
  EXPECT_EQ(t.state, TrialState::kFailed);
  EXPECT_EQ(t.error, kStoppedTrialError);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "busy until the killed trial answers";

  Fail("w", first[0].trial, "stopped");
  EXPECT_EQ(outbox_.Take<wire::Ack>().size(), 1u);
  const auto next = outbox_.Take<wire::Assign>();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].experiment_id, other) << "never the stopped experiment again";

  // Resumed from stopped: the search goes on after the stopped trial.
  Control(stopped, ExperimentControl::kResume);
  Result("w", next[0].trial, 0.5);
  const auto after = outbox_.Take<wire::Assign>();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].experiment_id, stopped);
  EXPECT_EQ(after[0].number, 1);
}

TEST_F(SchedulerControlTest, DeleteRemovesTheExperimentAndFreesItsWorkers) {
  const auto id = NewExperiment(Spec(10, 1));
  Hello("w", 1);
  const auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 1u);
  Control(id, ExperimentControl::kDelete);
  EXPECT_EQ(outbox_.Take<wire::Prune>().size(), 1u);
  EXPECT_TRUE(store_.trials().empty());
  EXPECT_EQ(ControlError(id, ExperimentControl::kDelete), ErrorCode::kNotFound);
  Result("w", assigned[0].trial, 1.0);  // the late result of a deleted trial
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_FALSE(acks[0].accepted);
  const auto other = NewExperiment(Spec(10, 1));
  const auto next = outbox_.Take<wire::Assign>();
  ASSERT_EQ(next.size(), 1u) << "the slot was released";
  EXPECT_EQ(next[0].experiment_id, other);
}

TEST_F(SchedulerControlTest, ConsecutiveFailuresBeforeAnySuccessFailTheExperiment) {
  const auto id = NewExperiment(Spec(50, 2, 3));
  Hello("w", 2);
  int failed = 0;
  for (int guard = 0; guard < 10 && store_.state(id) == ExperimentState::kRunning; ++guard) {
    auto assigned = outbox_.Take<wire::Assign>();
    ASSERT_FALSE(assigned.empty());
    Fail("w", assigned[0].trial, "params.gama: unknown hyperparameter");
    ++failed;
  }
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(store_.state(id), ExperimentState::kFailed);
  const auto e = store_.GetExperiment(id);
  EXPECT_NE(e->error.find("3 trials failed before any succeeded"), std::string::npos) << e->error;
  EXPECT_NE(e->error.find("params.gama: unknown hyperparameter"), std::string::npos) << e->error;
  EXPECT_EQ(outbox_.Take<wire::Prune>().size(), 1u) << "the other running trial is stopped";
  EXPECT_EQ(ControlError(id, ExperimentControl::kResume), ErrorCode::kFailedPrecondition);
}

TEST_F(SchedulerControlTest, FailuresAfterASuccessDoNotFailTheExperiment) {
  const auto id = NewExperiment(Spec(6, 1, 2));
  Hello("w", 1);
  for (int i = 0; i < 6; ++i) {
    auto assigned = outbox_.Take<wire::Assign>();
    ASSERT_EQ(assigned.size(), 1u) << i;
    if (i == 0) {
      Result("w", assigned[0].trial, 1.0);
    } else {
      Fail("w", assigned[0].trial, "boom");
    }
  }
  EXPECT_EQ(store_.state(id), ExperimentState::kCompleted);
}

}  // namespace
}  // namespace krige::service
