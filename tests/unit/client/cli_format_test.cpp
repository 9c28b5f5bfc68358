// Pure helpers of the `krige` command (sdk/cli/format.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "format.hpp"

namespace krige::cli {
namespace {

using ::testing::HasSubstr;

TEST(ChooseDataDirTest, KrigeHomeWins) {
  EXPECT_EQ(ChooseDataDir({"/srv/k", "/x", "/users/u", true}), "/srv/k");
  EXPECT_EQ(ChooseDataDir({"/srv/k", nullptr, nullptr, false}), "/srv/k");
}

TEST(ChooseDataDirTest, RootUsesVarLib) {
  EXPECT_EQ(ChooseDataDir({nullptr, "/r/.data", "/r", true}), "/var/lib/krige");
  EXPECT_EQ(ChooseDataDir({"", nullptr, "/root", true}), "/var/lib/krige");
}

TEST(ChooseDataDirTest, UserUsesXdgThenHome) {
  EXPECT_EQ(ChooseDataDir({nullptr, "/users/u/.xdg", "/users/u", false}), "/users/u/.xdg/krige");
  EXPECT_EQ(ChooseDataDir({nullptr, "", "/users/u", false}), "/users/u/.local/share/krige");
  EXPECT_EQ(ChooseDataDir({nullptr, nullptr, "/users/u", false}), "/users/u/.local/share/krige");
}

TEST(ChooseDataDirTest, NothingSetIsAnError) {
  EXPECT_THROW(ChooseDataDir({nullptr, nullptr, nullptr, false}), Error);
}

ExperimentSpec CvSpec(const std::string& dataset) {
  ExperimentSpec spec;
  spec.training.dataset = dataset;
  return spec;
}

TEST(ResolveDatasetPathTest, RelativeToTheSpecFile) {
  auto spec = CvSpec("data/iris.csv");
  ResolveDatasetPath(spec, "/repo/examples/iris.yaml", "/elsewhere");
  EXPECT_EQ(spec.training.dataset, "/repo/examples/data/iris.csv");
}

TEST(ResolveDatasetPathTest, RelativeSpecPathUsesTheWorkingDirectory) {
  auto spec = CvSpec("../data/./iris.csv");
  ResolveDatasetPath(spec, "examples/specs/iris.yaml", "/repo");
  EXPECT_EQ(spec.training.dataset, "/repo/examples/data/iris.csv");
  auto bare = CvSpec("iris.csv");
  ResolveDatasetPath(bare, "iris.yaml", "/data");
  EXPECT_EQ(bare.training.dataset, "/data/iris.csv");
}

TEST(ResolveDatasetPathTest, LeavesAbsoluteHashesAndCommandsAlone) {
  auto abs = CvSpec("/data/iris.csv");
  ResolveDatasetPath(abs, "/repo/x.yaml", "/");
  EXPECT_EQ(abs.training.dataset, "/data/iris.csv");
  auto hash = CvSpec("sha256:abcd");
  ResolveDatasetPath(hash, "/repo/x.yaml", "/");
  EXPECT_EQ(hash.training.dataset, "sha256:abcd");
  auto command = CvSpec("data.csv");
  command.training.kind = "command";
  ResolveDatasetPath(command, "/repo/x.yaml", "/");
  EXPECT_EQ(command.training.dataset, "data.csv");
}

TEST(ResolveDatasetPathTest, LeavesNamesAloneAndSaysWhatIsAPath) {
  auto named = CvSpec("name:iris");
  ResolveDatasetPath(named, "/repo/x.yaml", "/");
  EXPECT_EQ(named.training.dataset, "name:iris");
  EXPECT_FALSE(DatasetIsPath(named));
  EXPECT_FALSE(DatasetIsPath(CvSpec("sha256:abcd")));
  EXPECT_TRUE(DatasetIsPath(CvSpec("data/iris.csv")));
  EXPECT_TRUE(DatasetIsPath(CvSpec("/data/iris.csv")));
  auto command = CvSpec("data.csv");
  command.training.kind = "command";
  EXPECT_FALSE(DatasetIsPath(command));
}

TEST(ResolveSpecDirTest, ReplacesThePlaceholderInCommandArguments) {
  ExperimentSpec spec;
  spec.training.kind = "command";
  spec.training.command = {"python3", "{spec_dir}/train.py", "--lr", "{lr}",
                           "--out={spec_dir}/a:{spec_dir}/b"};
  ResolveSpecDir(spec, "examples/command/spec.yaml", "/repo");
  EXPECT_EQ(spec.training.command,
            (std::vector<std::string>{"python3", "/repo/examples/command/train.py", "--lr", "{lr}",
                                      "--out=/repo/examples/command/a:/repo/examples/command/b"}));
  auto cv = CvSpec("x.csv");
  cv.training.command = {"{spec_dir}"};
  ResolveSpecDir(cv, "/repo/x.yaml", "/");
  EXPECT_EQ(cv.training.command[0], "{spec_dir}");
}

TEST(FormatTest, Values) {
  EXPECT_EQ(FormatValue(0.97356), "0.9736");
  EXPECT_EQ(FormatValue(52.5), "52.5000");
  EXPECT_EQ(FormatValue(0), "0.0000");
  EXPECT_EQ(FormatValue(1.5e-5), "1.5e-05");
  EXPECT_EQ(FormatValue(-0.25), "-0.2500");
}

TEST(FormatTest, ParamsAndMetrics) {
  Params p{{"C", 0.123456}, {"kernel", std::string("rbf")}, {"degree", std::int64_t{3}}};
  EXPECT_EQ(FormatParams(p), "C=0.1235, degree=3, kernel=rbf");
  EXPECT_EQ(FormatMetrics({{"accuracy", 0.9}, {"f1", 0.85}}), "accuracy=0.9000, f1=0.8500");
}

Experiment Running(int completed, int running, int failed) {
  Experiment e;
  e.id = 3;
  e.spec.max_trials = 30;
  e.spec.objective.metric = "accuracy";
  e.counts.completed = completed;
  e.counts.running = running;
  e.counts.failed = failed;
  return e;
}

TEST(FormatProgressTest, MatchesTheDocumentedLine) {
  Experiment e = Running(12, 2, 0);
  Trial best;
  best.number = 7;
  best.value = 0.97356;
  e.best = best;
  EXPECT_EQ(FormatProgress(e), "[12/30] completed=12 running=2 failed=0 best=0.9736 (trial #7)");
}

TEST(FormatProgressTest, NoBestYetAndOptionalCounts) {
  Experiment e = Running(0, 2, 1);
  e.counts.pruned = 2;
  e.counts.queued = 1;
  EXPECT_EQ(FormatProgress(e), "[3/30] completed=0 running=2 failed=1 pruned=2 queued=1 best=-");
}

TEST(FormatProgressBarTest, CountsRateEtaAndBest) {
  Experiment e = Running(10, 2, 2);  // 12 of 30 done
  Trial best;
  best.number = 7;
  best.value = 0.97356;
  e.best = best;
  // 4 done when watching began, 8 more in 120 s: 4/min, 18 to go: 4m30s.
  EXPECT_EQ(FormatProgressBar(e, 4, 120, 200),
            "[########............] 12/30  running 2  failed 2  4.0/min  ETA 4m30s  best 0.9736 "
            "(#7)");
  // Fast: per second, and the hours form of the ETA.
  e.spec.max_trials = 100000;
  EXPECT_EQ(FormatProgressBar(e, 0, 4, 200),
            "[....................] 12/100000  running 2  failed 2  3.0/s  ETA 9h15m  best "
            "0.9736 (#7)");
  // Cut to the terminal's width.
  EXPECT_EQ(FormatProgressBar(e, 0, 4, 30), "[....................] 12/1000");
}

TEST(FormatProgressBarTest, NoRateUntilATrialFinishesAndFullAtTheEnd) {
  Experiment e = Running(0, 2, 0);
  e.counts.queued = 1;
  EXPECT_EQ(FormatProgressBar(e, 0, 10, 200), "[....................] 0/30  running 2  queued 1");
  e = Running(30, 0, 0);
  EXPECT_EQ(FormatProgressBar(e, 0, 60, 200), "[####################] 30/30  30.0/min");
  EXPECT_EQ(FormatProgressBar(e, 30, 60, 200), "[####################] 30/30")
      << "watching an experiment that had finished: no rate";
}

TEST(FormatDurationTest, SecondsMinutesHours) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(7620), "2h07m");
  EXPECT_EQ(FormatDuration(-1), "-");
}

TEST(FormatFailureTest, OneLinePerFailure) {
  Trial t;
  t.number = 3;
  t.attempt = 2;
  t.worker = "w-1";
  t.error = "exit code 3\nstderr:\n  bad input\n";
  EXPECT_EQ(FormatFailure(t),
            "trial #3 failed (attempt 2 on w-1): exit code 3 | stderr: |   bad input");
}

TEST(TrialsCsvTest, ColumnsAndExactValues) {
  Experiment e = Running(2, 0, 1);
  ParamSpec lr, kind;
  lr.name = "lr";
  kind.name = "kind";
  kind.type = ParamType::kCategorical;
  e.spec.space = SearchSpace({lr, kind});
  Trial a;
  a.number = 0;
  a.state = TrialState::kCompleted;
  a.value = 0.1 + 0.2;  // 0.30000000000000004: needs 17 digits to read back
  a.params = {{"lr", 1e-3}, {"kind", std::string("a,\"b\"")}};
  a.metrics = {{"f1", 0.5}, {"accuracy", 0.75}};
  Trial b;
  b.number = 1;
  b.state = TrialState::kFailed;
  b.params = {{"lr", 0.5}, {"extra", std::int64_t{4}}};
  EXPECT_EQ(TrialsCsv(e, {a, b}),
            "number,state,value,kind,lr,extra,accuracy,f1\n"
            "0,completed,0.30000000000000004,\"a,\"\"b\"\"\",0.001,,0.75,0.5\n"
            "1,failed,,,0.5,4,,\n");
}

TEST(FormatTrialTest, EverythingAboutOneTrial) {
  Experiment e = Running(1, 0, 0);
  e.spec.name = "demo";
  Trial t;
  t.number = 2;
  t.state = TrialState::kFailed;
  t.worker = "w0";
  t.params = {{"C", 0.5}};
  t.steps = {StepScores{0, {{"accuracy", 0.9}}}, StepScores{1, {{"accuracy", 0.8}, {"f1", 0.7}}}};
  t.error = "boom\nat line 2";
  EXPECT_EQ(FormatTrial(e, t),
            "trial #2 of experiment #3 \"demo\"\n"
            "  state:    failed (attempt 1 of 3)\n"
            "  worker:   w0\n"
            "  value:    accuracy = -\n"
            "  params:   C=0.5\n"
            "  metrics:  -\n"
            "  steps (per fold or reported step):\n"
            "    STEP  accuracy  f1\n"
            "    0     0.9000    -\n"
            "    1     0.8000    0.7000\n"
            "  error:\n"
            "    boom\n"
            "    at line 2\n");
}

TEST(FormatBestTest, ShowsNumberValueParamsMetrics) {
  Experiment e = Running(1, 0, 0);
  e.spec.objective.goal = Goal::kMinimize;
  e.spec.objective.metric = "rmse";
  Trial t;
  t.number = 4;
  t.value = 52.31;
  t.params = {{"alpha", 0.01}};
  t.metrics = {{"r2", 0.5}, {"rmse", 52.31}};
  EXPECT_EQ(FormatBest(e, t),
            "best trial #4: rmse = 52.3100 (minimize)\n"
            "  params:  alpha=0.01\n"
            "  metrics: r2=0.5000, rmse=52.3100\n");
}

TEST(FormatTableTest, AlignsColumns) {
  EXPECT_EQ(FormatTable({{"ID", "NAME"}, {"10", "x"}, {"7", "longer"}}),
            "ID  NAME\n10  x\n7   longer\n");
}

TEST(EndReasonTest, PrefersServerFields) {
  EXPECT_EQ(EndReason(Json{{"id", 3}, {"state", "failed"}, {"reason", "dataset missing"}}),
            "dataset missing");
  EXPECT_EQ(EndReason(Json{{"id", 3}, {"error", {{"message", "boom"}}}}), "boom");
  EXPECT_THAT(EndReason(Json{{"id", 3}, {"state", "stopped"}}), HasSubstr("stopped"));
}

TEST(ListeningLineTest, ParsesTheServerAnnouncement) {
  const std::string log =
      "starting\nkrige-server listening http=http://127.0.0.1:41234 zmq=tcp://127.0.0.1:5001\n";
  const auto l = FindListeningLine(log);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->http, "http://127.0.0.1:41234");
  EXPECT_EQ(l->zmq, "tcp://127.0.0.1:5001");
  EXPECT_FALSE(FindListeningLine("starting\nkrige-server listen").has_value());
}

TEST(TailTest, LastLines) {
  EXPECT_EQ(Tail("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(Tail("a\nb", 5), "a\nb");
  EXPECT_EQ(Tail("", 3), "");
}

TEST(StackInfoTest, RoundTrip) {
  StackInfo info{"http://127.0.0.1:1", "tcp://127.0.0.1:2", {10, 11, 12}, "2026-01-01T00:00:00Z"};
  const StackInfo back = StackInfoFromJson(ToJson(info));
  EXPECT_EQ(back.server_url, info.server_url);
  EXPECT_EQ(back.zmq, info.zmq);
  EXPECT_EQ(back.pids, info.pids);
  EXPECT_EQ(back.started_at, info.started_at);
  EXPECT_THROW(StackInfoFromJson(Json::object()), Error);
}

}  // namespace
}  // namespace krige::cli
