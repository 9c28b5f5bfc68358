#include <gmock/gmock.h>

#include <gtest/gtest.h>
#include <chrono>

#include "krige/codec.hpp"
#include "krige/spec.hpp"
#include "test_env.hpp"

namespace krige {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;

const char* kGoodYaml = R"(
name: logistic on breast cancer
objective: {metric: accuracy, goal: maximize}
tuner: {name: random, seed: 7}
max_trials: 30
parallelism: 2
space:
  C: {type: float, low: 1e-3, high: 1e3, log: true}
  penalty: {type: categorical, values: [l1, l2]}
  iters: {type: int, low: 10, high: 100, step: 10}
training:
  dataset: data/breast_cancer.csv
  model: logistic_regression
  folds: 5
  metrics: [f1, roc_auc]
)";

std::vector<FieldProblem> ProblemsOf(const Json& j) {
  try {
    SpecFromJson(j);
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

TEST(SpecTest, YamlDecodesToTheSpec) {
  const ExperimentSpec s = SpecFromJson(YamlToJson(kGoodYaml));
  EXPECT_EQ(s.name, "logistic on breast cancer");
  EXPECT_EQ(s.objective.goal, Goal::kMaximize);
  EXPECT_EQ(s.tuner.seed, 7u);
  EXPECT_EQ(s.max_trials, 30);
  ASSERT_EQ(s.space.size(), 3u);
  const ParamSpec* c = s.space.Find("C");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->log);
  EXPECT_DOUBLE_EQ(c->low, 1e-3);
  EXPECT_EQ(s.space.Find("penalty")->choices.size(), 2u);
  EXPECT_EQ(s.space.Find("iters")->type, ParamType::kInt);
  EXPECT_EQ(s.training.folds, 5);
  EXPECT_TRUE(s.training.stratified);
  EXPECT_EQ(s.training.metrics, (std::vector<std::string>{"f1", "roc_auc"}));
}

TEST(SpecTest, JsonRoundTripIsLossless) {
  const ExperimentSpec s = SpecFromJson(YamlToJson(kGoodYaml));
  const Json once = ToJson(s);
  EXPECT_EQ(ToJson(SpecFromJson(once)), once);
}

TEST(SpecTest, GoalDefaultsFromTheMetric) {
  Json j = YamlToJson(kGoodYaml);
  j["objective"] = {{"metric", "rmse"}};
  j["training"]["task"] = "regression";
  j["training"]["model"] = "ridge";
  j["training"]["metrics"] = {"r2"};
  EXPECT_EQ(SpecFromJson(j).objective.goal, Goal::kMinimize);
}

TEST(SpecTest, EveryProblemIsReportedWithItsPath) {
  Json j = YamlToJson(kGoodYaml);
  j["space"]["C"]["low"] = 0;
  j["space"]["penalty"]["values"] = Json::array();
  j["max_trials"] = 0;
  j["training"]["model"] = "magic";
  j["tuner"]["seed"] = "seven";
  j["typo"] = 1;
  const auto problems = ProblemsOf(j);
  auto fields = std::vector<std::string>{};
  for (const auto& p : problems) fields.push_back(p.field);
  EXPECT_THAT(fields, Contains("space.C.low"));
  EXPECT_THAT(fields, Contains("space.penalty.values"));
  EXPECT_THAT(fields, Contains("max_trials"));
  EXPECT_THAT(fields, Contains("training.model"));
  EXPECT_THAT(fields, Contains("tuner.seed"));
  EXPECT_THAT(fields, Contains("typo"));
  EXPECT_THAT(problems, Contains(FieldProblem{"space.C.low", "must be > 0 for log scale"}));
}

TEST(SpecTest, AnUnknownKeyNamesTheKnownKeyItIsATypoOf) {
  Json j = YamlToJson(kGoodYaml);
  j["max_trails"] = 10;                       // two letters swapped
  j["training"]["fold"] = 3;                  // one letter missing, nested
  j["space"]["C"]["hihg"] = 2;                // in a parameter
  j["tuner"]["something_else_entirely"] = 1;  // nothing close: no guess
  const auto problems = ProblemsOf(j);
  const auto message = [&](const std::string& field) {
    for (const auto& p : problems)
      if (p.field == field) return p.message;
    return std::string("(no problem for " + field + ")");
  };
  EXPECT_EQ(message("max_trails"), "unknown field (did you mean \"max_trials\"?)");
  EXPECT_EQ(message("training.fold"), "unknown field (did you mean \"folds\"?)");
  EXPECT_EQ(message("space.C.hihg"), "unknown field (did you mean \"high\"?)");
  EXPECT_EQ(message("tuner.something_else_entirely"), "unknown field");
}

TEST(SpecTest, ConditionsAreChecked) {
  Json j = YamlToJson(kGoodYaml);
  j["space"]["degree"] = {{"type", "int"}, {"low", 2}, {"high", 5}, {"when", {{"penalty", "l3"}}}};
  j["space"]["gamma"] = {{"type", "float"}, {"low", 1}, {"high", 2}, {"when", {{"nope", "x"}}}};
  const auto problems = ProblemsOf(j);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "space.degree.when")));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::message, HasSubstr("l3 is not a value"))));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "space.gamma.when")));
}

TEST(SpecTest, ObjectiveMustSuitTheTask) {
  Json j = YamlToJson(kGoodYaml);
  j["objective"]["metric"] = "rmse";
  const auto problems = ProblemsOf(j);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "objective.metric");
}

TEST(SpecTest, MalformedYamlNamesTheLine) {
  try {
    YamlToJson("name: x\nspace: {C: [1, 2\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("line"));
  }
}

TEST(SpecTest, SpaceContainsRespectsConditions) {
  Json j = YamlToJson(kGoodYaml);
  j["space"]["degree"] = {{"type", "int"}, {"low", 2}, {"high", 5}, {"when", {{"penalty", "l1"}}}};
  const ExperimentSpec s = SpecFromJson(j);
  Params p{{"C", 1.0}, {"penalty", std::string("l2")}, {"iters", std::int64_t{20}}};
  EXPECT_TRUE(s.space.Contains(p));
  p["degree"] = std::int64_t{3};
  EXPECT_FALSE(s.space.Contains(p)) << "degree is inactive when penalty == l2";
  p["penalty"] = std::string("l1");
  EXPECT_TRUE(s.space.Contains(p));
  p["iters"] = std::int64_t{25};
  EXPECT_FALSE(s.space.Contains(p)) << "25 is off the step-10 lattice";
}

TEST(SpecTest, TrainingDataOptionsRoundTripAndAreChecked) {
  Json j = YamlToJson(kGoodYaml);
  j["training"]["fold_column"] = "fold";
  j["training"]["features"] = {"a", "colour"};
  j["training"]["categorical"] = {"colour"};
  j["training"]["impute"] = "median";
  const ExperimentSpec s = SpecFromJson(j);
  EXPECT_EQ(s.training.fold_column, "fold");
  EXPECT_EQ(s.training.features, (std::vector<std::string>{"a", "colour"}));
  EXPECT_EQ(s.training.categorical, (std::vector<std::string>{"colour"}));
  EXPECT_EQ(s.training.impute, "median");
  EXPECT_EQ(ToJson(SpecFromJson(ToJson(s))), ToJson(s));

  j["training"]["fold_column"] = "target";
  j["training"]["repeats"] = 2;
  j["training"]["impute"] = "zero";
  j["training"]["features"] = {"a", "target"};
  const auto problems = ProblemsOf(j);
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.fold_column")));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.repeats")));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.impute")));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.features[1]")));
}

TEST(SpecTest, ClusteringTaskTakesClusteringMetricsAndKmeans) {
  Json j = YamlToJson(kGoodYaml);
  j["objective"] = {{"metric", "silhouette"}};
  j["training"]["task"] = "clustering";
  j["training"]["model"] = "kmeans";
  j["training"]["metrics"] = {"inertia"};
  const ExperimentSpec s = SpecFromJson(j);
  EXPECT_EQ(s.training.task, Task::kClustering);
  EXPECT_FALSE(s.training.stratified);
  EXPECT_EQ(s.objective.goal, Goal::kMaximize);
  EXPECT_FALSE(MetricIsGreaterBetter("inertia"));
  EXPECT_EQ(ToJson(SpecFromJson(ToJson(s))), ToJson(s));

  j["training"]["model"] = "svc";
  j["training"]["metrics"] = {"accuracy"};
  auto problems = ProblemsOf(j);
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.task")));
  EXPECT_THAT(problems, Contains(Field(&FieldProblem::field, "training.metrics[0]")));
  j = YamlToJson(kGoodYaml);
  j["training"]["model"] = "kmeans";
  problems = ProblemsOf(j);
  EXPECT_THAT(problems, Contains(FieldProblem{"training.task", "kmeans is a clustering model"}));
}

TEST(SpecTest, EveryExampleSpecIsValid) {
  int seen = 0;
  for (const char* dir : {"/examples", "/examples/command"}) {
    for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() + dir)) {
      if (entry.path().extension() != ".yaml") continue;
      ++seen;
      EXPECT_NO_THROW(LoadSpecFile(entry.path().string())) << entry.path();
    }
  }
  EXPECT_GT(seen, 0);
}

TEST(SpecTest, AFunctionTrainingNamesTheObjectiveWorkersRegistered) {
  Json j = YamlToJson(kGoodYaml);
  j["objective"] = {{"metric", "loss"}, {"goal", "minimize"}};
  j["training"] = {{"kind", "function"}, {"function", "train_v2.1"}, {"params", {{"epochs", 3}}}};
  const ExperimentSpec spec = SpecFromJson(j);
  EXPECT_EQ(spec.training.function, "train_v2.1");
  EXPECT_EQ(ServedKind(spec.training), "function:train_v2.1");
  EXPECT_EQ(SpecFromJson(ToJson(spec)).training.function, "train_v2.1");
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", "semi;colon", std::string(129, 'f')}) {
    j["training"]["function"] = bad;
    const auto problems = ProblemsOf(j);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].field, "training.function");
  }
  j["training"] = {{"kind", "function"}};
  EXPECT_THAT(ProblemsOf(j), Contains(Field(&FieldProblem::field, "training.function")));
  j["training"] = {{"kind", "notebook"}};
  EXPECT_THAT(ProblemsOf(j), Contains(Field(&FieldProblem::message, HasSubstr("\"function\""))));
  EXPECT_EQ(ServedKind(TrainingSpec{}), "cv");
}

TEST(SpecTest, DatasetReferencesAreChecked) {
  Json j = YamlToJson(kGoodYaml);
  j["training"]["dataset"] = "sha256:abc";
  const auto problems = ProblemsOf(j);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "training.dataset");
  j["training"]["dataset"] = "name:";
  EXPECT_EQ(ProblemsOf(j).size(), 1u);
  j["training"]["dataset"] = "sha256:" + std::string(64, 'f');
  EXPECT_TRUE(ProblemsOf(j).empty());
  j["training"]["dataset"] = "name:iris";
  EXPECT_TRUE(ProblemsOf(j).empty());
}

TEST(SpecTest, ARecursiveYamlAliasIsAnErrorNotACrash) {
  // Found by the spec fuzzer: `&a [*a]` is a node that contains itself.
  try {
    YamlToJson("a: &x [*x]\n");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("nested more than"));
  }
}
TEST(SpecTest, ExpandingYamlAliasesAndHugeScalarsAreBounded) {
  // Found by the spec fuzzer: ten aliases per level over seven levels is 1e7 values.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 7; ++level) {
    yaml += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i)
      yaml += std::string(i ? ", " : "") + "*a" + std::to_string(level - 1);
    yaml += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(YamlToJson(yaml), Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // 32 000 digits once overflowed the stack in std::regex: now a (long) string.
  const Json j = YamlToJson("name: " + std::string(32000, '1') + "\n");
  EXPECT_TRUE(j["name"].is_string());
}
}  // namespace
}  // namespace krige

namespace krige {
namespace {

TEST(SpecTest, UnknownHyperparametersOfABuiltinModelAreRefusedWithTheirPaths) {
  Json j = YamlToJson(kGoodYaml);
  j["space"]["gama"] = {{"type", "float"}, {"low", 0.1}, {"high", 1.0}};
  j["training"]["params"] = {{"max_iter", 100}, {"tol", 1e-3}};
  EXPECT_THAT(ProblemsOf(j), ::testing::IsEmpty()) << "Validate checks the structure only";
  const auto problems = CheckModelHyperparameters(SpecFromJson(j));
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].field, "space.gama");
  EXPECT_EQ(problems[1].field, "space.iters");
  EXPECT_THAT(problems[0].message,
              HasSubstr("logistic_regression has no hyperparameter 'gama' (it has C, penalty, "));
  EXPECT_EQ(problems[2].field, "training.params.max_iter");
  // Commands take any parameter names.
  j["training"] = {{"kind", "command"}, {"command", {"train", "{gama}"}}};
  EXPECT_THAT(CheckModelHyperparameters(SpecFromJson(j)), ::testing::IsEmpty());
}

TEST(SpecTest, MaxFailedTrialsDefaultsRoundTripsAndIsBounded) {
  Json j = YamlToJson(kGoodYaml);
  EXPECT_EQ(SpecFromJson(j).max_failed_trials, 5);
  j["max_failed_trials"] = 0;
  const ExperimentSpec s = SpecFromJson(j);
  EXPECT_EQ(s.max_failed_trials, 0);
  EXPECT_EQ(SpecFromJson(ToJson(s)).max_failed_trials, 0);
  for (const Json bad : {Json(-1), Json(1000001), Json("five")}) {
    j["max_failed_trials"] = bad;
    const auto problems = ProblemsOf(j);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].field, "max_failed_trials");
  }
  ExperimentSpec direct = SpecFromJson(YamlToJson(kGoodYaml));
  direct.max_failed_trials = -3;
  EXPECT_THAT(Validate(direct), Contains(Field(&FieldProblem::field, "max_failed_trials")));
}

}  // namespace
}  // namespace krige
