// Every bound of a spec (krige/limits.hpp, docs/api.md "Limits"): each is a problem naming its
// field, decoded from JSON text as the server gets it, or found by Validate() on a struct.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>

#include "krige/codec.hpp"
#include "krige/limits.hpp"
#include "krige/spec.hpp"

namespace krige {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;

const char* kGood = R"({
  "name": "bounds",
  "objective": {"metric": "accuracy", "goal": "maximize"},
  "tuner": {"name": "random", "seed": 7},
  "max_trials": 30,
  "space": {
    "C": {"type": "float", "low": 0.001, "high": 1000, "log": true},
    "penalty": {"type": "categorical", "values": ["l1", "l2"]},
    "iters": {"type": "int", "low": 10, "high": 100, "step": 10}
  },
  "training": {"dataset": "data/breast_cancer.csv", "model": "logistic_regression"}
})";

const char* kCommand = R"({
  "name": "cmd",
  "objective": {"metric": "loss", "goal": "minimize"},
  "space": {"x": {"type": "float", "low": -1, "high": 1}},
  "training": {"kind": "command", "command": ["python3", "train.py", "{x}"]}
})";

std::vector<FieldProblem> ProblemsOf(const Json& j) {
  try {
    SpecFromJson(j);
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

// As the server decodes a body: a number beyond double range already fails in ParseJson.
std::vector<FieldProblem> ProblemsOfText(const std::string& text) {
  try {
    return ProblemsOf(ParseJson(text));
  } catch (const ValidationError& e) {
    return e.problems();
  }
}

std::vector<std::string> Fields(const std::vector<FieldProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.field);
  return out;
}

// kGood with `edit` applied.
Json Good(const std::function<void(Json&)>& edit) {
  Json j = Json::parse(kGood);
  edit(j);
  return j;
}
Json Command(const std::function<void(Json&)>& edit) {
  Json j = Json::parse(kCommand);
  edit(j);
  return j;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(LimitsTest, TheGoodSpecsAreValid) {
  EXPECT_THAT(ProblemsOf(Json::parse(kGood)), IsEmpty());
  EXPECT_THAT(ProblemsOf(Json::parse(kCommand)), IsEmpty());
}

TEST(LimitsTest, NumbersBeyondDoubleRangeNameTheirField) {
  const std::string digits400(400, '9');
  const struct {
    std::string from, to, field;
  } cases[] = {
      {R"("max_trials": 30)", R"("max_trials": 1e400)", "max_trials"},
      {R"("max_trials": 30)", R"("max_trials": )" + digits400, "max_trials"},
      {R"("max_trials": 30)", R"("max_trials": -1e400)", "max_trials"},
      {R"("low": 0.001)", R"("low": 1e400)", "space.C.low"},
      {R"("high": 100,)", R"("high": )" + digits400 + ",", "space.iters.high"},
      {R"(["l1", "l2"])", R"(["l1", 1e400])", "space.penalty.values[1]"},
      {R"(["l1", "l2"])", R"(["l1", )" + digits400 + "]", "space.penalty.values[1]"},
      {R"("seed": 7)", R"("seed": )" + digits400, "tuner.seed"},
      {R"("seed": 7)", R"("seed": 7, "options": {"n_initial": 1e400})", "tuner.options.n_initial"},
  };
  for (const auto& c : cases) {
    const auto problems = ProblemsOfText(Replace(kGood, c.from, c.to));
    ASSERT_FALSE(problems.empty()) << c.to;
    EXPECT_EQ(problems.front().field, c.field) << c.to;
  }
  const auto timeout =
      ProblemsOfText(Replace(kCommand, R"("{x}"])", R"("{x}"], "timeout_seconds": 1e400)"));
  ASSERT_FALSE(timeout.empty());
  EXPECT_EQ(timeout.front().field, "training.timeout_seconds");
}

TEST(LimitsTest, IntegersThatOverflowTheirTypeAreProblemsNotCasts) {
  const struct {
    const char* key;
    Json value;
  } cases[] = {
      {"max_trials", 4294967297LL},  // would wrap to 1 as an int
      {"max_trials", 1e10},         {"max_trials", -4294967295LL},
      {"parallelism", 1e300},       {"max_attempts", 2147483648LL},
  };
  for (const auto& c : cases) {
    const auto problems = ProblemsOf(Good([&](Json& j) { j[c.key] = c.value; }));
    EXPECT_THAT(Fields(problems), Contains(c.key)) << c.value;
  }
  EXPECT_THAT(Fields(ProblemsOf(Good([](Json& j) { j["tuner"]["seed"] = -1; }))),
              Contains("tuner.seed"));
  EXPECT_THAT(Fields(ProblemsOf(Good([](Json& j) { j["tuner"]["seed"] = 1e30; }))),
              Contains("tuner.seed"));
  EXPECT_THAT(Fields(ProblemsOf(Good([](Json& j) { j["training"]["folds"] = 2.5; }))),
              Contains("training.folds"));
  // A categorical integer beyond int64 does not wrap to a negative value.
  EXPECT_THAT(
      Fields(ProblemsOfText(Replace(kGood, R"(["l1", "l2"])", R"(["l1", 18446744073709551615])"))),
      Contains("space.penalty.values[1]"));
  // In range: the largest seed.
  EXPECT_EQ(
      SpecFromJson(Good([](Json& j) { j["tuner"]["seed"] = 18446744073709551615ULL; })).tuner.seed,
      18446744073709551615ULL);
}

TEST(LimitsTest, NulInAnyStringNamesItsField) {
  const std::string nul("a\0b", 3);
  const struct {
    std::function<void(Json&)> edit;
    const char* field;
  } cases[] = {
      {[&](Json& j) { j["name"] = nul; }, "name"},
      {[&](Json& j) { j["objective"]["metric"] = nul; }, "objective.metric"},
      {[&](Json& j) { j["space"]["penalty"]["values"][0] = nul; }, "space.penalty.values[0]"},
      {[&](Json& j) { j["training"]["dataset"] = nul; }, "training.dataset"},
      {[&](Json& j) { j["training"]["target"] = nul; }, "training.target"},
      {[&](Json& j) {
         j["training"]["features"] = {"x", nul};
       },
       "training.features[1]"},
      {[&](Json& j) {
         j["training"]["params"] = {{"solver", nul}};
       },
       "training.params.solver"},
      {[&](Json& j) { j["tuner"]["name"] = nul; }, "tuner.name"},
  };
  for (const auto& c : cases) {
    const auto problems = ProblemsOf(Good(c.edit));
    ASSERT_FALSE(problems.empty()) << c.field;
    EXPECT_EQ(problems.front().field, c.field);
    EXPECT_EQ(problems.front().message, "must not contain NUL (\\u0000)");
  }
  // In a key (a parameter's name) and in a command argument; from JSON text as sent.
  const auto key = ProblemsOfText(Replace(kGood, R"("iters":)", R"("it\u0000ers":)"));
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(key.front().field, std::string("space.it\0ers", 12));
  const auto arg = ProblemsOfText(Replace(kCommand, R"("{x}")", R"("{x}\u0000")"));
  ASSERT_FALSE(arg.empty());
  EXPECT_EQ(arg.front().field, "training.command[2]");
}

TEST(LimitsTest, InvalidUtf8IsAProblem) {
  // JSON text cannot carry it (the parser refuses), YAML and structs can.
  EXPECT_THROW(ParseJson("{\"name\": \"\xff\"}"), Error);
  ExperimentSpec spec = SpecFromJson(Json::parse(kGood));
  spec.name = "caf\xc3";                  // a truncated sequence
  spec.training.target = "\xed\xa0\x80";  // a surrogate
  spec.training.dataset = "\xc0\xaf";     // overlong "/"
  const auto fields = Fields(Validate(spec));
  EXPECT_THAT(fields, Contains("name"));
  EXPECT_THAT(fields, Contains("training.target"));
  EXPECT_THAT(fields, Contains("training.dataset"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  // A raw invalid byte in a YAML file: refused by the YAML reader or named by the spec decoder.
  const std::string yaml =
      "name: x\xff\nobjective: {metric: accuracy}\n"
      "space: {C: {type: float, low: 1, high: 2}}\n"
      "training: {dataset: d.csv, model: logistic_regression}\n";
  try {
    EXPECT_THAT(Fields(ProblemsOf(YamlToJson(yaml))), Contains("name"));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(LimitsTest, TimeoutIsBounded) {
  for (const Json& bad : {Json(1e308), Json(-1), Json(604801), Json("10")}) {
    const auto problems =
        ProblemsOf(Command([&](Json& j) { j["training"]["timeout_seconds"] = bad; }));
    EXPECT_THAT(Fields(problems), Contains("training.timeout_seconds")) << bad;
  }
  for (const Json& good : {Json(0), Json(0.5), Json(3600), Json(604800)})
    EXPECT_THAT(ProblemsOf(Command([&](Json& j) { j["training"]["timeout_seconds"] = good; })),
                IsEmpty())
        << good;
  ExperimentSpec spec = SpecFromJson(Json::parse(kCommand));
  spec.training.timeout_seconds = std::nan("");
  EXPECT_THAT(Fields(Validate(spec)), Contains("training.timeout_seconds"));
}

TEST(LimitsTest, CommandMustNameAProgram) {
  for (const Json& bad : {Json(""), Json::array(), Json::array({""}), Json::array({"", "x"})}) {
    const auto problems = ProblemsOf(Command([&](Json& j) { j["training"]["command"] = bad; }));
    EXPECT_THAT(Fields(problems), Contains("training.command")) << bad;
  }
  const auto missing = ProblemsOf(Command([](Json& j) { j["training"].erase("command"); }));
  EXPECT_THAT(Fields(missing), Contains("training.command"));
}

TEST(LimitsTest, GoalMustBeMinimizeOrMaximize) {
  for (const Json& bad : {Json(""), Json("MAXIMIZE"), Json("max"), Json(1)}) {
    const auto problems = ProblemsOf(Good([&](Json& j) { j["objective"]["goal"] = bad; }));
    EXPECT_THAT(Fields(problems), Contains("objective.goal")) << bad;
  }
  EXPECT_EQ(SpecFromJson(Good([](Json& j) { j["objective"]["goal"] = "minimize"; })).objective.goal,
            Goal::kMinimize);
  EXPECT_EQ(SpecFromJson(Good([](Json& j) { j["objective"].erase("goal"); })).objective.goal,
            Goal::kMaximize);  // from the metric when absent
}

Json Strings(std::size_t n, const std::string& prefix = "v") {
  Json out = Json::array();
  for (std::size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(LimitsTest, EverySizeIsBounded) {
  using namespace limits;
  const std::string long_name(kNameBytes + 1, 'n');
  const std::string long_value(kStringBytes + 1, 's');
  const struct {
    const char* label;
    std::function<void(Json&)> edit;
    std::function<void(Json&)> at_limit;  // the same field at its bound: no problem
    const char* field;
  } cases[] = {
      {"name", [&](Json& j) { j["name"] = long_name; },
       [](Json& j) { j["name"] = std::string(kNameBytes, 'n'); }, "name"},
      {"metric", [&](Json& j) { j["objective"]["metric"] = long_name; }, nullptr,
       "objective.metric"},
      {"parameter name",
       [&](Json& j) {
         j["space"][long_name] = {{"type", "float"}, {"low", 0}, {"high", 1}};
       },
       [](Json& j) {
         j["space"][std::string(kNameBytes, 'p')] = {{"type", "float"}, {"low", 0}, {"high", 1}};
       },
       nullptr},
      {"parameters",
       [](Json& j) {
         for (std::size_t i = 0; i < kParameters; ++i)
           j["space"]["p" + std::to_string(i)] = {{"type", "float"}, {"low", 0}, {"high", 1}};
       },
       [](Json& j) {
         for (std::size_t i = 0; i + 3 < kParameters; ++i)
           j["space"]["p" + std::to_string(i)] = {{"type", "float"}, {"low", 0}, {"high", 1}};
       },
       "space"},
      {"categorical values",
       [](Json& j) { j["space"]["penalty"]["values"] = Strings(kCategoricalValues + 1); },
       [](Json& j) { j["space"]["penalty"]["values"] = Strings(kCategoricalValues); },
       "space.penalty.values"},
      {"string value",
       [&](Json& j) {
         j["space"]["penalty"]["values"] = {"l1", long_value};
       },
       [](Json& j) {
         j["space"]["penalty"]["values"] = {"l1", std::string(kStringBytes, 's')};
       },
       "space.penalty.values[1]"},
      {"grid values",
       [](Json& j) {
         j["space"]["C"]["values"] = Json::array();
         for (std::size_t i = 0; i <= kGridValues; ++i) j["space"]["C"]["values"].push_back(1.0);
       },
       nullptr, "space.C.values"},
      {"grid_points", [](Json& j) { j["space"]["C"]["grid_points"] = kGridPoints + 1; },
       [](Json& j) { j["space"]["C"]["grid_points"] = kGridPoints; }, "space.C.grid_points"},
      {"int bounds", [](Json& j) { j["space"]["iters"]["high"] = 1e16; }, nullptr,
       "space.iters.high"},
      {"float range",
       [](Json& j) {
         j["space"]["x"] = {{"type", "float"}, {"low", -1e308}, {"high", 1e308}};
       },
       nullptr, "space.x.high"},
      {"max_trials", [](Json& j) { j["max_trials"] = kMaxTrials + 1; },
       [](Json& j) { j["max_trials"] = kMaxTrials; }, "max_trials"},
      {"parallelism", [](Json& j) { j["parallelism"] = kMaxParallelism + 1; },
       [](Json& j) { j["parallelism"] = kMaxParallelism; }, "parallelism"},
      {"max_attempts", [](Json& j) { j["max_attempts"] = kMaxAttempts + 1; }, nullptr,
       "max_attempts"},
      {"folds", [](Json& j) { j["training"]["folds"] = kMaxFolds + 1; },
       [](Json& j) { j["training"]["folds"] = kMaxFolds; }, "training.folds"},
      {"repeats", [](Json& j) { j["training"]["repeats"] = kMaxRepeats + 1; },
       [](Json& j) { j["training"]["repeats"] = kMaxRepeats; }, "training.repeats"},
      {"metrics", [](Json& j) { j["training"]["metrics"] = Strings(kMetrics + 1); }, nullptr,
       "training.metrics"},
      {"features", [](Json& j) { j["training"]["features"] = Strings(kColumns + 1); },
       [](Json& j) { j["training"]["features"] = Strings(kColumns); }, "training.features"},
      {"feature name", [&](Json& j) { j["training"]["features"] = {long_name}; }, nullptr,
       "training.features[0]"},
      {"dataset path", [&](Json& j) { j["training"]["dataset"] = long_value; }, nullptr,
       "training.dataset"},
      {"dataset name", [&](Json& j) { j["training"]["dataset"] = "name:" + long_name; }, nullptr,
       "training.dataset"},
      {"preprocessing",
       [](Json& j) { j["training"]["preprocessing"] = Strings(kPreprocessing + 1); }, nullptr,
       "training.preprocessing"},
      {"fixed params",
       [](Json& j) {
         for (std::size_t i = 0; i <= kFixedParams; ++i)
           j["training"]["params"]["k" + std::to_string(i)] = 1;
       },
       nullptr, "training.params"},
      {"tuner options",
       [](Json& j) {
         for (std::size_t i = 0; i <= kTunerOptions; ++i)
           j["tuner"]["options"]["k" + std::to_string(i)] = 1;
       },
       nullptr, "tuner.options"},
      {"tuner option",
       [](Json& j) {
         j["tuner"]["options"] = {{"n_initial", 1e7}};
       },
       [](Json& j) {
         j["tuner"]["options"] = {{"n_initial", 1e6}};
       },
       "tuner.options.n_initial"},
      {"gp candidates",
       [](Json& j) {
         j["tuner"] = {{"name", "gp"}, {"options", {{"candidates", 1e6}}}};
       },
       [](Json& j) {
         j["tuner"] = {{"name", "gp"}, {"options", {{"candidates", 65536}}}};
       },
       "tuner.options.candidates"},
  };
  for (const auto& c : cases) {
    const auto problems = ProblemsOf(Good(c.edit));
    ASSERT_FALSE(problems.empty()) << c.label;
    if (c.field) {
      EXPECT_THAT(Fields(problems), Contains(c.field)) << c.label;
    } else {
      EXPECT_EQ(problems.front().message, "the name must be at most 256 bytes") << c.label;
    }
    if (c.at_limit) EXPECT_THAT(ProblemsOf(Good(c.at_limit)), IsEmpty()) << c.label;
  }
  const auto args = ProblemsOf(
      Command([](Json& j) { j["training"]["command"] = Strings(kCommandArguments + 1); }));
  EXPECT_THAT(Fields(args), Contains("training.command"));
  EXPECT_THAT(
      ProblemsOf(Command([](Json& j) { j["training"]["command"] = Strings(kCommandArguments); })),
      IsEmpty());
  const auto arg = ProblemsOf(Command([&](Json& j) { j["training"]["command"][1] = long_value; }));
  EXPECT_THAT(Fields(arg), Contains("training.command[1]"));
}

TEST(LimitsTest, StructsBeyondTheBoundsFailValidate) {
  // What the SDK and the service check on specs that never were JSON.
  ExperimentSpec spec = SpecFromJson(Json::parse(kGood));
  std::vector<ParamSpec> params = spec.space.params();
  ParamSpec cat;
  cat.name = "big";
  cat.type = ParamType::kCategorical;
  for (int i = 0; i < 100000; ++i) cat.choices.push_back(std::int64_t{i});
  params.push_back(cat);
  spec.space = SearchSpace(params);
  const auto problems = Validate(spec);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "space.big.values");
}

TEST(LimitsTest, DuplicateChoicesAreFoundInOnePass) {
  Json values = Json::array();
  for (std::size_t i = 0; i < limits::kCategoricalValues; ++i) values.push_back(i % 500);
  const auto problems =
      ProblemsOf(Good([&](Json& j) { j["space"]["penalty"]["values"] = values; }));
  // 500 duplicates; the answer lists the first 100 and says how many more there are.
  ASSERT_EQ(problems.size(), 101u);
  EXPECT_EQ(problems[0], (FieldProblem{"space.penalty.values[500]", "duplicate value 0"}));
  EXPECT_EQ(problems.back(), (FieldProblem{"", "and 400 more problems"}));
  // An int and a float of the same value stay distinct choices, as before.
  EXPECT_THAT(ProblemsOf(Good([](Json& j) {
                j["space"]["penalty"]["values"] = Json::parse("[1, 1.0, \"1\"]");
              })),
              IsEmpty());
}

TEST(LimitsTest, AHundredThousandValueCategoricalIsRefusedByItsSize) {
  Json values = Json::array();
  for (int i = 0; i < 100000; ++i) values.push_back(i);
  const std::string body = Good([&](Json& j) {
                             j["space"]["big"] = {{"type", "categorical"}, {"values", values}};
                           }).dump();
  ASSERT_LT(body.size(), std::size_t{1} << 20);  // under the request body limit
  const auto problems = ProblemsOfText(body);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], (FieldProblem{"space.big.values", "must have at most 1000 values"}));
}

TEST(LimitsTest, DeepNestingIsAProblemNotACrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto problems =
      ProblemsOfText(Replace(kGood, R"("max_trials": 30)", "\"max_trials\": " + deep));
  ASSERT_FALSE(problems.empty());
  EXPECT_THAT(problems.front().field, ::testing::StartsWith("max_trials"));
}

TEST(LimitsTest, SanitizeTextCutsAtACharacterBoundary) {
  EXPECT_EQ(SanitizeText("abc", 10), "abc");
  EXPECT_EQ(SanitizeText("ab\xe2\x82\xac", 4), "ab");  // the euro sign does not fit
  EXPECT_EQ(SanitizeText(std::string("a\0b", 3), 10),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(SanitizeText("\xff", 10), "\xef\xbf\xbd");
}

}  // namespace
}  // namespace krige
