// `krige run` as a user runs it: no server configured, so it starts the local stack (private
// PostgreSQL under KRIGE_HOME, a server, two workers), runs the sweep and prints the best trial.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "krige/codec.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using ::testing::HasSubstr;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(home_.path().c_str(), 0755);  // reachable by the postgres user when run as root
    env_ = "KRIGE_HOME=" + home_.path() + " KRIGE_SERVER= KRIGE_TOKEN= KRIGE_TOKEN_FILE= ";
    krige_ = testing::BinDir() + "/krige";
  }
  void TearDown() override { testing::RunCommand(env_ + krige_ + " down 2>&1"); }

  testing::TempDir home_;
  std::string env_, krige_;
};

TEST_F(CliTest, RunStartsTheLocalStackAndPrintsTheBestTrial) {
  // A copy of the example in a directory of its own: the dataset path is resolved against it.
  const std::string spec = home_.path() + "/spec.yaml";
  {
    std::ifstream in(testing::SourceDir() + "/examples/breast_cancer_logistic.yaml");
    std::ofstream out(spec);
    for (std::string line; std::getline(in, line);) {
      if (line.find("max_trials:") != std::string::npos) line = "max_trials: 12";
      if (line.find("dataset:") != std::string::npos)
        line = "  dataset: " + testing::SourceDir() + "/examples/data/breast_cancer.csv";
      out << line << "\n";
    }
  }
  const auto [code, out] = testing::RunCommand(env_ + krige_ + " run " + spec + " 2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("[12/12] completed=12"));
  EXPECT_THAT(out, HasSubstr("best trial #"));
  EXPECT_THAT(out, HasSubstr("dashboard: http://127.0.0.1:"));

  // --json: the final experiment, machine-readable; the stack is reused, not restarted.
  const auto [code2, json] =
      testing::RunCommand(env_ + krige_ + " run --json " + spec + " 2>/dev/null");
  ASSERT_EQ(code2, 0) << json;
  const Json e = Json::parse(json);
  EXPECT_EQ(e["state"], "completed");
  EXPECT_EQ(e["trials"]["completed"], 12);
  EXPECT_EQ(e["id"], 2) << "history kept in the stack's database";

  const auto [code3, listing] = testing::RunCommand(env_ + krige_ + " ls 2>&1");
  EXPECT_EQ(code3, 0);
  EXPECT_THAT(listing, HasSubstr("breast-cancer-logistic"));

  // Auth was on all along: the stack's first admin token is in KRIGE_HOME/token, owner-only.
  struct stat st {};
  ASSERT_EQ(::stat((home_.path() + "/token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto [code4, read_token] =
      testing::RunCommand(env_ + krige_ + " token create --role read --name viewer 2>/dev/null");
  ASSERT_EQ(code4, 0) << read_token;
  ASSERT_EQ(read_token.rfind("krg_", 0), 0u) << read_token;
  const std::string viewer = read_token.substr(0, read_token.find('\n'));
  const auto [code5, tokens] = testing::RunCommand(env_ + krige_ + " token ls 2>&1");
  EXPECT_EQ(code5, 0) << tokens;
  EXPECT_THAT(tokens, HasSubstr("viewer"));
  EXPECT_THAT(tokens, HasSubstr("first admin"));
  EXPECT_EQ(tokens.find(viewer), std::string::npos) << "the list never shows a secret";
  // The read token lists, but may not submit; a wrong one is told how to get a token.
  EXPECT_EQ(testing::RunCommand(env_ + krige_ + " --token " + viewer + " ls 2>&1").first, 0);
  const auto [code6, denied] =
      testing::RunCommand(env_ + krige_ + " --token " + viewer + " run " + spec + " 2>&1");
  EXPECT_EQ(code6, 1) << denied;
  EXPECT_THAT(denied, HasSubstr("write role"));
  const auto [code7, unknown] = testing::RunCommand(env_ + krige_ + " --token krg_nope ls 2>&1");
  EXPECT_EQ(code7, 1) << unknown;
  EXPECT_THAT(unknown, HasSubstr("--token or KRIGE_TOKEN"));
}

TEST_F(CliTest, AnInvalidSpecExitsWithEveryProblem) {
  const std::string spec = home_.path() + "/bad.yaml";
  std::ofstream(spec) << "name: bad\nobjective: {metric: accuracy}\nmax_trials: 0\n"
                         "space: {C: {type: float, low: 0, high: 1, log: true}}\n"
                         "training: {dataset: x.csv, model: logistic_regression}\n";
  const auto [code, out] = testing::RunCommand(env_ + krige_ + " run " + spec + " 2>&1");
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("max_trials"));
  EXPECT_THAT(out, HasSubstr("space.C.low: must be > 0 for log scale"));
}

}  // namespace
}  // namespace krige
