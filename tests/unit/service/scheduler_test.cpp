#include <gtest/gtest.h>

#include <set>

#include "fake_store.hpp"
#include "krige/codec.hpp"
#include "scheduler.hpp"

namespace krige::service {
namespace {

using namespace std::chrono_literals;

class RecordingOutbox : public Outbox {
 public:
  void Send(const std::string& worker, const wire::Message& m) override {
    sent.emplace_back(worker, m);
  }
  template <typename T>
  std::vector<std::pair<std::string, T>> Take() {
    std::vector<std::pair<std::string, T>> out;
    std::vector<std::pair<std::string, wire::Message>> rest;
    for (auto& [w, m] : sent) {
      if (auto* t = std::get_if<T>(&m)) {
        out.emplace_back(w, *t);
      } else {
        rest.emplace_back(w, m);
      }
    }
    sent.swap(rest);
    return out;
  }
  std::vector<std::pair<std::string, wire::Message>> sent;
};

ExperimentSpec Spec(const std::string& name, int max_trials, int parallelism) {
  return SpecFromJson(Json{{"name", name},
                           {"objective", {{"metric", "accuracy"}}},
                           {"tuner", {{"name", "random"}, {"seed", 3}}},
                           {"max_trials", max_trials},
                           {"parallelism", parallelism},
                           {"max_attempts", 2},
                           {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 10}}}}},
                           {"training", {{"dataset", "d.csv"}, {"model", "logistic_regression"}}}});
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest()
      : registry_(tuners::DefaultRegistry()),
        scheduler_(experiments_, trials_, workers_, registry_, outbox_, Options()) {}

  // The scheduler's clock is the test's: assignments start at now_.
  SchedulerOptions Options() {
    SchedulerOptions o;
    o.lease = std::chrono::milliseconds(1000);
    o.clock = [this] { return now_; };
    return o;
  }

  std::int64_t NewExperiment(const std::string& name, int max_trials, int parallelism) {
    const auto id = store_.Create(Spec(name, max_trials, parallelism)).id;
    scheduler_.OnExperimentCreated(id, now_);
    return id;
  }
  void Hello(const std::string& w, int slots, std::vector<std::string> kinds = {"cv"},
             std::int64_t only = 0) {
    scheduler_.OnMessage(w, wire::Hello{w, slots, "host", "test", std::move(kinds), only}, now_);
  }
  void Result(const std::string& w, const wire::TrialRef& ref, double value) {
    wire::Result r;
    r.trial = ref;
    r.value = value;
    scheduler_.OnMessage(w, r, now_);
  }
  void Beat(const std::string& w, int slots, std::vector<wire::TrialRef> running) {
    scheduler_.OnMessage(w, wire::Heartbeat{slots, std::move(running), {"cv"}}, now_);
  }

  testing::FakeStore store_;
  testing::FakeExperiments experiments_{store_};
  testing::FakeTrials trials_{store_};
  testing::FakeWorkers workers_{store_};
  RecordingOutbox outbox_;
  tuners::Registry registry_;
  Scheduler scheduler_;
  Clock::time_point now_ = Clock::now();
};

TEST_F(SchedulerTest, SlotsAreSharedFairlyWithinEachParallelism) {
  const auto a = NewExperiment("a", 10, 1);
  const auto b = NewExperiment("b", 10, 2);
  Hello("w", 4);
  const auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 3u) << "a allows 1 at a time, b allows 2";
  int from_a = 0;
  for (const auto& [w, m] : assigned) from_a += m.experiment_id == a;
  EXPECT_EQ(from_a, 1);
  EXPECT_EQ(assigned[0].second.experiment_id == a, assigned[1].second.experiment_id == b)
      << "round robin alternates";
  // A result frees a slot of its experiment, which is refilled from it.
  for (const auto& [w, m] : assigned)
    if (m.experiment_id == a) Result("w", m.trial, 0.5);
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].second.accepted);
  const auto next = outbox_.Take<wire::Assign>();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].second.experiment_id, a);
}

TEST_F(SchedulerTest, ABatchOfResultsIsOneTransactionAndItsAcksFollowTheCommit) {
  const auto e = NewExperiment("e", 20, 8);
  Hello("w", 8);
  auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 8u);
  const int finishes = store_.finish_batches, places = store_.place_batches;
  // Eight results (one of them twice, one FAIL) and a READY arrive together.
  for (std::size_t i = 0; i < assigned.size(); ++i) {
    if (i == 3) {
      scheduler_.Receive("w", wire::Fail{assigned[i].second.trial, "boom"}, now_);
      continue;
    }
    wire::Result r;
    r.trial = assigned[i].second.trial;
    r.value = 0.1 * static_cast<double>(i);
    scheduler_.Receive("w", r, now_);
    if (i == 5) scheduler_.Receive("w", r, now_);  // a resend within the batch
  }
  scheduler_.Receive("w", wire::Ready{8}, now_);
  EXPECT_TRUE(outbox_.sent.empty()) << "nothing leaves before the commit";
  scheduler_.Commit(now_);
  EXPECT_EQ(store_.finish_batches, finishes + 1);
  EXPECT_EQ(store_.place_batches, places + 1);
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 9u);
  for (const auto& [w, a] : acks) EXPECT_TRUE(a.accepted);
  assigned = outbox_.Take<wire::Assign>();
  EXPECT_EQ(assigned.size(), 8u) << "the freed slots are filled in the same commit";
  std::set<int> numbers;
  for (const auto& [w, m] : assigned) numbers.insert(m.number);
  EXPECT_EQ(numbers, (std::set<int>{8, 9, 10, 11, 12, 13, 14, 15}));
  int completed = 0, failed = 0;
  for (const auto& [id, t] : store_.trials()) {
    completed += t.state == TrialState::kCompleted;
    failed += t.state == TrialState::kFailed;
  }
  EXPECT_EQ(completed, 7);
  EXPECT_EQ(failed, 1);
  (void)e;
}

TEST_F(SchedulerTest, ABatchTheStoreDoesNotTakeIsNeitherAckedNorForgotten) {
  NewExperiment("e", 4, 2);
  Hello("w", 2);
  const auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 2u);
  store_.down = true;
  for (const auto& [w, m] : assigned) {
    wire::Result r;
    r.trial = m.trial;
    r.value = 1;
    scheduler_.Receive("w", r, now_);
  }
  scheduler_.Commit(now_);
  EXPECT_TRUE(outbox_.Take<wire::Ack>().empty()) << "no ACK for what is not stored";
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
  store_.down = false;
  now_ += 300ms;
  scheduler_.Tick(now_);                 // the store answers again: state rebuilt from it
  for (const auto& [w, m] : assigned) {  // the worker's resends
    wire::Result r;
    r.trial = m.trial;
    r.value = 1;
    scheduler_.Receive("w", r, now_);
  }
  scheduler_.Commit(now_);
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 2u);
  for (const auto& [w, a] : acks) EXPECT_TRUE(a.accepted);
  const auto next = outbox_.Take<wire::Assign>();
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].second.number, 2);
  EXPECT_EQ(next[1].second.number, 3);
}

TEST_F(SchedulerTest, AWorkerGetsOnlyTheKindsItListsAndTheExperimentItIsPinnedTo) {
  const auto cv = NewExperiment("cv", 10, 4);
  ExperimentSpec f = Spec("f", 10, 4);
  f.training = {};
  f.training.kind = "function";
  f.training.function = "train";
  const auto fn = store_.Create(f).id;
  scheduler_.OnExperimentCreated(fn, now_);
  Hello("functions", 2, {"function:train", "function:other"});
  auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 2u);
  for (const auto& [w, m] : assigned) EXPECT_EQ(m.experiment_id, fn);
  EXPECT_EQ(assigned[0].second.experiment_name, "f");
  Hello("nothing", 2, {});
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
  const auto other = NewExperiment("other cv", 10, 4);
  Hello("pinned", 3, {"cv", "function:train"}, other);
  assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 3u);
  for (const auto& [w, m] : assigned) EXPECT_EQ(m.experiment_id, other);
  // A heartbeat that lists other kinds changes what the worker gets from then on.
  scheduler_.OnMessage("nothing", wire::Heartbeat{2, {}, {"cv"}}, now_);
  assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 2u);
  for (const auto& [w, m] : assigned) EXPECT_NE(m.experiment_id, fn);
  (void)cv;
}

TEST_F(SchedulerTest, ExperimentCompletesAtMaxTrialsAndResultsAreIdempotent) {
  const auto e = NewExperiment("e", 3, 3);
  Hello("w", 3);
  auto assigned = outbox_.Take<wire::Assign>();
  ASSERT_EQ(assigned.size(), 3u);
  for (const auto& [w, m] : assigned) Result("w", m.trial, 0.1 * m.number);
  Result("w", assigned[0].second.trial, 0.0);  // a resend
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 4u);
  for (const auto& [w, a] : acks) EXPECT_TRUE(a.accepted);
  EXPECT_EQ(store_.state(e), ExperimentState::kCompleted);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "no trial beyond max_trials";
  int completed = 0;
  for (const auto& [id, t] : store_.trials()) completed += t.state == TrialState::kCompleted;
  EXPECT_EQ(completed, 3);
}

TEST_F(SchedulerTest, ASilentWorkerLosesItsTrialToTheNextAttempt) {
  NewExperiment("e", 5, 1);
  Hello("w1", 1);
  const auto first = outbox_.Take<wire::Assign>();
  ASSERT_EQ(first.size(), 1u);
  const wire::TrialRef ref = first[0].second.trial;
  Hello("w2", 1);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "parallelism 1 is taken by w1";

  // w2 keeps beating, w1 is silent past the lease.
  now_ += 600ms;
  Beat("w2", 1, {});
  now_ += 600ms;
  Beat("w2", 1, {});
  scheduler_.Tick(now_);
  const auto retry = outbox_.Take<wire::Assign>();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].first, "w2");
  EXPECT_EQ(retry[0].second.trial.trial_id, ref.trial_id);
  EXPECT_EQ(retry[0].second.trial.attempt, 2);
  EXPECT_EQ(retry[0].second.params, first[0].second.params) << "the same configuration";
  EXPECT_EQ(store_.lost, std::vector<std::string>{"w1"});

  // w1's late result for attempt 1 is acknowledged but discarded.
  Result("w1", ref, 0.9);
  const auto ack = outbox_.Take<wire::Ack>();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_FALSE(ack[0].second.accepted);
  EXPECT_EQ(store_.trials().at(ref.trial_id).state, TrialState::kRunning);
  Result("w2", retry[0].second.trial, 0.8);
  EXPECT_EQ(*store_.trials().at(ref.trial_id).value, 0.8);
}

TEST_F(SchedulerTest, HeartbeatsKeepALongTrialAliveAndRetriesAreBounded) {
  NewExperiment("e", 1, 1);
  Hello("w1", 1);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u);
  for (int i = 0; i < 5; ++i) {
    now_ += 500ms;
    Beat("w1", 1, {a[0].second.trial});
    scheduler_.Tick(now_);
  }
  EXPECT_EQ(store_.trials().at(a[0].second.trial.trial_id).attempt, 1) << "listed: kept";

  // Two lost attempts (max_attempts: 2): the trial fails and the experiment ends.
  now_ += 1500ms;
  Hello("w2", 1);
  scheduler_.Tick(now_);
  const auto b = outbox_.Take<wire::Assign>();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].second.trial.attempt, 2);
  scheduler_.OnMessage("w2", wire::Bye{}, now_);
  const Trial& t = store_.trials().at(a[0].second.trial.trial_id);
  EXPECT_EQ(t.state, TrialState::kFailed);
  EXPECT_EQ(t.error, "worker left");
  EXPECT_EQ(store_.state(a[0].second.experiment_id), ExperimentState::kCompleted);
}

TEST_F(SchedulerTest, AHeartbeatForATrialNotOwnedIsAnsweredWithPrune) {
  NewExperiment("e", 5, 1);
  Hello("w1", 1);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u);
  Beat("w1", 1, {a[0].second.trial, {999, 1}});
  const auto prunes = outbox_.Take<wire::Prune>();
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].second.trial.trial_id, 999);
}

TEST_F(SchedulerTest, AfterARestartListedTrialsStayAndUnlistedOnesComeBack) {
  const auto e = NewExperiment("e", 4, 2);
  Hello("w1", 2);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 2u);
  Result("w1", a[0].second.trial, 0.3);  // frees a slot: trial #2 goes to w1...
  const auto lost_assign = outbox_.Take<wire::Assign>();
  ASSERT_EQ(lost_assign.size(), 1u);  // ...but say that ASSIGN never arrived
  EXPECT_EQ(lost_assign[0].second.number, 2);
  outbox_.sent.clear();

  // A new scheduler over the same store: the coordinator restarted.
  Scheduler restarted(experiments_, trials_, workers_, registry_, outbox_, Options());
  restarted.Recover(now_);
  // w1 is adopted through its heartbeat, which lists only trial #1.
  restarted.OnMessage("w1", wire::Heartbeat{2, {a[1].second.trial}, {"cv"}}, now_ + 600ms);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "both of w1's slots are still taken";
  restarted.Tick(now_ + 1200ms);
  // #2 was never listed: requeued and handed out again as attempt 2; #1 stays untouched.
  const auto again = outbox_.Take<wire::Assign>();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].second.number, 2);
  EXPECT_EQ(again[0].second.trial.attempt, 2);
  EXPECT_EQ(store_.trials().at(a[1].second.trial.trial_id).attempt, 1);
  EXPECT_EQ(store_.state(e), ExperimentState::kRunning);
}

TEST_F(SchedulerTest, ReportsAreGroupCommittedOrDroppedForAResult) {
  NewExperiment("e", 5, 2);
  Hello("w", 2);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 2u);
  for (int step = 0; step < 3; ++step)
    for (const auto& [w, m] : a)
      scheduler_.OnMessage(w, wire::Report{m.trial, {step, {{"accuracy", 0.5}}}}, now_);
  Result("w", a[0].second.trial, 0.5);  // its 3 reports are in the result already
  EXPECT_EQ(store_.steps_recorded, 0) << "nothing written per REPORT";
  scheduler_.Tick(now_);
  EXPECT_EQ(store_.step_batches, 1);
  EXPECT_EQ(store_.steps_recorded, 3) << "the other trial's 3 reports, in one transaction";
}

TEST_F(SchedulerTest, AWorkerLostWhileTheStoreIsDownKeepsItsTrialUntilTheStoreTakesItBack) {
  NewExperiment("e", 3, 1);
  Hello("w1", 1);
  const auto first = outbox_.Take<wire::Assign>();
  ASSERT_EQ(first.size(), 1u);
  const wire::TrialRef ref = first[0].second.trial;
  Hello("w2", 1);

  store_.down = true;  // PostgreSQL stops; then w1 dies
  for (int i = 0; i < 4; ++i) {
    now_ += 400ms;
    Beat("w2", 1, {});
    scheduler_.Tick(now_);
  }
  EXPECT_FALSE(scheduler_.in_sync());
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "nothing handed out while down";
  EXPECT_EQ(store_.trials().at(ref.trial_id).state, TrialState::kRunning);

  store_.down = false;
  now_ += 400ms;
  Beat("w2", 1, {});
  scheduler_.Tick(now_);
  EXPECT_TRUE(scheduler_.in_sync());
  const auto retry = outbox_.Take<wire::Assign>();
  ASSERT_EQ(retry.size(), 1u) << "requeued once the store answered, and given to w2";
  EXPECT_EQ(retry[0].first, "w2");
  EXPECT_EQ(retry[0].second.trial.trial_id, ref.trial_id);
  EXPECT_EQ(retry[0].second.trial.attempt, 2);
  EXPECT_EQ(store_.lost, std::vector<std::string>{"w1"});
}

TEST_F(SchedulerTest, ATrialCreatedWhoseAnswerWasLostIsAdoptedFromTheStoreAndRequeued) {
  const auto e = NewExperiment("e", 2, 1);
  store_.lose_answers = 1;  // the INSERT commits, the connection dies before its answer
  Hello("w1", 1);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
  ASSERT_EQ(store_.trials().size(), 1u);
  EXPECT_FALSE(scheduler_.in_sync());

  scheduler_.Tick(now_);  // rebuilt from the store: the trial is w1's, which never heard of it
  EXPECT_TRUE(scheduler_.in_sync());
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "w1's slot holds the adopted trial";
  for (int i = 0; i < 3; ++i) {
    now_ += 400ms;
    Beat("w1", 1, {});
    scheduler_.Tick(now_);
  }
  auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u) << "never listed: requeued after one lease and handed out";
  EXPECT_EQ(a[0].second.number, 0);
  EXPECT_EQ(a[0].second.trial.attempt, 2);
  Result("w1", a[0].second.trial, 0.5);
  a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].second.number, 1);
  Result("w1", a[0].second.trial, 0.6);
  EXPECT_EQ(store_.state(e), ExperimentState::kCompleted);
  EXPECT_EQ(store_.trials().size(), 2u) << "exactly max_trials trials";
}

TEST_F(SchedulerTest, AResultWhoseCommitAnswerWasLostIsAcknowledgedOnTheResend) {
  const auto e = NewExperiment("e", 1, 1);
  Hello("w", 1);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u);
  store_.lose_answers = 1;
  Result("w", a[0].second.trial, 0.4);
  EXPECT_TRUE(outbox_.Take<wire::Ack>().empty()) << "no ACK for an outcome not known";
  Result("w", a[0].second.trial, 0.4);  // the worker resends
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].second.accepted);
  EXPECT_EQ(store_.state(e), ExperimentState::kCompleted);
  scheduler_.Tick(now_);
  EXPECT_TRUE(scheduler_.in_sync());
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
}

TEST_F(SchedulerTest, RequeuedTrialsSkipAWorkerThatWentSilent) {
  NewExperiment("e", 10, 2);
  Hello("w1", 1);
  Hello("w2", 2);  // one trial and a free slot: parallelism 2 is reached
  ASSERT_EQ(outbox_.Take<wire::Assign>().size(), 2u);
  Hello("w3", 1);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty());
  const std::int64_t w1_trial = store_.trials().begin()->first;
  // w1 dies now; w2 dies 300 ms later, just after a heartbeat; w3 lives.
  now_ += 300ms;
  Beat("w2", 2, {{store_.trials().rbegin()->first, 1}});
  Beat("w3", 1, {});
  for (int i = 0; i < 3; ++i) {
    now_ += 250ms;
    Beat("w3", 1, {});
  }
  now_ += 100ms;  // w1 silent 1.15 s (past the lease), w2 0.85 s (suspect, within the lease)
  scheduler_.Tick(now_);
  const auto retry = outbox_.Take<wire::Assign>();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].second.trial.trial_id, w1_trial);
  EXPECT_EQ(retry[0].first, "w3") << "not w2, silent for most of a lease";
}

TEST_F(SchedulerTest, AResultFromAnotherWorkerIsNotRecorded) {
  NewExperiment("e", 3, 1);
  Hello("w1", 1);
  const auto a = outbox_.Take<wire::Assign>();
  ASSERT_EQ(a.size(), 1u);
  Hello("intruder", 1);
  Result("intruder", a[0].second.trial, 0.99);
  scheduler_.OnMessage("intruder", wire::Fail{a[0].second.trial, "forged"}, now_);
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_EQ(acks.size(), 2u);
  for (const auto& [w, ack] : acks) EXPECT_FALSE(ack.accepted);
  EXPECT_EQ(store_.trials().at(a[0].second.trial.trial_id).state, TrialState::kRunning);
  EXPECT_TRUE(outbox_.Take<wire::Assign>().empty()) << "w1 still holds the one slot";
  Result("w1", a[0].second.trial, 0.5);
  EXPECT_EQ(*store_.trials().at(a[0].second.trial.trial_id).value, 0.5);
}

}  // namespace
}  // namespace krige::service

namespace krige::service {
namespace {

// An experiment of 3 trials with `pruner` and `folds`-fold CV on one worker "w" of one slot:
// its first trial completes at 0.9 on every fold; returns the second, now running.
class PruningSchedulerTest : public SchedulerTest {
 protected:
  wire::TrialRef SecondTrialAfterOneAt09(const Json& pruner, int folds) {
    Json spec = ToJson(Spec("p", 3, 1));
    spec["pruner"] = pruner;
    spec["training"]["folds"] = folds;
    const auto e = store_.Create(SpecFromJson(spec)).id;
    scheduler_.OnExperimentCreated(e, now_);
    Hello("w", 1);
    auto first = outbox_.Take<wire::Assign>();
    EXPECT_EQ(first.size(), 1u);
    wire::Result r;
    r.trial = first.at(0).second.trial;
    r.value = 0.9;
    for (int f = 0; f < folds; ++f) r.steps.push_back({f, {{"accuracy", 0.9}}});
    scheduler_.OnMessage("w", r, now_);
    auto second = outbox_.Take<wire::Assign>();
    EXPECT_EQ(second.size(), 1u);
    return second.at(0).second.trial;
  }
};

TEST_F(PruningSchedulerTest, AReportThePrunerRejectsEndsTheTrialPrunedAndTellsTheWorker) {
  const wire::TrialRef ref = SecondTrialAfterOneAt09({{"name", "folds"}}, 5);
  // Fold 0 at 0.7: (0.7 + 4) / 5 = 0.94 could still beat 0.9: it goes on.
  scheduler_.OnMessage("w", wire::Report{ref, {0, {{"accuracy", 0.7}}}}, now_);
  scheduler_.Tick(now_);
  EXPECT_TRUE(outbox_.Take<wire::Prune>().empty());
  // Fold 1 at 0.3: (1.0 + 3) / 5 = 0.8 < 0.9: pruned once the report is stored.
  scheduler_.OnMessage("w", wire::Report{ref, {1, {{"accuracy", 0.3}}}}, now_);
  scheduler_.Tick(now_);
  const auto prunes = outbox_.Take<wire::Prune>();
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].first, "w");
  EXPECT_EQ(prunes[0].second.trial.trial_id, ref.trial_id);
  const Trial& t = store_.trials().at(ref.trial_id);
  EXPECT_EQ(t.state, TrialState::kPruned);
  EXPECT_EQ(t.value, 0.3);
  EXPECT_NE(t.error.find("pruned at step 1 by folds"), std::string::npos) << t.error;
  // The slot is free again: the third and last trial is handed out.
  ASSERT_EQ(outbox_.Take<wire::Assign>().size(), 1u);
  // The worker's own "stopped" failure comes late: the trial stays pruned.
  scheduler_.OnMessage("w", wire::Fail{ref, "stopped"}, now_);
  const auto acks = outbox_.Take<wire::Ack>();
  ASSERT_FALSE(acks.empty());
  EXPECT_FALSE(acks.back().second.accepted);
  EXPECT_EQ(store_.trials().at(ref.trial_id).state, TrialState::kPruned);
}

// The last fold's verdict saves no work: the trial is answered CONTINUE and completes with its
// real value, even where the pruner would have stopped it one fold earlier.
TEST_F(PruningSchedulerTest, AReportOfTheLastFoldIsNeverPruned) {
  // Rungs at steps 1 and 2 (the last): Optuna's rule would prune there too.
  const wire::TrialRef ref =
      SecondTrialAfterOneAt09({{"name", "asha"}, {"min_resource", 1}, {"reduction_factor", 2}}, 3);
  // Fold 1 at 0.95 beats the first trial's 0.9 at rung 0; the last fold at 0.5 is below its
  // 0.9 at rung 1, where asha alone would prune (only the top half goes on).
  for (int f = 0; f < 3; ++f) {
    scheduler_.OnMessage("w", wire::Report{ref, {f, {{"accuracy", f == 2 ? 0.5 : 0.95}}}}, now_);
    scheduler_.Tick(now_);
    EXPECT_TRUE(outbox_.Take<wire::Prune>().empty()) << "fold " << f;
    const auto go_on = outbox_.Take<wire::Continue>();
    ASSERT_EQ(go_on.size(), 1u) << "fold " << f;
    EXPECT_EQ(go_on[0].second.step, f);
  }
  EXPECT_EQ(store_.trials().at(ref.trial_id).state, TrialState::kRunning);
  wire::Result done;
  done.trial = ref;
  done.value = (0.95 + 0.95 + 0.5) / 3;
  scheduler_.OnMessage("w", done, now_);
  EXPECT_EQ(store_.trials().at(ref.trial_id).state, TrialState::kCompleted);
}

}  // namespace
}  // namespace krige::service
