// Three hosts on one machine: network namespaces made by the test, joined by veth pairs with
// addresses of their own. krige-server and PostgreSQL live in "server", a worker in each of
// "a" and "b", and the test reaches the server from the root namespace over a third pair.
// With tokens, CURVE and TLS on, a 30-trial sweep completes; then host a is cut off (link down)
// while it holds a trial, for longer than the lease: the trial is requeued with attempt + 1 and
// finished by b; when the link comes back, a's late result is discarded (accepted=false). The store
// holds exactly 30 completed trials, no number twice.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "krige/client.hpp"
#include "krige/codec.hpp"
#include "test_env.hpp"
#include "wait_done.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::RunCommand;

// The namespaces and links of one test run; everything is removed by the destructor.
class Hosts {
 public:
  Hosts() : prefix_("k" + std::to_string(::getpid() % 100000)) {}
  ~Hosts() {
    for (const auto& ns : made_) RunCommand("ip netns del " + ns + " 2>/dev/null");
  }
  std::string ns(const std::string& host) const { return prefix_ + host; }
  // Returns "" on success, else what failed.
  std::string Make() {
    for (const char* host : {"s", "a", "b"}) {
      if (Sh("ip netns add " + ns(host)) != 0) return "ip netns add " + ns(host);
      made_.push_back(ns(host));
      Sh(In(host, "ip link set lo up"));
    }
    // root <-> server, server <-> a, server <-> b
    if (!Link("", "10.231.0.1", "s", "10.231.0.2", "r")) return "veth root-server";
    if (!Link("s", "10.231.1.1", "a", "10.231.1.2", "a")) return "veth server-a";
    if (!Link("s", "10.231.2.1", "b", "10.231.2.2", "b")) return "veth server-b";
    return "";
  }
  std::string In(const std::string& host, const std::string& command) const {
    return "ip netns exec " + ns(host) + " " + command;
  }
  std::vector<std::string> Argv(const std::string& host, std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", ns(host)});
    return argv;
  }
  // Host a's end of its only link: down cuts it off.
  bool SetLinkA(bool up) {
    return Sh(In("a", "ip link set " + prefix_ + "a1 " + (up ? "up" : "down"))) == 0;
  }

 private:
  static int Sh(const std::string& command) { return RunCommand(command + " 2>&1").first; }
  // A veth pair; `left` "" is the root namespace. Ends are named <prefix><tag>0 and ...1.
  bool Link(const std::string& left, const std::string& left_ip, const std::string& right,
            const std::string& right_ip, const std::string& tag) {
    const std::string l = prefix_ + tag + "0", r = prefix_ + tag + "1";
    if (Sh("ip link add " + l + " type veth peer name " + r) != 0) return false;
    bool ok = true;
    if (!left.empty()) ok = ok && Sh("ip link set " + l + " netns " + ns(left)) == 0;
    ok = ok && Sh("ip link set " + r + " netns " + ns(right)) == 0;
    const std::string in_left = left.empty() ? "" : "ip netns exec " + ns(left) + " ";
    ok = ok && Sh(in_left + "ip addr add " + left_ip + "/24 dev " + l) == 0;
    ok = ok && Sh(in_left + "ip link set " + l + " up") == 0;
    ok = ok && Sh(In(right, "ip addr add " + right_ip + "/24 dev " + r)) == 0;
    ok = ok && Sh(In(right, "ip link set " + r + " up")) == 0;
    return ok;
  }
  std::string prefix_;
  std::vector<std::string> made_;
};

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces";
    const std::string failed = hosts_.Make();
    if (!failed.empty())
      GTEST_SKIP() << "network namespaces are not allowed here (" << failed << " failed)";
    ::chmod(dir_.path().c_str(), 0755);  // the cluster's owner, postgres, must reach it
    pg_dir_ = dir_.path() + "/pg";
    const auto [code, url] =
        RunCommand(hosts_.In("s", testing::SourceDir() + "/scripts/pg-cluster start " + pg_dir_));
    ASSERT_EQ(code, 0) << url;
    pg_url_ = url.substr(0, url.find_last_not_of("\n") + 1);
    pg_port_ = pg_url_.substr(pg_url_.rfind(':') + 1);
    pg_port_ = pg_port_.substr(0, pg_port_.find('/'));
    for (const char* name : {"server", "a", "b"})
      ASSERT_EQ(RunCommand(testing::BinDir() + "/krige keygen " + keys() + " --name " + name).first,
                0);
    std::ofstream(keys() + "/workers") << Key("a.pub") << "\n" << Key("b.pub") << "\n";
  }
  void TearDown() override {
    if (HasFailure()) std::cout << Logs();
    workers_.clear();
    server_.reset();
    if (!pg_dir_.empty())
      RunCommand(hosts_.In("s", testing::SourceDir() + "/scripts/pg-cluster destroy " + pg_dir_));
  }

  std::string keys() const { return dir_.path() + "/keys"; }
  std::string Key(const std::string& file) const {
    std::ifstream in(keys() + "/" + file);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') return line;
    return "";
  }
  std::string Logs() const {
    std::string out;
    for (const char* name : {"server.log", "a.log", "b.log"}) {
      std::ifstream in(dir_.path() + "/" + name);
      if (in)
        out +=
            std::string("--- ") + name + "\n" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }
  // One value from SQL run inside the server's namespace.
  std::string Sql(const std::string& query) const {
    const auto [code, out] =
        RunCommand(hosts_.In("s", "psql -h 127.0.0.1 -p " + pg_port_ +
                                      " -U postgres -d postgres -tAc \"" + query + "\""));
    EXPECT_EQ(code, 0) << query << ": " << out;
    return out.substr(0, out.find_last_not_of("\n") + 1);
  }

  Hosts hosts_;
  testing::TempDir dir_;
  std::string pg_dir_, pg_url_, pg_port_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(NetnsTest, ASweepAcrossHostsSurvivesACutOffWorker) {
  const auto tls = testing::MakeSelfSignedCertificate(dir_.path(), {"10.231.0.2"});
  server_ = std::make_unique<ChildProcess>(hosts_.Argv("s", {testing::BinDir() + "/krige-server",
                                                             "--database-url",
                                                             pg_url_,
                                                             "--http",
                                                             "0.0.0.0:8080",
                                                             "--zmq",
                                                             "tcp://0.0.0.0:5555",
                                                             "--lease-seconds",
                                                             "3",
                                                             "--auth",
                                                             "on",
                                                             "--token-file",
                                                             dir_.path() + "/token",
                                                             "--allowed-hosts",
                                                             "10.231.0.2",
                                                             "--tls-cert",
                                                             tls.cert,
                                                             "--tls-key",
                                                             tls.key,
                                                             "--curve-secret-key",
                                                             keys() + "/server.key",
                                                             "--worker-keys",
                                                             keys() + "/workers"}),
                                           dir_.path() + "/server.log");
  ASSERT_NE(server_->WaitForLine("krige-server listening", 60s), "") << Logs();
  workers_.push_back(std::make_unique<ChildProcess>(
      hosts_.Argv("a", {testing::BinDir() + "/krige-worker", "--allow-commands", "--connect",
                        "tcp://10.231.1.1:5555", "--id", "wa", "--curve-server-key",
                        keys() + "/server.pub", "--curve-secret-key", keys() + "/a.key"}),
      dir_.path() + "/a.log"));
  workers_.push_back(std::make_unique<ChildProcess>(
      hosts_.Argv("b", {testing::BinDir() + "/krige-worker", "--allow-commands", "--connect",
                        "tcp://10.231.2.1:5555", "--id", "wb", "--curve-server-key",
                        keys() + "/server.pub", "--curve-secret-key", keys() + "/b.key"}),
      dir_.path() + "/b.log"));

  std::string token;
  std::getline(std::ifstream(dir_.path() + "/token"), token);
  ASSERT_FALSE(token.empty()) << "the first admin token was not written";
  Client client(MakeHttpTransport("https://10.231.0.2:8080", 30s, token, tls.cert));
  const Experiment e = client.CreateExperiment(SpecFromJson(
      Json{{"name", "hosts-apart"},
           {"objective", {{"metric", "loss"}, {"goal", "minimize"}}},
           {"tuner", {{"name", "random"}, {"seed", 4}}},
           {"max_trials", 30},
           {"parallelism", 2},
           {"space", {{"x", {{"type", "float"}, {"low", 0.0}, {"high", 1.0}}}}},
           {"training",
            {{"kind", "command"}, {"command", {"/bin/sh", "-c", "sleep 0.3; echo loss={x}"}}}}}));
  const std::string id = std::to_string(e.id);

  // Cut host a off while it holds a trial, once a few trials are in. What it holds is read
  // after the cut: a result that got out just before it may have ended the trial seen before.
  std::string held;
  const auto running_on_a = [&] {
    return Sql("SELECT id FROM trials WHERE experiment_id = " + id +
               " AND state = 'running' AND worker = 'wa' LIMIT 1");
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (held.empty() && std::chrono::steady_clock::now() < deadline) {
    if (std::stoi(Sql("SELECT count(*) FROM trials WHERE experiment_id = " + id +
                      " AND state = 'completed'")) < 5 ||
        running_on_a().empty()) {
      std::this_thread::sleep_for(50ms);
      continue;
    }
    ASSERT_TRUE(hosts_.SetLinkA(false));
    std::this_thread::sleep_for(500ms);
    held = running_on_a();
    if (held.empty()) {
      ASSERT_TRUE(hosts_.SetLinkA(true));  // between two trials: again
    }
  }
  ASSERT_FALSE(held.empty()) << Logs();
  // Past the lease, the trial is b's, as attempt 2 (or finished by b already).
  std::string owner;
  const auto cut_deadline = std::chrono::steady_clock::now() + 30s;
  while (owner != "wb 2" && std::chrono::steady_clock::now() < cut_deadline) {
    std::this_thread::sleep_for(200ms);
    owner = Sql("SELECT worker || ' ' || attempt FROM trials WHERE id = " + held);
  }
  EXPECT_EQ(owner, "wb 2") << Logs();
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(hosts_.SetLinkA(true));

  ASSERT_EQ(testing::WaitDone(client, e.id, 120s).state, ExperimentState::kCompleted) << Logs();
  EXPECT_EQ(Sql("SELECT count(*) || ' ' || count(DISTINCT number) || ' ' || "
                "count(*) FILTER (WHERE state = 'completed') FROM trials WHERE experiment_id = " +
                id),
            "30 30 30");
  EXPECT_EQ(Sql("SELECT state || ' ' || worker || ' ' || attempt FROM trials WHERE id = " + held),
            "completed wb 2");
  // a's result of attempt 1, resent once the link was back, was answered accepted=false.
  EXPECT_NE(workers_[0]->WaitForLine("trial " + held + " (attempt 1): result discarded", 30s), "")
      << Logs();
  EXPECT_GT(std::stoi(Sql("SELECT count(*) FROM trials WHERE experiment_id = " + id +
                          " AND worker = 'wa'")),
            0)
      << "host a took part";
}

}  // namespace
}  // namespace krige
