#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <set>

#include "krige/codec.hpp"
#include "krige/storage/pg.hpp"
#include "test_env.hpp"

namespace krige::storage {
namespace {

ExperimentSpec Spec(int max_trials, const char* metric = "accuracy") {
  const bool regression = std::string(metric) == "rmse";
  return SpecFromJson(Json{{"name", "pg test"},
                           {"objective", {{"metric", metric}}},
                           {"max_trials", max_trials},
                           {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 10}}}}},
                           {"training",
                            {{"dataset", "d.csv"},
                             {"task", regression ? "regression" : "classification"},
                             {"model", regression ? "ridge" : "logistic_regression"}}}});
}

std::size_t MigrationFiles() {
  std::size_t n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::SourceDir() + "/migrations"))
    n += entry.path().extension() == ".sql";
  return n;
}

class RepositoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg::OpenDatabase(database_.url());
    ASSERT_EQ(pg::ApplyMigrations(*db_).size(), MigrationFiles());  // every migrations/*.sql
    experiments_ = pg::MakeExperimentRepository(db_);
    trials_ = pg::MakeTrialRepository(db_);
  }

  testing::TestDatabase database_;
  std::shared_ptr<pg::Database> db_;
  std::unique_ptr<ExperimentRepository> experiments_;
  std::unique_ptr<TrialRepository> trials_;
};

TEST_F(RepositoriesTest, WorkersAreStoredWithWhatTheyRunAndAliveOnlyWhileKnown) {
  auto workers = pg::MakeWorkerRepository(db_);
  workers->Seen({"a", "host-a", 2, "0.1.0", {"cv", "function:train"}, 0});
  workers->Seen({"b", "host-b", 1, "0.1.0", {"command"}, 7});
  // Adopted from a heartbeat: no hostname or version then; the stored ones stay.
  workers->Seen({"a", "", 4, "", {"cv"}, 0});
  auto alive = workers->ListAlive();
  ASSERT_EQ(alive.size(), 2u);
  EXPECT_EQ(alive[0].id, "a");
  EXPECT_EQ(alive[0].hostname, "host-a");
  EXPECT_EQ(alive[0].slots, 4);
  EXPECT_EQ(alive[0].kinds, std::vector<std::string>{"cv"});
  EXPECT_EQ(alive[1].kinds, std::vector<std::string>{"command"});
  EXPECT_EQ(alive[1].only_experiment, 7);
  workers->Alive({"b"});  // the scheduler knows only b: a is lost
  alive = workers->ListAlive();
  ASSERT_EQ(alive.size(), 1u);
  EXPECT_EQ(alive[0].id, "b");
  workers->MarkLost("b");
  EXPECT_TRUE(workers->ListAlive().empty());
  workers->Alive({"b"});  // known again: alive again
  EXPECT_EQ(workers->ListAlive().size(), 1u);
}

TEST_F(RepositoriesTest, MigrationsApplyOnce) {
  EXPECT_TRUE(pg::ApplyMigrations(*db_).empty());
}

TEST_F(RepositoriesTest, ExperimentRoundTrips) {
  const Experiment created = experiments_->Create(Spec(3));
  const auto got = experiments_->Get(created.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(ToJson(got->spec), ToJson(Spec(3)));
  EXPECT_EQ(got->state, ExperimentState::kRunning);
  EXPECT_EQ(got->counts.total(), 0);
  EXPECT_FALSE(got->best);
  EXPECT_FALSE(experiments_->Get(created.id + 100));
}

TEST_F(RepositoriesTest, CountsKeptOnTheExperimentAgreeWithTheTrialsAfterEveryChange) {
  const Experiment e = experiments_->Create(Spec(20));
  const Experiment other = experiments_->Create(Spec(20));
  auto check = [&](const char* when) {
    pqxx::connection c(database_.url());
    pqxx::read_transaction r(c);
    for (const std::int64_t id : {e.id, other.id}) {
      const auto counted = r.exec_params1(
          "SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = "
          "'running'), count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE "
          "state = 'failed'), count(*) FILTER (WHERE state = 'pruned') FROM trials WHERE "
          "experiment_id = $1",
          id);
      const TrialCounts kept = experiments_->Get(id)->counts;
      EXPECT_EQ(kept.queued, counted[0].as<int>()) << when;
      EXPECT_EQ(kept.running, counted[1].as<int>()) << when;
      EXPECT_EQ(kept.completed, counted[2].as<int>()) << when;
      EXPECT_EQ(kept.failed, counted[3].as<int>()) << when;
      EXPECT_EQ(kept.pruned, counted[4].as<int>()) << when;
    }
  };
  std::vector<Trial> t;
  for (int i = 0; i < 6; ++i) t.push_back(trials_->CreateRunning(e.id, {{"C", 1.0 + i}}, "w1"));
  trials_->CreateRunning(other.id, {{"C", 1.0}}, "w2");
  check("created");
  EXPECT_EQ(experiments_->Get(e.id)->counts.running, 6);
  trials_->Complete({t[0].id, 1, "w1"}, 0.5, {}, {});
  trials_->Complete({t[0].id, 1, "w1"}, 0.5, {}, {});  // a duplicate changes nothing
  trials_->Fail({t[1].id, 1, "w1"}, "boom");
  trials_->Requeue({t[2].id, 1, ""}, 3, "lost");
  trials_->Requeue({t[3].id, 1, ""}, 1, "lost for good");  // out of attempts: failed
  check("completed, failed, requeued");
  EXPECT_EQ(experiments_->Get(e.id)->counts.queued, 1);
  EXPECT_EQ(experiments_->Get(e.id)->counts.failed, 2);
  trials_->ClaimQueued(e.id, "w2");
  check("claimed");
  {
    // Several rows in one statement, and the experiment's deletion, are counted too.
    pqxx::connection c(database_.url());
    pqxx::work w(c);
    w.exec_params0(
        "UPDATE trials SET state = 'pruned' WHERE experiment_id = $1 AND state = "
        "'running'",
        e.id);
    w.exec_params0("DELETE FROM trials WHERE experiment_id = $1 AND state = 'failed'", e.id);
    w.commit();
  }
  check("pruned and deleted in bulk");
  EXPECT_EQ(experiments_->Get(e.id)->counts.pruned, 3);
  EXPECT_EQ(experiments_->Get(other.id)->counts.running, 1);
}

TEST_F(RepositoriesTest, TheTrialsVersionChangesWithEachChangeOfTheTrialsAndOnlyThen) {
  const Experiment e = experiments_->Create(Spec(20));
  const Experiment other = experiments_->Create(Spec(20));
  std::set<std::string> seen;
  std::string current;
  auto changed = [&](const char* what) {
    const auto v = trials_->Version(e.id);
    ASSERT_TRUE(v) << what;
    EXPECT_TRUE(seen.insert(*v).second) << what << ": version " << *v << " again";
    current = *v;
  };
  auto unchanged = [&](const char* what) { EXPECT_EQ(trials_->Version(e.id), current) << what; };
  changed("no trials");
  unchanged("read again");
  const Trial a = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w1");
  changed("created");
  const Trial b = trials_->CreateRunning(e.id, {{"C", 2.0}}, "w1");
  changed("created another");
  trials_->CreateRunning(other.id, {{"C", 1.0}}, "w2");
  unchanged("another experiment's trial");
  trials_->Complete({a.id, 1, "w1"}, 0.5, {}, {});
  changed("completed");
  trials_->Complete({a.id, 1, "w1"}, 0.5, {}, {});
  unchanged("a duplicate result");
  trials_->Requeue({b.id, 1, ""}, 3, "lost");
  changed("requeued");
  trials_->ClaimQueued(e.id, "w2");
  changed("claimed");
  trials_->Fail({b.id, 2, "w2"}, "boom");
  changed("failed");
  {
    pqxx::connection c(database_.url());
    pqxx::work w(c);
    w.exec_params0("DELETE FROM trials WHERE id = $1", b.id);
    w.commit();
  }
  changed("a trial deleted");
  try {
    trials_->Version(987654);
    ADD_FAILURE() << "an unknown experiment has a version";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kNotFound);
  }
}

TEST_F(RepositoriesTest, ResultsAreIdempotentAndStaleAttemptsDiscarded) {
  const Experiment e = experiments_->Create(Spec(2));
  const Trial t = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w1");
  EXPECT_EQ(t.number, 0);
  EXPECT_EQ(t.attempt, 1);
  EXPECT_EQ(t.state, TrialState::kRunning);

  // Worker lost: attempt 2 is queued; a late result of attempt 1 is discarded.
  EXPECT_EQ(trials_->Requeue({t.id, 1, ""}, 3, "lost").result, Requeued::kRequeued);
  EXPECT_EQ(trials_->Complete({t.id, 1, "w1"}, 0.5, {}, {}).recorded, Recorded::kStale);
  const auto claimed = trials_->ClaimQueued(e.id, "w2");
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, t.id);
  EXPECT_EQ(claimed->attempt, 2);
  EXPECT_FALSE(trials_->ClaimQueued(e.id, "w2"));

  const std::vector<StepScores> folds = {{0, {{"accuracy", 0.8}}}, {1, {{"accuracy", 0.9}}}};
  EXPECT_EQ(trials_->Complete({t.id, 2, "w2"}, 0.85, {{"accuracy", 0.85}}, folds).recorded,
            Recorded::kAccepted);
  EXPECT_EQ(trials_->Complete({t.id, 2, "w2"}, 0.85, {{"accuracy", 0.85}}, folds).recorded,
            Recorded::kDuplicate);
  const auto stored = trials_->Get(t.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, TrialState::kCompleted);
  EXPECT_EQ(stored->value, 0.85);
  ASSERT_EQ(stored->steps.size(), 2u);
  EXPECT_EQ(stored->steps[1].values.at("accuracy"), 0.9);
  EXPECT_EQ(experiments_->Get(e.id)->state, ExperimentState::kRunning);

  // Another worker's result for a running attempt is not recorded, whatever it claims.
  const Trial t2 = trials_->CreateRunning(e.id, {{"C", 2.0}}, "w1");
  EXPECT_EQ(trials_->Complete({t2.id, 1, "intruder"}, 0.99, {}, {}).recorded, Recorded::kStale);
  EXPECT_EQ(trials_->Fail({t2.id, 1, "intruder"}, "forged").recorded, Recorded::kStale);
  trials_->RecordSteps({{{t2.id, 1, "intruder"}, {0, {{"accuracy", 0.99}}}}});
  EXPECT_EQ(trials_->Get(t2.id)->state, TrialState::kRunning);
  EXPECT_TRUE(trials_->Get(t2.id)->steps.empty());

  // The second (last) trial completes the experiment; the best is kept by direction.
  const auto outcome = trials_->Complete({t2.id, 1, "w1"}, 0.7, {}, {});
  EXPECT_TRUE(outcome.experiment_finished);
  const auto done = experiments_->Get(e.id);
  EXPECT_EQ(done->state, ExperimentState::kCompleted);
  EXPECT_EQ(done->counts.completed, 2);
  ASSERT_TRUE(done->best);
  EXPECT_EQ(done->best->id, t.id);
  EXPECT_THROW(trials_->CreateRunning(e.id, {{"C", 3.0}}, "w1"), Error);
}

TEST_F(RepositoriesTest, StepsOfTheRunningAttemptAreStoredInOneBatch) {
  const Experiment e = experiments_->Create(Spec(5));
  const Trial a = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w1");
  const Trial b = trials_->CreateRunning(e.id, {{"C", 2.0}}, "w1");
  trials_->Requeue({b.id, 1, ""}, 3, "lost");  // b's attempt 1 is stale now
  trials_->RecordSteps({{{a.id, 1, "w1"}, {0, {{"accuracy", 0.5}}}},
                        {{a.id, 1, "w1"}, {1, {{"accuracy", 0.75}, {"f1", 0.7}}}},
                        {{b.id, 1, "w1"}, {0, {{"accuracy", 0.9}}}}});
  const auto stored = trials_->Get(a.id);
  ASSERT_EQ(stored->steps.size(), 2u);
  EXPECT_EQ(stored->steps[1].values.at("f1"), 0.7);
  EXPECT_TRUE(trials_->Get(b.id)->steps.empty()) << "a stale attempt's report is ignored";
}

TEST_F(RepositoriesTest, RetriesAreBounded) {
  const Experiment e = experiments_->Create(Spec(1));
  const Trial t = trials_->CreateRunning(e.id, {{"C", 1.0}}, "w1");
  EXPECT_EQ(trials_->Requeue({t.id, 1, ""}, 2, "lost").result, Requeued::kRequeued);
  ASSERT_TRUE(trials_->ClaimQueued(e.id, "w2"));
  const auto last = trials_->Requeue({t.id, 2, ""}, 2, "lost again");
  EXPECT_EQ(last.result, Requeued::kFailed);
  EXPECT_TRUE(last.experiment_finished);
  EXPECT_EQ(trials_->Get(t.id)->error, "lost again");
}

TEST_F(RepositoriesTest, TrialPagesByValueCoverEveryTrialOnce) {
  const Experiment e = experiments_->Create(Spec(50, "rmse"));  // minimize
  std::vector<double> values;
  for (int i = 0; i < 23; ++i) {
    const Trial t = trials_->CreateRunning(e.id, {{"C", 1.0 + i}}, "w");
    if (i % 4 == 3) continue;      // left running: no value
    const double v = (i * 7) % 5;  // ties on purpose
    trials_->Complete({t.id, 1, "w"}, v, {}, {});
  }
  service::TrialQuery q;
  q.sort = service::TrialSort::kValue;
  q.limit = 4;
  std::vector<Trial> seen;
  for (int pages = 0; pages < 20; ++pages) {
    const auto page = trials_->List(e.id, q);
    seen.insert(seen.end(), page.trials.begin(), page.trials.end());
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  ASSERT_EQ(seen.size(), 23u);
  std::set<int> numbers;
  for (const auto& t : seen) numbers.insert(t.number);
  EXPECT_EQ(numbers.size(), 23u);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (!seen[i].value) continue;
    ASSERT_TRUE(seen[i - 1].value) << "valued trials come first";
    EXPECT_LE(*seen[i - 1].value, *seen[i].value) << "minimize: ascending";
  }
  EXPECT_EQ(trials_->Best(e.id)->value, 0.0);
}

}  // namespace
}  // namespace krige::storage
