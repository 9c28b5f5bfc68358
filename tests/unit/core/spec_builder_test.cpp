// The C++ builders (SearchSpace::Float/Int/Categorical/When, krige::Spec) give exactly what the
// spec decoder gives for the same YAML.
#include <gtest/gtest.h>

#include "krige/codec.hpp"
#include "krige/error.hpp"
#include "krige/spec_builder.hpp"

namespace krige {
namespace {

ExperimentSpec Decode(const std::string& yaml) {
  return SpecFromJson(YamlToJson(yaml));
}

void ExpectSameSpec(const ExperimentSpec& built, const ExperimentSpec& decoded) {
  EXPECT_EQ(ToJson(built).dump(2), ToJson(decoded).dump(2));
  // ToJson omits defaults; compare what it could hide too.
  ASSERT_EQ(built.space.size(), decoded.space.size());
  for (std::size_t i = 0; i < built.space.size(); ++i) {
    const ParamSpec& a = built.space.params()[i];
    const ParamSpec& b = decoded.space.params()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type) << a.name;
    EXPECT_EQ(a.low, b.low) << a.name;
    EXPECT_EQ(a.high, b.high) << a.name;
    EXPECT_EQ(a.log, b.log) << a.name;
    EXPECT_EQ(a.step, b.step) << a.name;
    EXPECT_EQ(a.choices, b.choices) << a.name;
    EXPECT_EQ(a.when.has_value(), b.when.has_value()) << a.name;
    if (a.when && b.when) {
      EXPECT_EQ(a.when->parent, b.when->parent);
      EXPECT_EQ(a.when->values, b.when->values);
    }
  }
  EXPECT_EQ(built.objective.goal, decoded.objective.goal);
  EXPECT_EQ(built.tuner.options, decoded.tuner.options);
}

TEST(SpecBuilder, CommandSpecEqualsTheDecodedYaml) {
  const ExperimentSpec built = Spec("svm sweep")
                                   .Minimize("loss")
                                   .Tuner("gp", 7)
                                   .TunerOption("n_initial", 8)
                                   .MaxTrials(30)
                                   .Parallelism(2)
                                   .MaxAttempts(2)
                                   .Space(SearchSpace()
                                              .Float("lr", 1e-4, 1e-1, kLog)
                                              .Int("depth", 2, 10)
                                              .Int("batch", 16, 256, kLog, 16)
                                              .Categorical("kernel", {"rbf", "linear", "poly"})
                                              .Int("degree", 2, 5)
                                              .When("kernel", {"poly"})
                                              .Float("dropout", 0, 0.5))
                                   .Command({"python3", "train.py"}, 60);
  const ExperimentSpec decoded = Decode(R"(
name: svm sweep
objective: {metric: loss, goal: minimize}
tuner: {name: gp, seed: 7, options: {n_initial: 8}}
max_trials: 30
parallelism: 2
max_attempts: 2
space:
  lr: {type: float, low: 1e-4, high: 1e-1, log: true}
  depth: {type: int, low: 2, high: 10}
  batch: {type: int, low: 16, high: 256, log: true, step: 16}
  kernel: {type: categorical, values: [rbf, linear, poly]}
  degree: {type: int, low: 2, high: 5, when: {kernel: poly}}
  dropout: {type: float, low: 0, high: 0.5}
training: {kind: command, command: [python3, train.py], timeout_seconds: 60}
)");
  ExpectSameSpec(built, decoded);
  EXPECT_TRUE(Validate(built).empty());
}

TEST(SpecBuilder, FunctionSpecEqualsTheDecodedYaml) {
  const ExperimentSpec built = Spec("branin")
                                   .Minimize("loss")
                                   .Tuner("gp")
                                   .MaxTrials(30)
                                   .Space(SearchSpace().Float("x", -5, 10).Float("y", 0, 15))
                                   .Function("branin");
  const ExperimentSpec decoded = Decode(R"(
name: branin
objective: {metric: loss, goal: minimize}
tuner: {name: gp}
max_trials: 30
space:
  x: {type: float, low: -5, high: 10}
  y: {type: float, low: 0, high: 15}
training: {kind: function, function: branin}
)");
  ExpectSameSpec(built, decoded);
  EXPECT_EQ(ServedKind(built.training), "function:branin");
  EXPECT_TRUE(Validate(built).empty());
}

TEST(SpecBuilder, ChildrenFollowTheirParentWhateverTheOrderOfTheCalls) {
  // "a_child" sorts before "z_parent" by name; the decoder puts the parent first.
  const SearchSpace built = SearchSpace()
                                .Int("a_child", 1, 3)
                                .When("z_parent", {std::string("on")})
                                .Categorical("z_parent", {"on", "off"});
  const ExperimentSpec decoded = Decode(R"(
name: x
objective: {metric: loss}
space:
  a_child: {type: int, low: 1, high: 3, when: {z_parent: [on]}}
  z_parent: {type: categorical, values: ["on", "off"]}
training: {kind: command, command: [./run]}
)");
  ASSERT_EQ(built.size(), 2u);
  EXPECT_EQ(built.params()[0].name, "z_parent");
  EXPECT_EQ(ToJson(built), ToJson(decoded.space));
}

TEST(SpecBuilder, NumericChoicesKeepTheirTypes) {
  const SearchSpace built =
      SearchSpace().Categorical("layers", {1, 2, 4}).Categorical("scale", {0.5, 1.0});
  const ExperimentSpec decoded = Decode(R"(
name: x
objective: {metric: loss}
space:
  layers: {type: categorical, values: [1, 2, 4]}
  scale: {type: categorical, values: [0.5, 1.0]}
training: {kind: command, command: [./run]}
)");
  EXPECT_EQ(built.params()[0].choices, decoded.space.params()[0].choices);
  EXPECT_EQ(built.params()[1].choices, decoded.space.params()[1].choices);
}

TEST(SpecBuilder, AParameterAddedTwiceIsReplaced) {
  const SearchSpace space = SearchSpace().Float("x", 0, 1).Float("x", -1, 2, kLog);
  ASSERT_EQ(space.size(), 1u);
  EXPECT_EQ(space.params()[0].low, -1);
  EXPECT_TRUE(space.params()[0].log);
}

TEST(SpecBuilder, WhenWithoutAParameterIsAnError) {
  EXPECT_THROW(SearchSpace().When("kernel", {"poly"}), Error);
}

TEST(SpecBuilder, BadBoundsAreLeftToValidateWithTheirFieldPaths) {
  const ExperimentSpec spec =
      Spec("bad").Minimize("loss").Space(SearchSpace().Float("lr", 0, 1, kLog)).Command({"./run"});
  const auto problems = Validate(spec);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].field.rfind("space.lr", 0), 0u) << problems[0].field;
}

TEST(SpecBuilder, MaximizeAndTheCvTrainingSection) {
  TrainingSpec cv;
  cv.dataset = "sha256:" + std::string(64, 'a');
  cv.model = "logistic_regression";
  cv.metrics = {"f1"};
  const ExperimentSpec built = Spec("logistic")
                                   .Maximize("accuracy")
                                   .Space(SearchSpace().Float("C", 1e-3, 1e3, kLog))
                                   .Training(cv);
  const ExperimentSpec decoded = Decode(R"(
name: logistic
objective: {metric: accuracy, goal: maximize}
space:
  C: {type: float, low: 1e-3, high: 1e3, log: true}
training:
  dataset: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  model: logistic_regression
  metrics: [f1]
)");
  ExpectSameSpec(built, decoded);
}

}  // namespace
}  // namespace krige
