// The SDK as a user gets it: this build installed into a temporary prefix, the outside project
// examples/sdk built against that prefix only (find_package(Krige); pkg-config + make), and
// its program run against a real krige-server: krige::Optimize with a C++ objective, gp, 30
// trials. The REST API then shows the experiment it made.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "krige/client.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::RunCommand;

constexpr int kTrials = 30;

double Branin(double x, double y) {  // as examples/sdk/branin.cpp computes it
  const double pi = std::acos(-1.0);
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double u = y - b * x * x + c * x - 6;
  return u * u + 10 * (1 - t) * std::cos(x) + 10;
}

std::string Launcher() {
  const std::string launcher = KRIGE_CXX_LAUNCHER;
  return launcher.empty() ? "" : launcher + " ";
}

class SdkPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = dir_.path() + "/prefix";
    // The install a user would make, from the build this test belongs to.
    Run(std::string(KRIGE_CMAKE) + " --install " + KRIGE_BUILD_DIR + " --prefix " + prefix_);
    auto server = testing::StartServer(db_.url(), dir_.path() + "/server.log", testing::Auth::kOff);
    server_ = std::move(server.process);
    http_ = server.http;
    zmq_ = server.zmq;
    client_ = std::make_unique<Client>(MakeHttpTransport(http_, 30s));
  }
  void TearDown() override {
    if (HasFailure() && server_) std::cout << server_->Log();
  }

  std::string Run(const std::string& command) {
    auto [code, out] = RunCommand(command + " 2>&1");
    EXPECT_EQ(code, 0) << command << "\n" << out;
    if (code != 0) throw std::runtime_error("failed: " + command);
    return out;
  }

  // Runs the example's program; checks through REST what it did and that it printed the best.
  void RunAndCheck(const std::string& program) {
    ChildProcess run({program, "--api", http_, "--connect", zmq_, "--trials",
                      std::to_string(kTrials), "--slots", "2"},
                     dir_.path() + "/branin.log");
    ASSERT_EQ(run.Wait(120s), 0) << run.Log();
    const std::string log = run.Log();
    // Its result line (the last one of that form; the worker's log lines come before it).
    const std::regex result(R"((?:^|\n)best (\S+) x=(\S+) y=(\S+) experiment (\d+)\n)");
    std::smatch m;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), result);
         it != std::sregex_iterator(); ++it)
      m = *it;
    ASSERT_FALSE(m.empty()) << log;
    std::cout << "the program printed: " << m[0].str();
    const double printed = std::strtod(m[1].str().c_str(), nullptr);
    const std::int64_t id = std::stoll(m[4].str());
    EXPECT_NE(log.find("trials done, best"), std::string::npos) << "no progress: " << log;

    const Experiment e = client_->GetExperiment(id);
    EXPECT_EQ(e.state, ExperimentState::kCompleted);
    EXPECT_EQ(e.spec.tuner.name, "gp");
    EXPECT_EQ(e.spec.training.kind, "function");
    EXPECT_EQ(e.spec.training.function, "branin");
    EXPECT_EQ(e.counts.completed, kTrials);
    EXPECT_EQ(e.counts.failed, 0);
    const auto best = client_->Best(id);
    ASSERT_TRUE(best && best->value);
    EXPECT_EQ(*best->value, printed);  // printed with 17 digits: the same double
    EXPECT_EQ(AsDouble(best->params.at("x")), std::strtod(m[2].str().c_str(), nullptr));
    EXPECT_EQ(AsDouble(best->params.at("y")), std::strtod(m[3].str().c_str(), nullptr));
    // Every trial was evaluated by the program's C++ objective, and the best is the least.
    const auto trials = client_->ListTrials(id);
    ASSERT_EQ(trials.size(), static_cast<std::size_t>(kTrials));
    for (const Trial& t : trials) {
      ASSERT_TRUE(t.value) << t.number;
      EXPECT_NEAR(*t.value, Branin(AsDouble(t.params.at("x")), AsDouble(t.params.at("y"))), 1e-9);
      EXPECT_GE(*t.value, printed);
    }
  }

  testing::TestDatabase db_;
  testing::TempDir dir_;
  std::string prefix_;
  std::unique_ptr<ChildProcess> server_;
  std::string http_, zmq_;
  std::unique_ptr<Client> client_;
};

TEST_F(SdkPackageTest, FindPackageBuildsTheExampleAndOptimizeRunsIt) {
  const std::string build = dir_.path() + "/example";
  std::string configure = std::string(KRIGE_CMAKE) + " -S " + testing::SourceDir() +
                          "/examples/sdk -B " + build + " -G '" + KRIGE_CMAKE_GENERATOR +
                          "' -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + prefix_ +
                          " -DCMAKE_CXX_COMPILER=" + KRIGE_CXX;
  if (!Launcher().empty())
    configure += std::string(" -DCMAKE_CXX_COMPILER_LAUNCHER=") + KRIGE_CXX_LAUNCHER;
  const std::string out = Run(configure);
  // It found the installed package, not the build tree.
  EXPECT_NE(RunCommand("grep '^Krige_DIR' " + build + "/CMakeCache.txt").second.find(prefix_),
            std::string::npos)
      << out;
  Run(std::string(KRIGE_CMAKE) + " --build " + build + " -j 2");
  // Linked to the installed shared libraries.
  const std::string ldd = Run("ldd " + build + "/branin");
  EXPECT_NE(ldd.find(prefix_ + "/lib/libkrige_worker.so"), std::string::npos) << ldd;
  RunAndCheck(build + "/branin");
  // The in-process tuners from the same installation: gp's ask/tell loop, no server.
  const std::string ask_tell = Run(build + "/ask_tell");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ask_tell, m, std::regex(R"(best (\S+) x=(\S+) y=(\S+))")))
      << ask_tell;
  EXPECT_DOUBLE_EQ(
      std::strtod(m[1].str().c_str(), nullptr),
      Branin(std::strtod(m[2].str().c_str(), nullptr), std::strtod(m[3].str().c_str(), nullptr)));
}

TEST_F(SdkPackageTest, PkgConfigBuildsTheExampleAndOptimizeRunsIt) {
  const std::string build = dir_.path() + "/example-make";
  const std::string pc = prefix_ + "/lib/pkgconfig";
  const std::string flags = Run("PKG_CONFIG_PATH=" + pc + " pkg-config --cflags --libs krige");
  EXPECT_NE(flags.find("-lkrige_worker"), std::string::npos) << flags;
  // In the environment: make 4.3 passes no command-line variable to $(shell).
  Run("PKG_CONFIG_PATH=" + pc + " make -C " + testing::SourceDir() +
      "/examples/sdk BUILD=" + build + " CXX='" + Launcher() + KRIGE_CXX + "'");
  RunAndCheck(build + "/branin");
}

}  // namespace
}  // namespace krige
