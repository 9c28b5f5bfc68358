// krige-server SIGKILLed again and again in one sweep, each time restarted on the same database
// and the same ZeroMQ endpoint: the workers reconnect by themselves, and the sweep ends with
// every trial done once.
#include <signal.h>

#include <chrono>
#include <thread>

#include "fault_env.hpp"

namespace krige::testing {
namespace {

class CoordinatorFaultTest : public FaultTest {};

TEST_F(CoordinatorFaultTest, TenKillsOfTheServerInOneSweep) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  Submit(CommandSweep("ten-server-kills", 60, 2, "0.1"));
  for (const int moment : Moments(10, 3, 55)) {
    ASSERT_TRUE(WaitCompleted(moment));
    Jitter(std::chrono::milliseconds(150));  // any phase of a trial
    Note("SIGKILL krige-server after " + std::to_string(moment) + " completed trials");
    KillServer();
    StartServer();
  }
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
}

// Group commit: the results of many slots wait in one transaction, which the test holds on a
// row lock; krige-server is killed with that batch in flight. Nothing of it was committed or
// ACKed, so the store still has exactly the trials completed before; the workers resend the
// results to the restarted server, which records each once, on the attempt that ran it.
TEST_F(CoordinatorFaultTest, AKillWithABatchOfResultsInFlight) {
  StartServer();
  for (const char* id : {"w0", "w1", "w2", "w3"}) StartWorker(id, 4);
  const std::int64_t id = Submit(CommandSweep("batch-in-flight", 120, 16, "0.05"));
  ASSERT_TRUE(WaitCompleted(20));

  pqxx::connection lock_connection(pg().url());
  pqxx::work lock(lock_connection);
  lock.exec_params("SELECT 1 FROM experiments WHERE id = $1 FOR UPDATE", id);
  // The scheduler's transaction of results now waits for the experiment's row.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pqxx::read_transaction r(Sql());
    waiting = r.exec1(
                   "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE '%state = ''completed''%'")[0]
                  .as<int>() > 0;
  }
  ASSERT_TRUE(waiting) << "no transaction of results waited for the lock";
  const auto count = [&](const char* where) {
    pqxx::read_transaction r(Sql());
    return r.exec1("SELECT count(*) FROM trials WHERE " + std::string(where))[0].as<int>();
  };
  const int completed = count("state = 'completed'");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // more results queue behind it
  Note("SIGKILL krige-server with a batch of results waiting for a row lock");
  KillServer();
  lock.abort();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(count("state = 'completed'"), completed) << "a batch that was never ACKed is stored";
  const int in_flight = count("state = 'running'");
  EXPECT_GT(in_flight, 1);
  StartServer();
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
  // Every trial ran once: the results in flight were resent and recorded, none was run again.
  EXPECT_EQ(count("attempt > 1"), 0);
  // Each value is the one its trial computed (the objective prints loss = x).
  EXPECT_EQ(count("value IS NULL OR abs(value - (params->>'x')::float8) > 1e-9"), 0);
}

}  // namespace
}  // namespace krige::testing
