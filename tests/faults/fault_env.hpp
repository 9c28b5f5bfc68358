// The fault suite's shared pieces: a PostgreSQL cluster of one test that can be restarted and
// crashed, a krige stack on it (server, workers, SDK client), waits that notice a stalled sweep
// and a dead server, the verdict read from SQL, and the logs printed when a test fails.
//
// Fault moments are drawn from one std::mt19937 per test. Its seed is printed; set
// KRIGE_FAULT_SEED to replay a run.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <vector>

#include "krige/client.hpp"
#include "test_env.hpp"

namespace krige::testing {

// A TCP port of 127.0.0.1 that no other test on this machine will pick: below the kernel's
// ephemeral range (so no bind to port 0 is handed it while its owner is down, e.g. while
// PostgreSQL is stopped) and locked with flock(2) on a file under $TMPDIR, which the kernel
// releases when this process dies. Free when chosen; held until the destructor.
class ReservedPort {
 public:
  ReservedPort();
  ~ReservedPort();
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  int port() const { return port_; }

 private:
  int port_ = 0;
  int lock_fd_ = -1;
};

// A throwaway cluster made by scripts/pg-cluster in `dir` (a directory the `postgres` user can
// reach when running as root), with a database `krige`. fsync is off (the machine never
// crashes here, only PostgreSQL does), synchronous_commit is on as in production. Started by
// the constructor, destroyed (stopped, files deleted) by the destructor. Each call below
// throws std::runtime_error quoting pg-cluster's output when it fails.
class PgCluster {
 public:
  explicit PgCluster(std::string dir);
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  const std::string& url() const { return url_; }
  void Start();
  void Stop();     // pg_ctl stop -m fast
  void Restart();  // pg_ctl restart -m fast
  void Crash();    // pg_ctl stop -m immediate (start runs crash recovery)
  std::string LogPath() const { return dir_ + "/data/server.log"; }

 private:
  std::string Run(const std::string& verb) const;
  ReservedPort port_;
  std::string dir_;
  std::string url_;
};

// One experiment as stored, counted in SQL.
struct StoredSweep {
  std::int64_t id = 0;
  std::string state;
  int max_trials = 0;
  int trials = 0, completed = 0, failed = 0, running = 0, queued = 0;
  int distinct_numbers = 0, min_number = -1, max_number = -1;
  int retried = 0;      // trials with attempt > 1
  int attempt_sum = 0;  // moves whenever a trial is requeued
};

// One trial as stored.
struct StoredTrial {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  int number = 0;
  std::string state;
  int attempt = 0;
  std::string worker;
  std::string finished_at;  // exact, as text ("" while unfinished)
};

// A test with its own cluster, one krige-server (restartable on the same ZeroMQ endpoint, so
// workers reconnect by themselves) and workers, all on 127.0.0.1.
class FaultTest : public ::testing::Test {
 protected:
  FaultTest();
  ~FaultTest() override;
  void SetUp() override;
  void TearDown() override;  // prints every log when the test failed

  // (Re)starts krige-server (log server-N.log) on the cluster and on zmq_endpoint().
  void StartServer();
  void KillServer();  // SIGKILL, and waits for the death
  ChildProcess& server() { return *server_; }
  // Starts krige-worker `id` (log `id`.log).
  ChildProcess& StartWorker(const std::string& id, int slots = 1);
  ChildProcess& worker(const std::string& id);
  const Client& client() const { return *client_; }
  const std::string& http() const { return http_; }
  std::string zmq_endpoint() const;
  PgCluster& pg() { return *pg_; }

  // A random search over x in [0, 1] whose trials run `sleep trial_seconds; echo loss=x`.
  // max_attempts is high: faults alone must not use up a trial's attempts.
  ExperimentSpec CommandSweep(const std::string& name, int max_trials, int parallelism,
                              const std::string& trial_seconds);
  std::int64_t Submit(const ExperimentSpec& spec);  // through the SDK; remembered for Verdict

  // Every experiment of the database, from SQL; throws pqxx exceptions when it is down.
  std::vector<StoredSweep> ReadSweeps();
  std::optional<StoredTrial> ReadTrial(std::int64_t id);
  std::vector<StoredTrial> RunningTrials();
  // The SQL connection of the test (reopened after a failure).
  pqxx::connection& Sql();
  void DropSql() { sql_.reset(); }

  // Polls the store until `done` holds. Fails, saying what it saw, when krige-server exits
  // (unless it was killed by KillServer), when nothing moves for stall_limit (no trial
  // created, ended or requeued), or after `deadline`. A database that does not answer is
  // "nothing moves".
  ::testing::AssertionResult WaitUntil(
      const std::string& what, const std::function<bool(const std::vector<StoredSweep>&)>& done,
      std::chrono::seconds deadline = std::chrono::seconds(200));
  // Until the submitted experiments have `n` completed trials in all.
  ::testing::AssertionResult WaitCompleted(int n);
  // Until no submitted experiment is `running`.
  ::testing::AssertionResult WaitAllEnded(
      std::chrono::seconds deadline = std::chrono::seconds(200));
  // Sleeps `how_long`, failing early if krige-server exits meanwhile.
  ::testing::AssertionResult SleepWatchingServer(std::chrono::milliseconds how_long);

  // The verdict, in SQL: every submitted experiment `completed` with exactly max_trials trials,
  // numbered 0..max_trials-1 once each, all completed (the objective cannot fail), none left
  // running or queued.
  void ExpectAllComplete();

  // n distinct moments in [lo, hi] (e.g. counts of completed trials), in increasing order.
  std::vector<int> Moments(int n, int lo, int hi);
  // Sleeps a random time in [0, max].
  void Jitter(std::chrono::milliseconds max);
  std::mt19937& rng() { return rng_; }
  // Prints "[fault +12.3s] what" (the timeline a failure is read against).
  void Note(const std::string& what) const;
  std::string Describe(const std::vector<StoredSweep>& sweeps);  // counts + unfinished trials

  std::chrono::seconds stall_limit{30};

 private:
  std::string Logs() const;

  std::uint64_t seed_ = 0;
  std::mt19937 rng_;
  std::chrono::steady_clock::time_point start_;
  TempDir dir_;
  std::unique_ptr<PgCluster> pg_;
  ReservedPort zmq_port_;
  int servers_started_ = 0;
  bool server_killed_ = false;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::pair<std::string, std::unique_ptr<ChildProcess>>> workers_;
  std::string http_;
  std::unique_ptr<Client> client_;
  std::vector<std::int64_t> submitted_;
  std::unique_ptr<pqxx::connection> sql_;
};

}  // namespace krige::testing
