#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "krige/error.hpp"
#include "objectives/command_objective.hpp"

namespace krige::objectives {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// A trial running `script` through /bin/sh, recording what it reports.
struct Harness {
  TrialContext trial;
  std::mutex mutex;
  std::vector<StepScores> reports;
  std::atomic<int> report_count{0};
  std::atomic<bool> stop{false};
  std::atomic<int> pgid{0};

  explicit Harness(const std::string& script, double timeout = 0) {
    trial.trial_id = 42;
    trial.number = 7;
    trial.attempt = 1;
    trial.params = {{"C", 0.5}, {"kernel", std::string("rbf")}, {"n", std::int64_t{3}}};
    trial.training.kind = "command";
    trial.training.command = {"/bin/sh", "-c", script};
    trial.training.timeout_seconds = timeout;
    trial.objective = {"accuracy", Goal::kMaximize};
    trial.stop = &stop;
    trial.report = [this](const StepScores& s) {
      std::lock_guard<std::mutex> lock(mutex);
      reports.push_back(s);
      ++report_count;
    };
  }

  TrialOutput Run() {
    CommandOptions options;
    options.on_start = [this](int g) { pgid = g; };
    return MakeCommandObjective(options)(trial);
  }

  // The error a failing run throws.
  std::string Failure() {
    try {
      Run();
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "the trial did not fail";
    return "";
  }

  // No process of the command's group is left. Killed grandchildren were orphaned to init,
  // which reaps them soon after: until then kill(-pgid, 0) still finds them, as zombies, so
  // allow it a moment, then accept zombies (dead, waiting for init) but nothing running.
  bool GroupGone() const {
    const auto deadline = Clock::now() + 2s;
    while (Clock::now() < deadline) {
      if (::kill(-pgid.load(), 0) == -1 && errno == ESRCH) return true;
      std::this_thread::sleep_for(20ms);
    }
    return LiveMembers() == 0;
  }

  int LiveMembers() const {
    int live = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      // pid (comm) state ppid pgrp ...; comm may hold spaces, so parse after the last ')'.
      std::istringstream rest(line.substr(line.rfind(')') + 1));
      char state = 0;
      int ppid = 0, pgrp = 0;
      rest >> state >> ppid >> pgrp;
      if (pgrp == pgid.load() && state != 'Z') ++live;
    }
    return live;
  }
};

TEST(CommandObjectiveTest, ReadsJsonAndPairLinesReportingSteps) {
  Harness h(
      "echo 'starting, nothing to see'\n"
      "echo '{\"step\": 0, \"accuracy\": 0.5, \"note\": \"text is ignored\"}'\n"
      "echo 'step=1 accuracy=0.75 loss=0.25'\n"
      "echo 'accuracy=0.8, f1=0.7'\n"
      "echo 'c_arg={C} c_env='$KRIGE_PARAM_C' n={n} trial={trial_id} number={number}'\n"
      "echo \"kernel is $KRIGE_PARAM_kernel, {kernel}, params $KRIGE_PARAMS\" >&2\n"
      "test \"$KRIGE_TRIAL_ID\" = 42 || exit 9\n"
      "test \"{kernel}\" = rbf || exit 8\n"
      "test \"$KRIGE_PARAMS\" = '{\"C\":0.5,\"kernel\":\"rbf\",\"n\":3}' || exit 7\n");
  const TrialOutput out = h.Run();
  EXPECT_DOUBLE_EQ(out.value, 0.8);
  EXPECT_DOUBLE_EQ(out.metrics.at("loss"), 0.25);
  EXPECT_DOUBLE_EQ(out.metrics.at("f1"), 0.7);
  EXPECT_DOUBLE_EQ(out.metrics.at("c_arg"), 0.5);
  EXPECT_DOUBLE_EQ(out.metrics.at("c_env"), 0.5);
  EXPECT_DOUBLE_EQ(out.metrics.at("n"), 3);
  EXPECT_DOUBLE_EQ(out.metrics.at("trial"), 42);
  EXPECT_DOUBLE_EQ(out.metrics.at("number"), 7);
  EXPECT_EQ(out.metrics.count("note"), 0u);
  EXPECT_EQ(out.metrics.count("step"), 0u);
  ASSERT_EQ(h.reports.size(), 2u);
  EXPECT_EQ(h.reports[0].step, 0);
  EXPECT_DOUBLE_EQ(h.reports[0].values.at("accuracy"), 0.5);
  EXPECT_EQ(h.reports[1].step, 1);
  EXPECT_DOUBLE_EQ(h.reports[1].values.at("loss"), 0.25);
  ASSERT_EQ(out.steps.size(), 2u);
  EXPECT_TRUE(h.GroupGone());
}

TEST(CommandObjectiveTest, NonZeroExitCarriesTheTailOfStderr) {
  Harness h(
      "echo accuracy=0.9\n"
      "i=0; while [ $i -lt 300 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done\n"
      "echo 'Traceback: ValueError: C must be positive' >&2\n"
      "exit 3\n");
  const std::string error = h.Failure();
  EXPECT_THAT(error, HasSubstr("exited with status 3"));
  EXPECT_THAT(error, HasSubstr("ValueError: C must be positive"));
  EXPECT_THAT(error, HasSubstr("noise line 299"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("noise line 1\n")));
  EXPECT_LT(error.size(), 2300u);
}

TEST(CommandObjectiveTest, NoObjectiveValueFails) {
  Harness h("echo loss=0.3");
  const std::string error = h.Failure();
  EXPECT_THAT(error, HasSubstr("no value for the objective \"accuracy\""));
  EXPECT_THAT(error, HasSubstr("it printed: loss"));
}

TEST(CommandObjectiveTest, AProgramThatCannotStartFails) {
  Harness h("");
  h.trial.training.command = {"/nonexistent/krige-trainer", "{C}"};
  EXPECT_THAT(h.Failure(), HasSubstr("cannot run \"/nonexistent/krige-trainer\""));
}

TEST(CommandObjectiveTest, TimeoutKillsTheWholeGroup) {
  // A background sleep too: the whole group goes, not only the shell.
  Harness h("sleep 30 & sleep 30", /*timeout=*/1);
  const auto start = Clock::now();
  EXPECT_EQ(h.Failure(), "timed out after 1 s");
  EXPECT_LT(Clock::now() - start, 3500ms);
  ASSERT_GT(h.pgid.load(), 0);
  EXPECT_TRUE(h.GroupGone());
}

TEST(CommandObjectiveTest, TimeoutEscalatesToSigkill) {
  // Ignores SIGTERM (and so does the sleep it starts): only SIGKILL, 2 s later, ends it.
  Harness h("trap '' TERM; sleep 30", /*timeout=*/1);
  const auto start = Clock::now();
  EXPECT_EQ(h.Failure(), "timed out after 1 s");
  const auto took = Clock::now() - start;
  EXPECT_GT(took, 2500ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(h.GroupGone());
}

TEST(CommandObjectiveTest, StopKillsTheGroup) {
  Harness h("echo '{\"step\": 0, \"accuracy\": 0.1}'; sleep 30 & sleep 30");
  std::thread stopper([&h] {
    while (h.report_count == 0) std::this_thread::sleep_for(10ms);  // it is running
    h.stop = true;
  });
  const auto start = Clock::now();
  EXPECT_EQ(h.Failure(), "stopped");
  stopper.join();
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_TRUE(h.GroupGone());
}

TEST(MetricLineTest, Forms) {
  auto json = ParseMetricLine(R"({"step": 3, "accuracy": 0.91, "tag": "x", "ok": true})");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->step, 3);
  EXPECT_EQ(json->values, (std::map<std::string, double>{{"accuracy", 0.91}}));
  auto pairs = ParseMetricLine("  step=2 val/loss=1e-3, acc=1  ");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(pairs->step, 2);
  EXPECT_EQ(pairs->values, (std::map<std::string, double>{{"val/loss", 1e-3}, {"acc", 1}}));
  EXPECT_FALSE(ParseMetricLine("epoch 3 done, lr=0.1"));  // a log line, not half a metric
  EXPECT_FALSE(ParseMetricLine("accuracy=high"));
  EXPECT_FALSE(ParseMetricLine("{not json"));
  EXPECT_FALSE(ParseMetricLine(R"({"step": 1.5, "a": 1})"));
  EXPECT_FALSE(ParseMetricLine("step=4"));  // no metric
  EXPECT_FALSE(ParseMetricLine(""));
}

TEST(SubstituteTest, OnlyKnownPlaceholders) {
  TrialContext trial;
  trial.trial_id = 5;
  trial.number = 2;
  trial.attempt = 1;
  trial.params = {{"C", 0.25}, {"kernel", std::string("poly")}};
  trial.training.command = {"train",
                            "--C={C}",
                            "{kernel}{kernel}",
                            "{unknown}",
                            "{",
                            "print({'a': 1})",
                            "{trial_id}-{number}-{attempt}"};
  EXPECT_EQ(SubstituteArguments(trial),
            (std::vector<std::string>{"train", "--C=0.25", "polypoly", "{unknown}", "{",
                                      "print({'a': 1})", "5-2-1"}));
}

TEST(ObjectivesTest, FindsEachTrialsObjectiveAndListsWhatItServes) {
  Objectives objectives;
  objectives.kinds["cv"] = [](const TrialContext&) { return TrialOutput{1, {}, {}}; };
  objectives.kinds["command"] = [](const TrialContext&) { return TrialOutput{2, {}, {}}; };
  objectives.functions["train"] = [](const TrialContext&) { return TrialOutput{3, {}, {}}; };
  EXPECT_EQ(objectives.Served(), (std::vector<std::string>{"command", "cv", "function:train"}));
  TrainingSpec training;
  training.kind = "command";
  ASSERT_NE(objectives.Find(training), nullptr);
  EXPECT_EQ((*objectives.Find(training))(TrialContext{}).value, 2);
  training.kind = "function";
  training.function = "train";
  ASSERT_NE(objectives.Find(training), nullptr);
  EXPECT_EQ((*objectives.Find(training))(TrialContext{}).value, 3);
  training.function = "cv";  // a function is looked up among functions only
  EXPECT_EQ(objectives.Find(training), nullptr);
  training.kind = "notebook";
  EXPECT_EQ(objectives.Find(training), nullptr);
}

TEST(ObjectivesTest, AWorkerWithoutCommandsDoesNotListThem) {
  Objectives objectives;
  objectives.kinds["cv"] = [](const TrialContext&) { return TrialOutput{1, {}, {}}; };
  EXPECT_EQ(objectives.Served(), std::vector<std::string>{"cv"});
  TrainingSpec training;
  training.kind = "command";
  EXPECT_EQ(objectives.Find(training), nullptr);
}

TEST(ObjectivesTest, AWorkerRefusesNamesNoSpecCanGiveAndServingNothing) {
  WorkerOptions options;
  options.connect = "tcp://127.0.0.1:1";
  EXPECT_THROW(Worker(options, Objectives{}), Error);
  Objectives bad;
  bad.functions["has space"] = [](const TrialContext&) { return TrialOutput{}; };
  EXPECT_THROW(Worker(options, bad), Error);
  Objectives good;
  good.functions["train.v2"] = [](const TrialContext&) { return TrialOutput{}; };
  EXPECT_NO_THROW(Worker(options, good));
}

TEST(ResolveApiUrlTest, WildcardHostsBecomeTheConnectHost) {
  EXPECT_EQ(ResolveApiUrl("http://0.0.0.0:8080", "tcp://coord.lan:5555"), "http://coord.lan:8080");
  EXPECT_EQ(ResolveApiUrl("http://[::]:8080/krige", "tcp://10.0.0.5:5555"),
            "http://10.0.0.5:8080/krige");
  EXPECT_EQ(ResolveApiUrl("http://0.0.0.0:8080", "tcp://[::1]:5555"), "http://[::1]:8080");
  EXPECT_EQ(ResolveApiUrl("http://api.example:80", "tcp://other:5555"), "http://api.example:80");
  EXPECT_EQ(ResolveApiUrl("", "tcp://other:5555"), "");
}

}  // namespace
}  // namespace krige::objectives
