// The live stream end to end: a real krige-server, real krige-workers running commands, a real
// PostgreSQL. Client::StreamTrials sees every trial reach its final state exactly as the REST
// API and the trials table hold it (each change once, in seq order); Client::Wait, which
// follows the stream, returns the completed (or stopped) experiment; `krige watch ID` piped
// prints plain lines, each failed trial's error once, and ends with the final counts; a
// stream survives its server killed and restarted (it resumes with Last-Event-ID, no gap);
// over HTTPS with a token it streams, and a wrong token is an error naming the 401.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using ::testing::HasSubstr;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff);
    server_ = std::move(server.process);
    http_ = server.http;
    for (int i = 0; i < 2; ++i)
      workers_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", server.zmq,
                                   "--slots", "1", "--id", "w" + std::to_string(i),
                                   "--allow-commands"},
          dir_.path() + "/worker" + std::to_string(i) + ".log"));
    client_ = std::make_unique<Client>(MakeHttpTransport(http_));
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* name :
         {"server.log", "server-fixed.log", "server-restarted.log", "worker0.log", "worker1.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      if (!in) continue;
      std::cout << "--- " << name << "\n" << std::string(std::istreambuf_iterator<char>(in), {});
    }
  }

  // `max_trials` command trials over x in [0, 1] (random, seed 4); trials 2 and 5 fail with
  // "bad luck N" on stderr, the others report loss = x.
  std::int64_t Submit(int max_trials, const std::string& script = "") {
    const std::string body =
        script.empty() ? "sleep 0.2; case $2 in 2|5) echo \"bad luck $2\" >&2; exit 3;; esac; "
                         "echo loss=$1"
                       : script;
    return client_
        ->CreateExperiment(SpecFromJson(Json{
            {"name", "stream"},
            {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
            {"tuner", {{"name", "random"}, {"seed", 4}}},
            {"max_trials", max_trials},
            {"max_attempts", 1},
            {"parallelism", 2},
            {"space", {{"x", {{"type", "float"}, {"low", 0}, {"high", 1}}}}},
            {"training",
             {{"kind", "command"}, {"command", {"sh", "-c", body, "sh", "{x}", "{number}"}}}}}))
        .id;
  }

  pqxx::result Sql(const std::string& query, std::int64_t id) {
    pqxx::connection c{db_.url()};
    pqxx::work w{c};
    return w.exec_params(query, id);
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::string http_;
  std::unique_ptr<Client> client_;
};

TEST_F(StreamTest, StreamTrialsSeesEveryTrialReachItsFinalStateAsStored) {
  const std::int64_t id = Submit(8);
  // Everything since the experiment began (after=0), on a thread of its own, while Wait
  // (itself on the stream) waits for the end.
  std::vector<TrialEvent> events;
  std::atomic<std::int64_t> seen{0};
  std::atomic<std::int64_t> stop_at{-1};
  std::atomic<bool> give_up{false};  // a stream that misses the last change must not hang
  std::thread reader([&] {
    TrialStreamOptions options;
    options.on_tick = [&] { return !give_up && (stop_at < 0 || seen < stop_at); };
    client_->StreamTrials(
        id, 0,
        [&](const TrialEvent& e) {
          events.push_back(e);
          seen = e.seq;
          return stop_at < 0 || seen < stop_at;
        },
        options);
  });
  std::vector<int> progress_done;
  const Experiment done = client_->Wait(id, [&](const Experiment& e) {
    progress_done.push_back(e.counts.completed + e.counts.failed);
  });
  // The stream ends where the table's last change is.
  stop_at =
      Sql("SELECT max(seq) FROM trials WHERE experiment_id = $1", id)[0][0].as<std::int64_t>();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (seen < stop_at && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  give_up = true;
  reader.join();

  ASSERT_EQ(done.state, ExperimentState::kCompleted);
  EXPECT_EQ(done.counts.completed, 6);
  EXPECT_EQ(done.counts.failed, 2);
  ASSERT_FALSE(progress_done.empty());
  EXPECT_EQ(progress_done.back(), 8);
  EXPECT_TRUE(std::is_sorted(progress_done.begin(), progress_done.end()));

  // Each change once, in order; the last one of each trial is the trial as stored.
  ASSERT_FALSE(events.empty());
  for (std::size_t i = 1; i < events.size(); ++i)
    ASSERT_LT(events[i - 1].seq, events[i].seq) << "event " << i;
  std::map<std::int64_t, TrialEvent> last;
  for (const TrialEvent& e : events) last[e.trial.id] = e;
  const std::vector<Trial> stored = client_->ListTrials(id);
  ASSERT_EQ(stored.size(), 8u);
  ASSERT_EQ(last.size(), 8u);
  const pqxx::result rows =
      Sql("SELECT id, seq, state FROM trials WHERE experiment_id = $1 ORDER BY id", id);
  std::map<std::int64_t, std::pair<std::int64_t, std::string>> sql;
  for (const auto& r : rows)
    sql[r[0].as<std::int64_t>()] = {r[1].as<std::int64_t>(), r[2].as<std::string>()};
  for (const Trial& t : stored) {
    SCOPED_TRACE("trial #" + std::to_string(t.number));
    ASSERT_TRUE(last.count(t.id));
    const TrialEvent& e = last[t.id];
    EXPECT_EQ(e.seq, sql[t.id].first);  // the trial's own change sequence number
    EXPECT_EQ(TrialStateName(e.trial.state), sql[t.id].second);
    EXPECT_EQ(e.trial.number, t.number);
    EXPECT_EQ(e.trial.state, t.state);
    EXPECT_EQ(e.trial.value, t.value);
    EXPECT_EQ(e.trial.params, t.params);
    EXPECT_EQ(e.trial.attempt, t.attempt);
    EXPECT_EQ(e.trial.worker, t.worker);
    EXPECT_EQ(e.trial.error, t.error);
    EXPECT_EQ(e.trial.finished_at, t.finished_at);
    if (t.number == 2 || t.number == 5) {
      EXPECT_EQ(e.trial.state, TrialState::kFailed);
      EXPECT_THAT(e.trial.error, HasSubstr("bad luck " + std::to_string(t.number)));
    } else {
      EXPECT_EQ(e.trial.state, TrialState::kCompleted);
    }
  }
}

// A port of 127.0.0.1 that was free a moment ago (the restarted server must get the same one).
unsigned short FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST_F(StreamTest, AStreamSurvivesAServerKilledAndRestartedMidway) {
  // A server of its own on fixed ports, so that its successor answers at the same address.
  server_.reset();
  workers_.clear();
  const std::string http = "127.0.0.1:" + std::to_string(FreePort());
  const std::string zmq = "tcp://127.0.0.1:" + std::to_string(FreePort());
  const auto start = [&](const std::string& log) {
    auto p = std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-server", "--database-url", db_.url(),
                                 "--http", http, "--zmq", zmq, "--auth", "off", "--lease-seconds",
                                 "2"},
        dir_.path() + "/" + log);
    EXPECT_NE(p->WaitForLine("krige-server listening", 30s), "") << p->Log();
    return p;
  };
  server_ = start("server-fixed.log");
  for (int i = 0; i < 2; ++i)
    workers_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", zmq, "--slots",
                                 "1", "--id", "w" + std::to_string(i), "--allow-commands"},
        dir_.path() + "/worker" + std::to_string(i) + ".log"));
  const Client client(MakeHttpTransport("http://" + http));
  client_ = std::make_unique<Client>(client);
  const std::int64_t id = Submit(10, "sleep 0.4; echo loss=$1");

  std::vector<TrialEvent> events;
  std::atomic<std::int64_t> seen{0};
  std::atomic<int> count{0};
  std::atomic<std::int64_t> stop_at{-1};
  std::atomic<bool> give_up{false};  // a stream that misses the last change must not hang
  std::string failure;
  std::thread reader([&] {
    TrialStreamOptions options;
    // Back only some seconds after the restart: trials change meanwhile, which only a
    // resumed stream (Last-Event-ID) delivers.
    options.retry = 2500ms;
    options.on_tick = [&] { return !give_up && (stop_at < 0 || seen < stop_at); };
    try {
      client.StreamTrials(
          id, 0,
          [&](const TrialEvent& e) {
            events.push_back(e);
            seen = e.seq;
            ++count;
            return stop_at < 0 || seen < stop_at;
          },
          options);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  const auto wait_until = [](auto pred, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    return pred();
  };
  EXPECT_TRUE(wait_until([&] { return count >= 4; }, 30s));
  const int before_kill = count;
  server_->Kill(SIGKILL);
  server_->Wait(10s);
  std::this_thread::sleep_for(500ms);  // the reader finds nobody there for a while
  server_ = start("server-restarted.log");
  Experiment e;
  EXPECT_TRUE(wait_until(
      [&] {
        try {
          e = client.GetExperiment(id);
        } catch (const Error&) {
          return false;
        }
        return e.state != ExperimentState::kRunning;
      },
      90s));
  stop_at =
      Sql("SELECT max(seq) FROM trials WHERE experiment_id = $1", id)[0][0].as<std::int64_t>();
  EXPECT_TRUE(wait_until([&] { return seen >= stop_at; }, 20s));
  give_up = true;
  reader.join();

  ASSERT_EQ(failure, "");
  ASSERT_EQ(e.state, ExperimentState::kCompleted);
  EXPECT_GT(count, before_kill);  // it came back
  for (std::size_t i = 1; i < events.size(); ++i)
    ASSERT_LT(events[i - 1].seq, events[i].seq) << "event " << i;
  std::map<std::int64_t, TrialEvent> last;
  for (const TrialEvent& ev : events) last[ev.trial.id] = ev;
  const pqxx::result rows =
      Sql("SELECT id, seq, state FROM trials WHERE experiment_id = $1 ORDER BY id", id);
  ASSERT_EQ(last.size(), rows.size());
  for (const auto& r : rows) {
    const auto trial = r[0].as<std::int64_t>();
    ASSERT_TRUE(last.count(trial)) << "trial " << trial;
    EXPECT_EQ(last[trial].seq, r[1].as<std::int64_t>()) << "trial " << trial;
    EXPECT_EQ(TrialStateName(last[trial].trial.state), r[2].as<std::string>()) << "trial " << trial;
  }
}

TEST_F(StreamTest, StreamTrialsFromNowStartsAtTheCurrentPositionAndAnUnknownIdIs404) {
  const std::int64_t id = Submit(2);
  ASSERT_EQ(client_->Wait(id).state, ExperimentState::kCompleted);
  const std::int64_t max_seq =
      Sql("SELECT max(seq) FROM trials WHERE experiment_id = $1", id)[0][0].as<std::int64_t>();
  // From now: no event (nothing changes any more), and the position is the table's last.
  int events = 0;
  int ticks = 0;
  TrialStreamOptions options;
  options.on_tick = [&] { return ++ticks < 5; };
  const std::int64_t position = client_->StreamTrials(
      id, std::nullopt,
      [&](const TrialEvent&) {
        ++events;
        return true;
      },
      options);
  EXPECT_EQ(events, 0);
  EXPECT_GE(position, max_seq);
  try {
    client_->StreamTrials(id + 1000, std::nullopt, [](const TrialEvent&) { return true; });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_THAT(e.what(), HasSubstr("HTTP 404"));
  }
}

TEST_F(StreamTest, WaitReturnsAStoppedExperimentSoonAfterTheStop) {
  const std::int64_t id = Submit(6, "exec sleep 60");
  std::thread stopper([&] {
    std::this_thread::sleep_for(1500ms);
    client_->Stop(id);
  });
  const auto started = std::chrono::steady_clock::now();
  const Experiment e = client_->Wait(id);
  stopper.join();
  EXPECT_EQ(e.state, ExperimentState::kStopped);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
}

TEST_F(StreamTest, KrigeWatchPipedPrintsEachFailureOnceAndEndsWithTheFinalState) {
  const std::int64_t id = Submit(8);
  const auto [code, out] = testing::RunCommand(
      "KRIGE_HOME=" + dir_.path() + " KRIGE_TOKEN= KRIGE_TOKEN_FILE= " + testing::BinDir() +
      "/krige --server " + http_ + " watch " + std::to_string(id) + " 2>&1");
  EXPECT_EQ(code, 0) << out;
  const Experiment e = client_->GetExperiment(id);
  ASSERT_EQ(e.state, ExperimentState::kCompleted);
  ASSERT_TRUE(e.best.has_value());
  // Plain lines (no bar: stdout is a pipe), each failed trial's error exactly once.
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  for (const int n : {2, 5}) {
    EXPECT_EQ(Count(out, "trial #" + std::to_string(n) + " failed (attempt 1 on w"), 1) << out;
    EXPECT_EQ(Count(out, "bad luck " + std::to_string(n)), 1) << out;
  }
  // The last progress line is the final state, then the best trial and the dashboard.
  const std::string lines = "\n" + out;
  const auto last_progress = lines.rfind("\n[");
  ASSERT_NE(last_progress, std::string::npos) << out;
  const std::string tail = lines.substr(last_progress + 1);
  EXPECT_EQ(tail.rfind("[8/8] completed=6 running=0 failed=2", 0), 0u) << out;
  EXPECT_THAT(tail, HasSubstr("(trial #" + std::to_string(e.best->number) + ")"));
  EXPECT_THAT(tail, HasSubstr("dashboard: " + http_ + "/"));
  // It followed the stream (the server counts requests by route).
  HttpRequest metrics;
  metrics.target = "/metrics";
  const std::string text = MakeHttpTransport(http_)->Send(metrics).body;
  EXPECT_THAT(text, HasSubstr("route=\"/api/v1/events\""));
}

// Over HTTPS with tokens on: the stream opens with the token, Wait follows it to the stop, and
// a wrong token is an error naming the 401.
TEST(StreamTlsTest, TheStreamRunsOverTlsWithTheTokenAndAWrongTokenIs401) {
  testing::TestDatabase db;
  testing::TempDir dir;
  const auto cert = testing::MakeSelfSignedCertificate(dir.path());
  auto server = testing::StartServer(db.url(), dir.path() + "/server.log", testing::Auth::kOn,
                                     {"--tls-cert", cert.cert, "--tls-key", cert.key});
  ASSERT_EQ(server.http.rfind("https://", 0), 0u) << server.http;
  const Client client = Client::Connect(server.http, 10s, server.token, cert.cert);
  const std::int64_t id =
      client
          .CreateExperiment(SpecFromJson(
              Json{{"name", "tls"},
                   {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
                   {"max_trials", 3},
                   {"space", {{"x", {{"type", "float"}, {"low", 0}, {"high", 1}}}}},
                   {"training", {{"kind", "function"}, {"function", "nobody_serves_this"}}}}))
          .id;
  int opens = 0;
  int ticks = 0;
  TrialStreamOptions options;
  options.on_open = [&] { return ++opens > 0; };
  options.on_tick = [&] { return ++ticks < 3; };
  client.StreamTrials(
      id, std::nullopt, [](const TrialEvent&) { return true; }, options);
  EXPECT_EQ(opens, 1);
  EXPECT_EQ(ticks, 3);

  std::thread stopper([&] {
    std::this_thread::sleep_for(1s);
    client.Stop(id);
  });
  const auto started = std::chrono::steady_clock::now();
  const Experiment e = client.Wait(id, {}, 200ms);
  stopper.join();
  EXPECT_EQ(e.state, ExperimentState::kStopped);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);

  try {
    Client::Connect(server.http, 10s, std::string("krg_not_a_token"), cert.cert)
        .StreamTrials(id, std::nullopt, [](const TrialEvent&) { return true; });
    FAIL() << "no exception";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kUnauthenticated);
    EXPECT_THAT(error.what(), HasSubstr("HTTP 401"));
  }
}

}  // namespace
}  // namespace krige
