// ExperimentRepository::Transition and Delete on a real PostgreSQL: the state moves only from
// the states given, a stop or failure ends the active trials in the same transaction (the
// counts on the experiment follow), paused experiments are served after a restart, and a delete
// takes the trials and their metrics with it.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "krige/codec.hpp"
#include "krige/storage/pg.hpp"
#include "test_env.hpp"

namespace krige::storage {
namespace {

using S = ExperimentState;

class ControlPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg::OpenDatabase(database_.url());
    pg::ApplyMigrations(*db_);
    experiments_ = pg::MakeExperimentRepository(db_);
    trials_ = pg::MakeTrialRepository(db_);
  }
  Experiment NewExperiment() {
    return experiments_->Create(
        SpecFromJson(Json{{"name", "control"},
                          {"objective", {{"metric", "accuracy"}}},
                          {"max_trials", 10},
                          {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 10}}}}},
                          {"training", {{"dataset", "d.csv"}, {"model", "logistic_regression"}}}}));
  }

  testing::TestDatabase database_;
  std::shared_ptr<pg::Database> db_;
  std::unique_ptr<ExperimentRepository> experiments_;
  std::unique_ptr<TrialRepository> trials_;
};

TEST_F(ControlPgTest, TransitionsMoveOnlyFromTheGivenStatesAndStopEndsActiveTrials) {
  const Experiment e = NewExperiment();
  const Trial done = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w");
  ASSERT_EQ(trials_->Complete({done.id, 1, "w"}, 0.9, {}, {{0, {{"accuracy", 0.9}}}}).recorded,
            Recorded::kAccepted);
  const Trial running = trials_->CreateRunning(e.id, {{"C", 2.0}}, "w");

  EXPECT_FALSE(experiments_->Transition(e.id, {S::kPaused}, S::kRunning, "", ""));
  ASSERT_TRUE(experiments_->Transition(e.id, {S::kRunning}, S::kPaused, "", ""));
  EXPECT_EQ(experiments_->Get(e.id)->state, S::kPaused);
  ASSERT_EQ(experiments_->ListRunning().size(), 1u) << "a paused experiment is still served";

  ASSERT_TRUE(experiments_->Transition(e.id, {S::kRunning, S::kPaused}, S::kStopped, "",
                                       "experiment stopped"));
  Experiment stopped = *experiments_->Get(e.id);
  EXPECT_EQ(stopped.state, S::kStopped);
  EXPECT_FALSE(stopped.finished_at.empty());
  EXPECT_EQ(stopped.counts.completed, 1);
  EXPECT_EQ(stopped.counts.running, 0);
  EXPECT_EQ(stopped.counts.failed, 1);
  EXPECT_EQ(trials_->Get(running.id)->error, "experiment stopped");
  EXPECT_EQ(trials_->Get(done.id)->state, TrialState::kCompleted) << "finished trials stay";
  EXPECT_TRUE(experiments_->ListRunning().empty());
  // The stopped trial's late result is discarded.
  EXPECT_EQ(trials_->Complete({running.id, 1, "w"}, 0.5, {}, {}).recorded, Recorded::kStale);

  ASSERT_TRUE(experiments_->Transition(e.id, {S::kStopped}, S::kRunning, "", ""));
  EXPECT_TRUE(experiments_->Get(e.id)->finished_at.empty());
  ASSERT_TRUE(experiments_->Transition(e.id, {S::kRunning}, S::kFailed, "3 trials failed", "x"));
  EXPECT_EQ(experiments_->Get(e.id)->error, "3 trials failed");
}

TEST_F(ControlPgTest, DeleteTakesTheTrialsAndTheirMetrics) {
  const Experiment e = NewExperiment();
  const Experiment other = NewExperiment();
  const Trial t = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w");
  trials_->Complete({t.id, 1, "w"}, 0.9, {}, {{0, {{"accuracy", 0.9}}}, {1, {{"accuracy", 0.8}}}});
  ASSERT_TRUE(experiments_->Get(e.id)->best) << "the best-trial reference must not block it";
  const Trial kept = trials_->CreateRunning(other.id, {{"C", 1.0}}, "w");

  EXPECT_TRUE(experiments_->Delete(e.id));
  EXPECT_FALSE(experiments_->Get(e.id));
  EXPECT_FALSE(trials_->Get(t.id));
  EXPECT_FALSE(experiments_->Delete(e.id));
  pqxx::connection c(database_.url());
  pqxx::read_transaction w(c);
  EXPECT_EQ(
      w.exec_params1("SELECT count(*) FROM trial_metrics WHERE trial_id = $1", t.id)[0].as<int>(),
      0);
  EXPECT_TRUE(trials_->Get(kept.id)) << "another experiment's trials stay";
}

}  // namespace
}  // namespace krige::storage
