// The worker link with CurveZMQ on 127.0.0.1: keys made by `krige keygen`, a krige-server
// that admits listed workers only, a listed worker that does the sweep, an unlisted and a
// plaintext worker that never get a trial, and a listed peer whose forged RESULT for another
// worker's trial is not recorded. Checked in the database.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "curve/curve.hpp"
#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"
#include "wire/wire.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class CurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"server", "good", "unlisted", "forger"}) {
      const auto [code, out] =
          testing::RunCommand(testing::BinDir() + "/krige keygen " + keys() + " --name " + name);
      ASSERT_EQ(code, 0) << out;
      ASSERT_THAT(out, ::testing::HasSubstr("public key: "));
    }
    std::ofstream(keys() + "/workers") << "# admitted workers\n"
                                       << curve::ReadKey(keys() + "/good.pub") << "\n"
                                       << curve::ReadKey(keys() + "/forger.pub") << "\n";
  }
  void TearDown() override {
    if (HasFailure()) std::cout << Logs();
  }

  std::string keys() const { return dir_.path() + "/keys"; }
  std::string Logs() const {
    std::string out;
    for (const char* name : {"server.log", "good.log", "unlisted.log", "plain.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      if (in)
        out +=
            std::string("--- ") + name + "\n" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }
  std::unique_ptr<ChildProcess> Worker(const std::string& id, std::vector<std::string> extra) {
    std::vector<std::string> argv = {testing::BinDir() + "/krige-worker",
                                     "--allow-commands",
                                     "--connect",
                                     zmq_,
                                     "--slots",
                                     "1",
                                     "--id",
                                     id};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir_.path() + "/" + id + ".log");
  }
  int Count(const std::string& sql, std::int64_t experiment) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    return w.exec_params1(sql, experiment)[0].as<int>();
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::string zmq_;
};

ExperimentSpec SlowCommandSpec(int trials) {
  return SpecFromJson(
      Json{{"name", "curve"},
           {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
           {"tuner", {{"name", "random"}, {"seed", 1}}},
           {"max_trials", trials},
           {"parallelism", 1},
           {"space", {{"x", {{"type", "float"}, {"low", 0.0}, {"high", 1.0}}}}},
           {"training",
            {{"kind", "command"}, {"command", {"/bin/sh", "-c", "sleep 0.4; echo loss={x}"}}}}});
}

TEST_F(CurveTest, OnlyListedKeysGetTrialsAndAForgedResultIsNotRecorded) {
  auto server =
      testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff,
                           {"--lease-seconds", "3", "--curve-secret-key", keys() + "/server.key",
                            "--worker-keys", keys() + "/workers"});
  zmq_ = server.zmq;
  const std::string server_pub = keys() + "/server.pub";
  auto unlisted = Worker("unlisted", {"--curve-server-key", server_pub, "--curve-secret-key",
                                      keys() + "/unlisted.key"});
  auto plain = Worker("plain", {});
  auto good = Worker(
      "good", {"--curve-server-key", server_pub, "--curve-secret-key", keys() + "/good.key"});
  Client client(MakeHttpTransport(server.http, 30s));
  const Experiment e = client.CreateExperiment(SlowCommandSpec(6));

  // A listed peer that is not the trial's worker sends a RESULT for the running trial.
  std::int64_t trial_id = 0;
  int attempt = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!trial_id && std::chrono::steady_clock::now() < deadline) {
    pqxx::connection c(db_.url());
    pqxx::read_transaction w(c);
    const auto r = w.exec_params(
        "SELECT id, attempt FROM trials WHERE experiment_id = $1 AND state = 'running'", e.id);
    if (!r.empty()) {
      trial_id = r[0][0].as<std::int64_t>();
      attempt = r[0][1].as<int>();
    } else {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_NE(trial_id, 0) << "no trial started";
  zmq::context_t context;
  zmq::socket_t forger(context, zmq::socket_type::dealer);
  forger.set(zmq::sockopt::linger, 0);
  forger.set(zmq::sockopt::routing_id, "forger");
  forger.set(zmq::sockopt::curve_serverkey, curve::ReadKey(server_pub));
  const std::string forger_secret = curve::ReadKey(keys() + "/forger.key");
  forger.set(zmq::sockopt::curve_secretkey, forger_secret);
  forger.set(zmq::sockopt::curve_publickey, curve::PublicOf(forger_secret));
  forger.set(zmq::sockopt::rcvtimeo, 5000);
  forger.connect(zmq_);
  wire::Result forged;
  forged.trial = {trial_id, attempt};
  forged.value = -1e9;
  zmq::multipart_t out;
  out.addstr("");
  for (auto& frame : wire::Encode(forged)) out.addstr(frame);
  out.send(forger);
  zmq::multipart_t reply;
  ASSERT_TRUE(reply.recv(forger)) << "no ACK for the forged RESULT";
  std::vector<std::string> frames;
  while (!reply.empty()) frames.push_back(reply.popstr());
  if (!frames.empty() && frames.front().empty()) frames.erase(frames.begin());
  const auto ack = std::get<wire::Ack>(wire::Decode(frames));
  EXPECT_FALSE(ack.accepted);

  ASSERT_EQ(testing::WaitDone(client, e.id, 120s).state, ExperimentState::kCompleted) << Logs();
  EXPECT_EQ(Count("SELECT count(*) FROM trials WHERE experiment_id = $1 AND state = 'completed' "
                  "AND worker = 'good'",
                  e.id),
            6);
  EXPECT_EQ(Count("SELECT count(*) FROM trials WHERE experiment_id = $1 AND value < -1", e.id), 0)
      << "the forged value was recorded";
  EXPECT_EQ(
      Count("SELECT count(*) FROM workers WHERE id IN ('unlisted', 'plain') AND $1 > 0", e.id), 0)
      << "a refused worker got as far as HELLO";
  const std::string log = server.process->Log();
  EXPECT_THAT(log, ::testing::HasSubstr("is not in --worker-keys"));
  EXPECT_THAT(log, ::testing::HasSubstr("the CURVE handshake failed (a plaintext peer"));
  EXPECT_THAT(log, ::testing::HasSubstr("worker link: CURVE, 2 worker keys admitted"));
}

TEST_F(CurveTest, KeygenRefusesToOverwriteASecretKey) {
  const auto [code, out] =
      testing::RunCommand(testing::BinDir() + "/krige keygen " + keys() + " --name good 2>&1");
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, ::testing::HasSubstr("refusing to overwrite"));
}

TEST_F(CurveTest, ServerWarnsWithoutKeysOnANonLoopbackEndpoint) {
  auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff,
                                     {}, "tcp://0.0.0.0:*");
  EXPECT_THAT(server.process->Log(), ::testing::HasSubstr("has no CURVE keys"));
}

}  // namespace
}  // namespace krige
