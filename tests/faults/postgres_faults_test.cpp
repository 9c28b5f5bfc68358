// PostgreSQL restarted, stopped for a while, and crashed under running sweeps; and a worker
// lost while PostgreSQL is down. krige-server must outlive each outage (it is never restarted
// here) and every sweep must end with each trial done once.
#include <signal.h>

#include "fault_env.hpp"
#include "krige/codec.hpp"

namespace krige::testing {
namespace {

using namespace std::chrono_literals;

class PostgresFaultTest : public FaultTest {};

TEST_F(PostgresFaultTest, ThreeFastRestartsDuringASweep) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  Submit(CommandSweep("three-pg-restarts", 60, 2, "0.1"));
  for (const int moment : Moments(3, 5, 54)) {
    ASSERT_TRUE(WaitCompleted(moment));
    Jitter(150ms);
    Note("pg_ctl restart -m fast after " + std::to_string(moment) + " completed trials");
    pg().Restart();
    Note("PostgreSQL restarted");
  }
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
}

// Sends one request; a server that does not answer within 5 s counts as status 0.
HttpResponse Probe(const std::string& http, const std::string& target) {
  try {
    return MakeHttpTransport(http, 5s)->Send({"GET", target, "", {}});
  } catch (const Error& e) {
    HttpResponse none;
    none.body = e.what();
    return none;
  }
}

std::string ErrorCodeOf(const HttpResponse& r) {
  const Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("error") || !body["error"].contains("code"))
    return "(no error code in: " + r.body + ")";
  return body["error"]["code"].dump();
}

TEST_F(PostgresFaultTest, TwentySecondsWithoutPostgres) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  const std::int64_t id = Submit(CommandSweep("twenty-seconds-down", 50, 2, "0.1"));
  const int moment = Moments(1, 10, 30)[0];
  ASSERT_TRUE(WaitCompleted(moment));
  Jitter(150ms);
  Note("pg_ctl stop -m fast after " + std::to_string(moment) + " completed trials");
  const auto stopped = std::chrono::steady_clock::now();
  pg().Stop();
  // While the store is away the API says so: 503 "unavailable", not a hang or a 500.
  ASSERT_TRUE(SleepWatchingServer(2s));
  const HttpResponse health = Probe(http(), "/healthz");
  const HttpResponse experiment = Probe(http(), "/api/v1/experiments/" + std::to_string(id));
  Note("during the outage: /healthz " + std::to_string(health.status) + ", experiment " +
       std::to_string(experiment.status) + " " + experiment.body);
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(experiment.status, 503) << experiment.body;
  EXPECT_EQ(ErrorCodeOf(experiment), "\"unavailable\"");
  ASSERT_TRUE(SleepWatchingServer(std::chrono::duration_cast<std::chrono::milliseconds>(
      stopped + 20s - std::chrono::steady_clock::now())))
      << "krige-server must outlive a database outage";
  pg().Start();
  Note("PostgreSQL started again");
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
  const HttpResponse after = Probe(http(), "/healthz");
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST_F(PostgresFaultTest, SixCrashesDuringSweeps) {
  StartServer();
  StartWorker("w0", 2);
  StartWorker("w1", 2);
  Submit(CommandSweep("crashes-a", 50, 2, "0.1"));
  Submit(CommandSweep("crashes-b", 50, 2, "0.1"));
  for (const int moment : Moments(6, 5, 90)) {
    ASSERT_TRUE(WaitCompleted(moment));
    Jitter(150ms);
    Note("pg_ctl stop -m immediate after " + std::to_string(moment) + " completed trials");
    pg().Crash();
    Jitter(500ms);
    pg().Start();
    Note("PostgreSQL recovered");
  }
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
}

TEST_F(PostgresFaultTest, AWorkerLostWhilePostgresIsDown) {
  StartServer();
  StartWorker("w0");
  StartWorker("w1");
  Submit(CommandSweep("worker-lost-while-pg-down", 30, 2, "0.5"));
  ASSERT_TRUE(WaitCompleted(Moments(1, 3, 10)[0]));
  std::optional<StoredTrial> held;
  ASSERT_TRUE(WaitUntil("a running trial on w0", [&](const auto&) {
    for (const auto& t : RunningTrials())
      if (t.worker == "w0") held = t;
    return held.has_value();
  }));
  Note("pg_ctl stop -m fast while w0 runs trial " + std::to_string(held->id) + " attempt " +
       std::to_string(held->attempt));
  pg().Stop();
  worker("w0").Kill(SIGKILL);
  ASSERT_EQ(worker("w0").Wait(10s), 128 + SIGKILL);
  Note("w0 SIGKILLed; PostgreSQL stays down 8 s");
  ASSERT_TRUE(SleepWatchingServer(8s)) << "krige-server must outlive a database outage";
  pg().Start();
  Note("PostgreSQL started again");
  ASSERT_TRUE(WaitAllEnded());
  ExpectAllComplete();
  // The trial w0 held was finished by w1 on a later attempt, or by w0 itself if its result
  // got in just before the outage.
  const auto after = ReadTrial(held->id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, "completed");
  EXPECT_TRUE((after->attempt > held->attempt && after->worker == "w1") ||
              (after->attempt == held->attempt && after->worker == "w0"))
      << "trial " << after->id << ": attempt " << after->attempt << " on " << after->worker;
}

}  // namespace
}  // namespace krige::testing
