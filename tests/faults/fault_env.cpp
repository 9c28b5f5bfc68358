#include "fault_env.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "krige/codec.hpp"

namespace krige::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool PortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int on = 1;
  // As PostgreSQL and ZeroMQ bind: a port in TIME_WAIT is usable.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The low end of the kernel's ephemeral range (32768 on Linux by default).
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  in >> low;
  return low;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string LastLine(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line))
    if (!line.empty()) last = line;
  return last;
}

// The end of a log: enough to read the failure, not a flood.
std::string Tail(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  if (!in) return "(missing)\n";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  std::size_t from = 0;
  if (lines.size() > max_lines) {
    from = lines.size() - max_lines;
    out += "(" + std::to_string(from) + " earlier lines left out)\n";
  }
  for (std::size_t i = from; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

std::string Fingerprint(const std::vector<StoredSweep>& sweeps) {
  std::ostringstream out;
  for (const auto& s : sweeps)
    out << s.id << s.state << ':' << s.trials << ',' << s.completed << ',' << s.failed << ','
        << s.running << ',' << s.queued << ',' << s.attempt_sum << ';';
  return out.str();
}

}  // namespace

ReservedPort::ReservedPort() {
  const int high = EphemeralLow();
  const int low = std::max(10000, high - 10000);
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = std::string(tmp && *tmp ? tmp : "/tmp");
  std::random_device rd;
  std::uniform_int_distribution<int> pick(low, high - 1);
  for (int tries = 0; tries < 200; ++tries) {
    const int port = pick(rd);
    const std::string lock = dir + "/krige-test-port-" + std::to_string(port) + ".lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !PortFree(port)) {
      ::close(fd);
      continue;
    }
    port_ = port;
    lock_fd_ = fd;
    return;
  }
  throw std::runtime_error("no free port to reserve in [" + std::to_string(low) + ", " +
                           std::to_string(high) + ")");
}

ReservedPort::~ReservedPort() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

PgCluster::PgCluster(std::string dir) : dir_(std::move(dir)) {
  try {
    Run("start");
    url_ = LastLine(Run("createdb"));
  } catch (...) {
    try {
      Run("destroy");  // no destructor runs for a half-made cluster
    } catch (...) {
    }
    throw;
  }
}

PgCluster::~PgCluster() {
  try {
    Run("destroy");
  } catch (const std::exception& e) {
    std::cerr << "could not destroy the cluster in " << dir_ << ": " << e.what() << "\n";
  }
}

std::string PgCluster::Run(const std::string& verb) const {
  std::string command = "KRIGE_PG_FSYNC=off KRIGE_PG_SYNCHRONOUS_COMMIT=on KRIGE_PG_PORT=" +
                        std::to_string(port_.port()) + " " +
                        Quote(SourceDir() + "/scripts/pg-cluster") + " ";
  if (verb == "createdb") {
    command += "createdb " + Quote(dir_) + " krige";
  } else {
    command += verb + " " + Quote(dir_);
  }
  const auto [code, out] = RunCommand(command + " 2>&1");
  if (code != 0)
    throw std::runtime_error("pg-cluster " + verb + " failed (exit " + std::to_string(code) +
                             "):\n" + out);
  return out;
}

void PgCluster::Start() {
  Run("start");
}
void PgCluster::Stop() {
  Run("stop");
}
void PgCluster::Restart() {
  Run("restart");
}
void PgCluster::Crash() {
  Run("crash");
}

FaultTest::FaultTest() : start_(Clock::now()) {
  if (const char* s = std::getenv("KRIGE_FAULT_SEED"); s && *s) {
    seed_ = std::strtoull(s, nullptr, 10);
  } else {
    seed_ = std::random_device{}();
  }
  rng_.seed(static_cast<std::mt19937::result_type>(seed_));
}

FaultTest::~FaultTest() = default;

void FaultTest::SetUp() {
  std::cout << "fault seed " << seed_ << " (replay with KRIGE_FAULT_SEED=" << seed_ << ")\n";
  RecordProperty("fault_seed", std::to_string(seed_));
  // The cluster belongs to `postgres` when running as root: it must be able to enter.
  ::chmod(dir_.path().c_str(), 0755);
  pg_ = std::make_unique<PgCluster>(dir_.path() + "/pg");
  Note("PostgreSQL up: " + pg_->url());
}

void FaultTest::TearDown() {
  if (HasFailure()) {
    std::cout << "fault seed was " << seed_ << " (replay with KRIGE_FAULT_SEED=" << seed_ << ")\n"
              << Logs();
  }
}

std::string FaultTest::Logs() const {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path(), ec))
    if (entry.path().extension() == ".log") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  if (pg_) paths.push_back(pg_->LogPath());
  std::string out;
  for (const auto& p : paths) out += "--- " + p + "\n" + Tail(p, 400);
  return out;
}

void FaultTest::Note(const std::string& what) const {
  const double t = std::chrono::duration<double>(Clock::now() - start_).count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "[fault +%.1fs] ", t);
  std::cout << stamp << what << std::endl;
}

std::string FaultTest::zmq_endpoint() const {
  return "tcp://127.0.0.1:" + std::to_string(zmq_port_.port());
}

void FaultTest::StartServer() {
  const std::string log = dir_.path() + "/server-" + std::to_string(servers_started_++) + ".log";
  auto server = testing::StartServer(pg_->url(), log, testing::Auth::kOff, {"--lease-seconds", "3"},
                                     zmq_endpoint());
  server_ = std::move(server.process);
  server_killed_ = false;
  http_ = server.http;
  client_ = std::make_unique<Client>(MakeHttpTransport(http_, std::chrono::seconds(30)));
  Note("krige-server " + std::to_string(server_->pid()) + " listening at " + http_);
}

void FaultTest::KillServer() {
  server_killed_ = true;
  server_->Kill(SIGKILL);
  if (server_->Wait(10s) != 128 + SIGKILL)
    throw std::runtime_error("krige-server did not die of SIGKILL within 10 s");
}

ChildProcess& FaultTest::StartWorker(const std::string& id, int slots) {
  workers_.emplace_back(id, std::make_unique<ChildProcess>(
                                std::vector<std::string>{
                                    BinDir() + "/krige-worker", "--allow-commands", "--connect",
                                    zmq_endpoint(), "--slots", std::to_string(slots), "--id", id},
                                dir_.path() + "/" + id + ".log"));
  return *workers_.back().second;
}

ChildProcess& FaultTest::worker(const std::string& id) {
  for (auto& [name, process] : workers_)
    if (name == id) return *process;
  throw std::runtime_error("no worker " + id);
}

ExperimentSpec FaultTest::CommandSweep(const std::string& name, int max_trials, int parallelism,
                                       const std::string& trial_seconds) {
  const Json spec = {{"name", name},
                     {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
                     {"tuner", {{"name", "random"}, {"seed", rng_()}}},
                     {"max_trials", max_trials},
                     {"parallelism", parallelism},
                     {"max_attempts", 20},
                     {"space", {{"x", {{"type", "float"}, {"low", 0.0}, {"high", 1.0}}}}},
                     {"training",
                      {{"kind", "command"},
                       {"command", {"/bin/sh", "-c", "sleep " + trial_seconds + "; echo loss={x}"}},
                       {"timeout_seconds", 60}}}};
  return SpecFromJson(spec);
}

std::int64_t FaultTest::Submit(const ExperimentSpec& spec) {
  const Experiment e = client_->CreateExperiment(spec);
  submitted_.push_back(e.id);
  return e.id;
}

pqxx::connection& FaultTest::Sql() {
  if (!sql_ || !sql_->is_open()) sql_ = std::make_unique<pqxx::connection>(pg_->url());
  return *sql_;
}

std::vector<StoredSweep> FaultTest::ReadSweeps() {
  try {
    pqxx::read_transaction w(Sql());
    const auto rows = w.exec(
        "SELECT e.id, e.state, e.max_trials, count(t.id),"
        " count(t.id) FILTER (WHERE t.state = 'completed'),"
        " count(t.id) FILTER (WHERE t.state = 'failed'),"
        " count(t.id) FILTER (WHERE t.state = 'running'),"
        " count(t.id) FILTER (WHERE t.state = 'queued'),"
        " count(DISTINCT t.number), coalesce(min(t.number), -1), coalesce(max(t.number), -1),"
        " count(t.id) FILTER (WHERE t.attempt > 1), coalesce(sum(t.attempt), 0)"
        " FROM experiments e LEFT JOIN trials t ON t.experiment_id = e.id"
        " GROUP BY e.id ORDER BY e.id");
    std::vector<StoredSweep> out;
    for (const auto& r : rows) {
      StoredSweep s;
      s.id = r[0].as<std::int64_t>();
      s.state = r[1].as<std::string>();
      s.max_trials = r[2].as<int>();
      s.trials = r[3].as<int>();
      s.completed = r[4].as<int>();
      s.failed = r[5].as<int>();
      s.running = r[6].as<int>();
      s.queued = r[7].as<int>();
      s.distinct_numbers = r[8].as<int>();
      s.min_number = r[9].as<int>();
      s.max_number = r[10].as<int>();
      s.retried = r[11].as<int>();
      s.attempt_sum = r[12].as<int>();
      out.push_back(s);
    }
    return out;
  } catch (...) {
    DropSql();  // the next read reconnects
    throw;
  }
}

namespace {

StoredTrial TrialFromRow(const pqxx::row& r) {
  StoredTrial t;
  t.id = r[0].as<std::int64_t>();
  t.experiment_id = r[1].as<std::int64_t>();
  t.number = r[2].as<int>();
  t.state = r[3].as<std::string>();
  t.attempt = r[4].as<int>();
  t.worker = r[5].as<std::string>();
  t.finished_at = r[6].as<std::string>();
  return t;
}

constexpr const char* kTrialColumns =
    "SELECT id, experiment_id, number, state, attempt, coalesce(worker, ''),"
    " coalesce(finished_at::text, '') FROM trials ";

}  // namespace

std::optional<StoredTrial> FaultTest::ReadTrial(std::int64_t id) {
  try {
    pqxx::read_transaction w(Sql());
    const auto rows = w.exec_params(std::string(kTrialColumns) + "WHERE id = $1", id);
    if (rows.empty()) return std::nullopt;
    return TrialFromRow(rows[0]);
  } catch (...) {
    DropSql();
    throw;
  }
}

std::vector<StoredTrial> FaultTest::RunningTrials() {
  try {
    pqxx::read_transaction w(Sql());
    std::vector<StoredTrial> out;
    for (const auto& r : w.exec(std::string(kTrialColumns) + "WHERE state = 'running' ORDER BY id"))
      out.push_back(TrialFromRow(r));
    return out;
  } catch (...) {
    DropSql();
    throw;
  }
}

std::string FaultTest::Describe(const std::vector<StoredSweep>& sweeps) {
  std::ostringstream out;
  for (const auto& s : sweeps)
    out << "\n  experiment " << s.id << " " << s.state << ": " << s.trials << "/" << s.max_trials
        << " trials, " << s.completed << " completed, " << s.failed << " failed, " << s.running
        << " running, " << s.queued << " queued, " << s.retried << " retried";
  try {
    pqxx::read_transaction w(Sql());
    const auto rows = w.exec(
        "SELECT id, experiment_id, number, state, attempt, coalesce(worker, ''),"
        " coalesce(to_char(started_at, 'HH24:MI:SS.MS'), '') FROM trials"
        " WHERE state IN ('running', 'queued') ORDER BY id LIMIT 20");
    for (const auto& r : rows)
      out << "\n  unfinished: trial " << r[0].as<std::string>() << " (experiment "
          << r[1].as<std::string>() << ", number " << r[2].as<std::string>() << ") "
          << r[3].as<std::string>() << " attempt " << r[4].as<std::string>() << " on '"
          << r[5].as<std::string>() << "' since " << r[6].as<std::string>();
    // Trials a worker was given that the store no longer has (lost with a crash).
    std::map<std::int64_t, std::string> assigned;
    const std::regex assign_line("trial ([0-9]+) \\(attempt ([0-9]+)\\)");
    for (const auto& [id, process] : workers_) {
      std::istringstream lines(process->Log());
      std::smatch m;
      for (std::string line; std::getline(lines, line);)
        if (std::regex_search(line, m, assign_line))
          assigned[std::stoll(m[1])] = id + " attempt " + m[2].str();
    }
    for (const auto& r : w.exec("SELECT id FROM trials")) assigned.erase(r[0].as<std::int64_t>());
    int listed = 0;
    for (const auto& [id, where] : assigned) {
      if (++listed > 20) break;
      out << "\n  assigned but not stored: trial " << id << " (" << where << ")";
    }
  } catch (const std::exception& e) {
    DropSql();
    out << "\n  (cannot list unfinished trials: " << e.what() << ")";
  }
  return out.str();
}

::testing::AssertionResult FaultTest::WaitUntil(
    const std::string& what, const std::function<bool(const std::vector<StoredSweep>&)>& done,
    std::chrono::seconds deadline) {
  const auto begin = Clock::now();
  auto last_change = begin;
  std::string last_fingerprint, last_error;
  std::vector<StoredSweep> seen;
  for (;;) {
    const auto now = Clock::now();
    if (!server_killed_ && server_ && !server_->Running())
      return ::testing::AssertionFailure() << "krige-server exited (status " << server_->Wait(0ms)
                                           << ") while waiting for " << what << Describe(seen);
    try {
      seen = ReadSweeps();
      last_error.clear();
      if (done(seen)) return ::testing::AssertionSuccess();
      const std::string fingerprint = Fingerprint(seen);
      if (fingerprint != last_fingerprint) {
        last_fingerprint = fingerprint;
        last_change = now;
      }
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    if (now - last_change > stall_limit || now - begin > deadline) {
      auto failure = ::testing::AssertionFailure();
      if (now - last_change > stall_limit) {
        failure << "stalled: nothing moved for " << stall_limit.count() << " s";
      } else {
        failure << "timed out after " << deadline.count() << " s";
      }
      failure << " while waiting for " << what << Describe(seen);
      if (!last_error.empty()) failure << "\n  last database error: " << last_error;
      return failure;
    }
    std::this_thread::sleep_for(50ms);
  }
}

::testing::AssertionResult FaultTest::WaitCompleted(int n) {
  return WaitUntil(std::to_string(n) + " completed trials", [n](const auto& sweeps) {
    int completed = 0;
    for (const auto& s : sweeps) completed += s.completed;
    return completed >= n;
  });
}

::testing::AssertionResult FaultTest::WaitAllEnded(std::chrono::seconds deadline) {
  const std::set<std::int64_t> ids(submitted_.begin(), submitted_.end());
  return WaitUntil(
      "every experiment to end",
      [&ids](const auto& sweeps) {
        std::size_t ended = 0;
        for (const auto& s : sweeps)
          if (ids.count(s.id) && s.state != "running") ++ended;
        return ended == ids.size();
      },
      deadline);
}

::testing::AssertionResult FaultTest::SleepWatchingServer(std::chrono::milliseconds how_long) {
  const auto until = Clock::now() + how_long;
  while (Clock::now() < until) {
    if (server_ && !server_->Running())
      return ::testing::AssertionFailure()
             << "krige-server exited (status " << server_->Wait(0ms) << ")";
    std::this_thread::sleep_for(50ms);
  }
  return ::testing::AssertionSuccess();
}

void FaultTest::ExpectAllComplete() {
  std::vector<StoredSweep> sweeps;
  ASSERT_NO_THROW(sweeps = ReadSweeps());
  ASSERT_EQ(sweeps.size(), submitted_.size());
  for (const auto& s : sweeps) {
    SCOPED_TRACE("experiment " + std::to_string(s.id));
    std::cout << "experiment " << s.id << " " << s.state << ": " << s.trials << " trials, "
              << s.completed << " completed, " << s.failed << " failed, " << s.retried
              << " retried\n";
    EXPECT_EQ(s.state, "completed") << Describe(sweeps);
    EXPECT_EQ(s.trials, s.max_trials);
    EXPECT_EQ(s.distinct_numbers, s.trials) << "a trial number twice";
    EXPECT_EQ(s.min_number, 0);
    EXPECT_EQ(s.max_number, s.max_trials - 1);
    EXPECT_EQ(s.running, 0);
    EXPECT_EQ(s.queued, 0);
    EXPECT_EQ(s.completed, s.max_trials) << "the objective cannot fail; failed: " << s.failed;
  }
  if (::testing::Test::HasFailure()) {
    try {
      pqxx::read_transaction w(Sql());
      for (const auto& r :
           w.exec("SELECT id, experiment_id, number, state, attempt, coalesce(worker, ''), error"
                  " FROM trials WHERE state <> 'completed' ORDER BY id LIMIT 40"))
        std::cout << "  not completed: trial " << r[0].as<std::string>() << " (experiment "
                  << r[1].as<std::string>() << ", number " << r[2].as<std::string>() << ") "
                  << r[3].as<std::string>() << " attempt " << r[4].as<std::string>() << " on '"
                  << r[5].as<std::string>() << "' " << r[6].as<std::string>() << "\n";
    } catch (const std::exception& e) {
      std::cout << "  (cannot list the trials: " << e.what() << ")\n";
    }
  }
}

std::vector<int> FaultTest::Moments(int n, int lo, int hi) {
  std::vector<int> all;
  for (int v = lo; v <= hi; ++v) all.push_back(v);
  std::shuffle(all.begin(), all.end(), rng_);
  all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(n)));
  std::sort(all.begin(), all.end());
  return all;
}

void FaultTest::Jitter(std::chrono::milliseconds max) {
  std::uniform_int_distribution<long> pick(0, max.count());
  std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng_)));
}

}  // namespace krige::testing
