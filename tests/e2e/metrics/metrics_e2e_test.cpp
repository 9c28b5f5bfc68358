// GET /metrics scraped from a live server after a real sweep: the text is Prometheus' format,
// the route needs a read token, and the counters agree with the database and with what the
// test itself did (requests sent, malformed frames sent).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// "name{labels}" -> value, every sample of the scrape; and the families' TYPE lines.
struct Scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  double at(const std::string& key) const {
    const auto it = samples.find(key);
    if (it == samples.end()) throw std::runtime_error("no sample " + key);
    return it->second;
  }
};

Scrape Parse(const std::string& text) {
  Scrape s;
  std::istringstream in(text);
  const std::regex sample(
      R"re(^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$)re");
  const std::regex type(R"(^# TYPE ([a-z_]+) (counter|gauge|histogram)$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (std::regex_match(line, m, type)) {
      s.types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(line, m, sample)) throw std::runtime_error("not a sample: " + line);
    s.samples[m[1].str() + m[2].str()] = std::stod(m[3]);
  }
  return s;
}

TEST(MetricsTest, CountersAgreeWithTheDatabaseAfterASweep) {
  testing::TestDatabase db;
  testing::TempDir dir;
  auto server = testing::StartServer(db.url(), dir.path() + "/server.log", testing::Auth::kOn);
  const Client admin = Client::Connect(server.http, 30s, server.token);
  const std::string read = admin.CreateToken("prometheus", Role::kRead).secret;
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (const char* id : {"w0", "w1"})
    workers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::BinDir() + "/krige-worker", "--connect", server.zmq,
                                 "--id", id},
        dir.path() + "/" + id + ".log"));
  ExperimentSpec spec = LoadSpecFile(testing::SourceDir() + "/examples/knn_iris.yaml");
  spec.training.dataset = testing::SourceDir() + "/examples/data/iris.csv";
  spec.max_trials = 10;
  spec.parallelism = 2;
  const std::int64_t id = admin.CreateExperiment(spec).id;
  ASSERT_EQ(testing::WaitDone(admin, id, 120s).state, ExperimentState::kCompleted)
      << server.process->Log();

  // Three frames the dispatcher must count and drop.
  {
    zmq::context_t context(1);
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::routing_id, "mallory");
    dealer.set(zmq::sockopt::linger, 1000);
    dealer.connect(server.zmq);
    for (const char* body : {"{", R"({"worker_id":"x","slots":0})", "[]"}) {
      zmq::multipart_t m;
      m.addstr("");
      m.addstr("KRIGE1");
      m.addstr("HELLO");
      m.addstr(body);
      m.send(dealer);
    }
  }
  ASSERT_NE(server.process->WaitForLine("malformed", 10s), "");
  std::this_thread::sleep_for(500ms);          // the third one, counted after the first line
  for (int i = 0; i < 3; ++i) admin.Best(id);  // three requests this test can count

  auto transport = MakeHttpTransport(server.http, 30s);
  EXPECT_EQ(transport->Send({"GET", "/metrics", "", {}}).status, 401);
  const HttpResponse answer =
      transport->Send({"GET", "/metrics", "", {{"Authorization", "Bearer " + read}}});
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(answer.headers.at("content-type"), ::testing::HasSubstr("text/plain; version=0.0.4"));
  const Scrape s = Parse(answer.body);

  pqxx::connection c(db.url());
  pqxx::read_transaction r(c);
  const auto row = r.exec1(
      "SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state IN "
      "('completed', 'failed')), coalesce(sum(attempt), 0) FROM trials");
  EXPECT_EQ(s.at(R"(krige_trials{state="completed"})"), row[0].as<double>());
  EXPECT_EQ(s.at(R"(krige_trials{state="running"})"), 0);
  EXPECT_EQ(s.at("krige_results_committed_total"), row[1].as<double>());
  EXPECT_EQ(s.at("krige_trials_assigned_total"), row[2].as<double>());  // one per attempt
  // Group commit: a transaction per batch of results, its rows the results it recorded.
  EXPECT_EQ(s.at(R"(krige_commit_batch_rows_sum{kind="result"})"), row[1].as<double>());
  EXPECT_GE(s.at(R"(krige_commit_seconds_count{kind="result"})"), 1);
  EXPECT_LE(s.at(R"(krige_commit_seconds_count{kind="result"})"), row[1].as<double>());
  EXPECT_EQ(s.at(R"(krige_commit_batch_rows_sum{kind="place"})"), row[2].as<double>());
  EXPECT_LE(s.at(R"(krige_commit_seconds_count{kind="place"})"), row[2].as<double>());
  // Every ASSIGN but those handed out when the experiment was created (into the idle
  // workers' free slots, by no worker message) follows a worker's READY/RESULT.
  EXPECT_GE(s.at("krige_dispatch_seconds_count"), 10 - spec.parallelism);
  EXPECT_LE(s.at("krige_dispatch_seconds_count"), s.at("krige_trials_assigned_total"));
  EXPECT_EQ(s.at("krige_workers_connected"), 2);
  EXPECT_EQ(s.at("krige_wire_malformed_total"), 3);
  // The malformed HELLOs are not counted as received; the two workers' are.
  EXPECT_EQ(s.at(R"(krige_wire_messages_total{type="HELLO"})"), 2);
  EXPECT_GE(s.at(R"(krige_wire_messages_total{type="RESULT"})") +
                s.at(R"(krige_wire_messages_total{type="FAIL"})"),
            row[1].as<double>());
  EXPECT_GE(s.at(R"(krige_wire_messages_total{type="HEARTBEAT"})"), 2);
  EXPECT_EQ(s.at(R"(krige_wire_messages_total{type="BYE"})"), 0);
  EXPECT_EQ(s.types.at("krige_wire_messages_total"), "counter");
  EXPECT_EQ(s.at("krige_scheduler_queue_depth"), 0);
  EXPECT_EQ(
      s.at(
          R"(krige_http_requests_total{method="GET",route="/api/v1/experiments/{id}/best",code="200"})"),
      3);
  EXPECT_GE(s.at(R"(krige_http_requests_total{method="GET",route="/metrics",code="401"})"), 1);
  // Histograms: cumulative buckets ending in +Inf == _count.
  EXPECT_EQ(s.at(R"(krige_dispatch_seconds_bucket{le="+Inf"})"),
            s.at("krige_dispatch_seconds_count"));
  for (const char* family :
       {"krige_trials", "krige_results_committed_total", "krige_commit_seconds",
        "krige_dispatch_seconds", "krige_http_requests_total", "krige_http_request_seconds",
        "krige_scheduler_queue_depth"})
    EXPECT_EQ(s.types.count(family), 1u) << family;
  EXPECT_EQ(s.types.at("krige_commit_seconds"), "histogram");
  EXPECT_EQ(s.types.at("krige_results_committed_total"), "counter");
}

}  // namespace
}  // namespace krige
