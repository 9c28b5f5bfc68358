#include "krige/codec.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "krige/limits.hpp"

namespace krige {
namespace {

// Edit distance counting a swap of two neighbouring letters as one edit (optimal string
// alignment), for "did you mean": keys are short (the caller bounds them).
std::size_t EditDistance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  const auto at = [m, &d](std::size_t i, std::size_t j) -> std::size_t& {
    return d[i * (m + 1) + j];
  };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      at(i, j) = std::min(
          {at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
    }
  return at(n, m);
}

// The known key closest to `key` when it is close enough to be a typo (at most two edits, or a
// third of its letters for long keys, and never all of them), else "".
std::string Closest(const std::string& key, std::initializer_list<const char*> known) {
  constexpr std::size_t kMaxKeyBytes = 64;  // a longer key is no typo of a spec key
  if (key.size() > kMaxKeyBytes) return {};
  std::string best;
  std::size_t best_distance = std::min(key.size(), std::max<std::size_t>(2, key.size() / 3) + 1);
  for (const char* k : known) {
    const std::size_t distance = EditDistance(key, k);
    if (distance < best_distance) {
      best = k;
      best_distance = distance;
    }
  }
  return best;
}

// Reads a JSON object field by field, collecting every problem instead of stopping at the
// first, so that a bad spec is answered with all of its problems at once.
class Reader {
 public:
  Reader(const Json& j, std::string path, std::vector<FieldProblem>& problems)
      : j_(j), path_(std::move(path)), problems_(problems) {
    if (!j_.is_object()) Problem("", "must be an object");
  }

  bool ok() const { return j_.is_object(); }
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void Problem(const std::string& key, std::string message) {
    problems_.push_back({key.empty() ? path_ : Path(key), std::move(message)});
  }
  bool Has(const std::string& key) const { return ok() && j_.contains(key) && !j_[key].is_null(); }
  const Json& At(const std::string& key) const { return j_.at(key); }

  void String(const std::string& key, std::string& out, bool required = false) {
    if (!Has(key)) {
      if (required) Problem(key, "is required");
      return;
    }
    if (!At(key).is_string()) return Problem(key, "must be a string");
    out = At(key).get<std::string>();
  }
  void Number(const std::string& key, double& out, bool required = false) {
    if (!Has(key)) {
      if (required) Problem(key, "is required");
      return;
    }
    if (!At(key).is_number()) return Problem(key, "must be a number");
    out = At(key).get<double>();
  }
  // An integer within [low, high]; a float with an integral value counts. Out of range is a
  // problem, never a silent cast.
  template <typename Int>
  void Integer(const std::string& key, Int& out, bool required = false,
               Int low = std::numeric_limits<Int>::min(),
               Int high = std::numeric_limits<Int>::max()) {
    if (!Has(key)) {
      if (required) Problem(key, "is required");
      return;
    }
    const Json& v = At(key);
    const std::string range =
        "must be between " + std::to_string(low) + " and " + std::to_string(high);
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(high)) return Problem(key, range);
      if (low > 0 && u < static_cast<std::uint64_t>(low)) return Problem(key, range);
      out = static_cast<Int>(u);
      return;
    }
    if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      if (i < 0 && std::is_unsigned<Int>::value) return Problem(key, "must be >= 0");
      if (i < static_cast<std::int64_t>(low) ||
          (!std::is_unsigned<Int>::value && i > static_cast<std::int64_t>(high)))
        return Problem(key, range);
      out = static_cast<Int>(i);
      return;
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d) || std::floor(d) != d) return Problem(key, "must be an integer");
      // high + 1 as a double is exact for every Int up to 64 bits (a power of two or small).
      if (d < static_cast<double>(low) || d >= static_cast<double>(high) + 1.0)
        return Problem(key, range);
      out = static_cast<Int>(d);
      return;
    }
    Problem(key, "must be an integer");
  }
  void Bool(const std::string& key, bool& out) {
    if (!Has(key)) return;
    if (!At(key).is_boolean()) return Problem(key, "must be true or false");
    out = At(key).get<bool>();
  }
  void StringList(const std::string& key, std::vector<std::string>& out, std::size_t max_size) {
    if (!Has(key)) return;
    const Json& v = At(key);
    if (v.is_string()) {
      out = {v.get<std::string>()};
      return;
    }
    if (!v.is_array()) return Problem(key, "must be a list of strings");
    if (v.size() > max_size)
      return Problem(key, "must have at most " + std::to_string(max_size) + " entries");
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        Problem(key + "[" + std::to_string(i) + "]", "must be a string");
        continue;
      }
      out.push_back(v[i].get<std::string>());
    }
  }
  void Values(const std::string& key, std::vector<ParamValue>& out, std::size_t max_size) {
    if (!Has(key)) return;
    const Json& v = At(key);
    if (!v.is_array()) return Problem(key, "must be a list");
    // Checked before decoding: an oversized list costs no more than its size check.
    if (v.size() > max_size)
      return Problem(key, "must have at most " + std::to_string(max_size) + " values");
    for (std::size_t i = 0; i < v.size(); ++i) {
      try {
        out.push_back(ParamValueFromJson(v[i]));
      } catch (const Error& e) {
        Problem(key + "[" + std::to_string(i) + "]", e.what());
      }
    }
  }
  // Reports keys this reader does not know: a typo should not silently change nothing.
  void AllowOnly(std::initializer_list<const char*> keys) {
    if (!ok()) return;
    for (const auto& item : j_.items()) {
      bool known = false;
      for (const char* k : keys) known = known || item.key() == k;
      if (known) continue;
      const std::string suggestion = Closest(item.key(), keys);
      Problem(item.key(), suggestion.empty()
                              ? std::string("unknown field")
                              : "unknown field (did you mean \"" + suggestion + "\"?)");
    }
  }

 private:
  const Json& j_;
  std::string path_;
  std::vector<FieldProblem>& problems_;
};

// Problems no field decoder sees: numbers that overflowed a double while parsing (1e400, a
// 400-digit integer: JSON has no infinity, so any non-finite number came from there), text that
// PostgreSQL cannot store (NUL; invalid UTF-8 from YAML), and nesting no spec has. Stops after
// a few problems: a hostile document must not cost more to answer than to read.
void CheckDocument(const Json& j, const std::string& path, int depth,
                   std::vector<FieldProblem>& out) {
  constexpr std::size_t kMaxProblems = 20;
  if (out.size() >= kMaxProblems) return;
  const auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (depth > limits::kJsonDepth) {
    out.push_back({path, "nests deeper than " + std::to_string(limits::kJsonDepth) + " levels"});
    return;
  }
  if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    out.push_back({path, "must be a finite number within the range of a double"});
  } else if (j.is_string()) {
    const std::string problem = TextProblem(j.get_ref<const std::string&>(), std::string::npos);
    if (!problem.empty()) out.push_back({path, problem});
  } else if (j.is_object()) {
    for (const auto& item : j.items()) {
      const std::string problem = TextProblem(item.key(), std::string::npos);
      if (!problem.empty()) {
        out.push_back({child(item.key()), "the name " + problem});
        continue;
      }
      CheckDocument(item.value(), child(item.key()), depth + 1, out);
      if (out.size() >= kMaxProblems) return;
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      CheckDocument(j[i], path + "[" + std::to_string(i) + "]", depth + 1, out);
      if (out.size() >= kMaxProblems) return;
    }
  }
}

// `problems` without those about a field (or a part of a field) `reported` already names.
void AppendUnreported(std::vector<FieldProblem>& reported, std::vector<FieldProblem> problems) {
  const std::size_t known = reported.size();
  for (auto& p : problems) {
    bool already = false;
    for (std::size_t i = 0; i < known && !already; ++i) {
      const std::string& f = reported[i].field;
      already = p.field == f ||
                (!f.empty() && (p.field.rfind(f + ".", 0) == 0 || p.field.rfind(f + "[", 0) == 0));
    }
    if (!already) reported.push_back(std::move(p));
  }
}

ParamSpec ParamFromJson(const std::string& name, const Json& j, std::vector<FieldProblem>& out) {
  ParamSpec p;
  p.name = name;
  Reader r(j, "space." + name, out);
  if (!r.ok()) return p;
  r.AllowOnly({"type", "low", "high", "log", "step", "values", "grid_points", "when"});
  std::string type;
  r.String("type", type, true);
  if (type == "float") {
    p.type = ParamType::kFloat;
  } else if (type == "int") {
    p.type = ParamType::kInt;
  } else if (type == "categorical") {
    p.type = ParamType::kCategorical;
  } else if (!type.empty()) {
    r.Problem("type", "must be float, int or categorical");
    return p;
  }
  if (p.type == ParamType::kCategorical) {
    r.Values("values", p.choices, limits::kCategoricalValues);
    if (!r.Has("values")) r.Problem("values", "is required for a categorical parameter");
    for (const char* key : {"low", "high", "log", "step", "grid_points"})
      if (r.Has(key)) r.Problem(key, "does not apply to a categorical parameter");
  } else if (!type.empty()) {
    r.Number("low", p.low, true);
    r.Number("high", p.high, true);
    r.Bool("log", p.log);
    r.Number("step", p.step);
    r.Integer("grid_points", p.grid_points, false, 0, limits::kGridPoints);
    r.Values("values", p.values, limits::kGridValues);
  }
  if (r.Has("when")) {
    const Json& w = r.At("when");
    if (!w.is_object() || w.size() != 1) {
      r.Problem("when", "must be {parent: value} or {parent: [values]}");
    } else {
      Condition c;
      c.parent = w.begin().key();
      const Json& vals = w.begin().value();
      try {
        if (vals.is_array() && vals.size() > limits::kCategoricalValues) {
          throw Error(
              ErrorCode::kInvalidArgument,
              "must list at most " + std::to_string(limits::kCategoricalValues) + " parent values");
        } else if (vals.is_array()) {
          for (const auto& v : vals) c.values.push_back(ParamValueFromJson(v));
        } else {
          c.values.push_back(ParamValueFromJson(vals));
        }
        p.when = std::move(c);
      } catch (const Error& e) {
        r.Problem("when", e.what());
      }
    }
  }
  return p;
}

TrainingSpec TrainingFromReader(const Json& j, std::vector<FieldProblem>& out) {
  TrainingSpec t;
  Reader r(j, "training", out);
  if (!r.ok()) return t;
  r.AllowOnly({"kind",        "dataset",     "target",          "task",          "model",
               "folds",       "stratified",  "repeats",         "shuffle_seed",  "fold_column",
               "features",    "categorical", "impute",          "preprocessing", "metrics",
               "params",      "command",     "timeout_seconds", "function",      "resource",
               "report_every"});
  r.String("kind", t.kind);
  if (t.kind == "cv") {
    r.String("dataset", t.dataset, true);
    r.String("target", t.target);
    std::string task = "classification";
    r.String("task", task);
    if (task == "classification") {
      t.task = Task::kClassification;
    } else if (task == "regression") {
      t.task = Task::kRegression;
    } else if (task == "clustering") {
      t.task = Task::kClustering;
    } else {
      r.Problem("task", "must be classification, regression or clustering");
    }
    t.stratified = t.task == Task::kClassification;
    r.String("model", t.model, true);
    r.Integer("folds", t.folds);  // range checked by Validate (its problems keep their order)
    r.Bool("stratified", t.stratified);
    r.Integer("repeats", t.repeats);
    r.Integer("shuffle_seed", t.shuffle_seed);
    r.String("fold_column", t.fold_column);
    r.StringList("features", t.features, limits::kColumns);
    r.StringList("categorical", t.categorical, limits::kColumns);
    r.String("impute", t.impute);
    r.StringList("preprocessing", t.preprocessing, limits::kPreprocessing);
    r.StringList("metrics", t.metrics, limits::kMetrics);
    r.String("resource", t.resource);
    r.Integer("report_every", t.report_every);  // range checked by Validate
  } else if (t.kind == "function") {
    r.String("function", t.function, true);
  } else {
    r.StringList("command", t.command, limits::kCommandArguments);
    r.Number("timeout_seconds", t.timeout_seconds);
  }
  if (r.Has("params")) {
    try {
      t.fixed = ParamsFromJson(r.At("params"));
    } catch (const Error& e) {
      r.Problem("params", e.what());
    }
  }
  return t;
}

std::string_view GoalName(Goal g) {
  return g == Goal::kMaximize ? "maximize" : "minimize";
}

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kFloat:
      return "float";
    case ParamType::kInt:
      return "int";
    case ParamType::kCategorical:
      return "categorical";
  }
  return "float";
}

Json ValuesToJson(const std::vector<ParamValue>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(ToJson(v));
  return out;
}

}  // namespace

Json ToJson(const ParamValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* d = std::get_if<double>(&value)) return *d;
  return std::get<std::string>(value);
}

ParamValue ParamValueFromJson(const Json& j) {
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw Error(ErrorCode::kInvalidArgument, "must be an integer within the 64-bit signed range");
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (!std::isfinite(d)) throw Error(ErrorCode::kInvalidArgument, "must be finite");
    return d;
  }
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
  throw Error(ErrorCode::kInvalidArgument, "must be a number or a string");
}

Json ToJson(const Params& params) {
  Json out = Json::object();
  for (const auto& [name, value] : params) out[name] = ToJson(value);
  return out;
}

Params ParamsFromJson(const Json& j) {
  if (!j.is_object()) throw Error(ErrorCode::kInvalidArgument, "params must be an object");
  Params out;
  for (const auto& item : j.items()) {
    try {
      out[item.key()] = ParamValueFromJson(item.value());
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument, item.key() + ": " + e.what(), item.key());
    }
  }
  return out;
}

Json ToJson(const ParamSpec& p) {
  Json j;
  j["type"] = ParamTypeName(p.type);
  if (p.type == ParamType::kCategorical) {
    j["values"] = ValuesToJson(p.choices);
  } else {
    j["low"] = p.low;
    j["high"] = p.high;
    if (p.log) j["log"] = true;
    if (p.step > 0) j["step"] = p.step;
    if (p.grid_points > 0) j["grid_points"] = p.grid_points;
    if (!p.values.empty()) j["values"] = ValuesToJson(p.values);
  }
  if (p.when) {
    j["when"] = Json::object();
    j["when"][p.when->parent] = ValuesToJson(p.when->values);
  }
  return j;
}

Json ToJson(const SearchSpace& space) {
  Json j = Json::object();
  for (const auto& p : space.params()) j[p.name] = ToJson(p);
  return j;
}

Json ToJson(const TrainingSpec& t) {
  Json j;
  j["kind"] = t.kind;
  if (t.kind == "cv") {
    j["dataset"] = t.dataset;
    j["target"] = t.target;
    j["task"] = t.task == Task::kClassification ? "classification"
                : t.task == Task::kRegression   ? "regression"
                                                : "clustering";
    j["model"] = t.model;
    j["folds"] = t.folds;
    j["stratified"] = t.stratified;
    j["repeats"] = t.repeats;
    j["shuffle_seed"] = t.shuffle_seed;
    if (!t.fold_column.empty()) j["fold_column"] = t.fold_column;
    if (!t.features.empty()) j["features"] = t.features;
    if (!t.categorical.empty()) j["categorical"] = t.categorical;
    if (!t.impute.empty()) j["impute"] = t.impute;
    j["preprocessing"] = t.preprocessing;
    j["metrics"] = t.metrics;
    if (!t.resource.empty()) {
      j["resource"] = t.resource;
      j["report_every"] = t.report_every;
    }
  } else if (t.kind == "function") {
    j["function"] = t.function;
  } else {
    j["command"] = t.command;
    j["timeout_seconds"] = t.timeout_seconds;
  }
  if (!t.fixed.empty()) j["params"] = ToJson(t.fixed);
  return j;
}

Json ToJson(const ExperimentSpec& s) {
  Json j;
  j["name"] = s.name;
  j["objective"] = {{"metric", s.objective.metric}, {"goal", GoalName(s.objective.goal)}};
  j["tuner"] = {{"name", s.tuner.name}, {"seed", s.tuner.seed}};
  if (!s.tuner.options.empty()) j["tuner"]["options"] = s.tuner.options;
  if (!s.pruner.name.empty()) {
    j["pruner"] = {{"name", s.pruner.name}};
    if (!s.pruner.options.empty()) j["pruner"]["options"] = s.pruner.options;
  }
  j["max_trials"] = s.max_trials;
  j["parallelism"] = s.parallelism;
  j["max_attempts"] = s.max_attempts;
  j["max_failed_trials"] = s.max_failed_trials;
  j["space"] = ToJson(s.space);
  j["training"] = ToJson(s.training);
  return j;
}

TrainingSpec TrainingFromJson(const Json& j) {
  std::vector<FieldProblem> problems;
  CheckDocument(j, "training", 1, problems);
  if (!problems.empty()) throw ValidationError(std::move(problems));
  TrainingSpec t = TrainingFromReader(j, problems);
  if (!problems.empty()) throw ValidationError(std::move(problems));
  return t;
}

ExperimentSpec SpecFromJson(const Json& j) {
  std::vector<FieldProblem> problems;
  ExperimentSpec s;
  Reader r(j, "", problems);
  if (!r.ok())
    throw ValidationError(std::vector<FieldProblem>{{"", "the spec must be a JSON object"}});
  std::vector<FieldProblem> document;
  CheckDocument(j, "", 0, document);
  r.AllowOnly({"name", "objective", "tuner", "pruner", "max_trials", "parallelism", "max_attempts",
               "space", "training", "max_failed_trials"});
  r.String("name", s.name, true);
  if (r.Has("objective")) {
    Reader o(r.At("objective"), "objective", problems);
    if (o.ok()) {
      o.AllowOnly({"metric", "goal"});
      o.String("metric", s.objective.metric, true);
      s.objective.goal =
          MetricIsGreaterBetter(s.objective.metric) ? Goal::kMaximize : Goal::kMinimize;
      if (o.Has("goal")) {
        std::string goal;
        o.String("goal", goal);
        if (goal == "maximize") {
          s.objective.goal = Goal::kMaximize;
        } else if (goal == "minimize") {
          s.objective.goal = Goal::kMinimize;
        } else if (o.At("goal").is_string()) {  // "" too: a typo must not pick a direction
          o.Problem("goal", "must be maximize or minimize");
        }
      }
    }
  } else {
    r.Problem("objective", "is required");
  }
  if (r.Has("tuner")) {
    Reader t(r.At("tuner"), "tuner", problems);
    if (t.ok()) {
      t.AllowOnly({"name", "seed", "options"});
      t.String("name", s.tuner.name);
      t.Integer("seed", s.tuner.seed);
      if (t.Has("options")) {
        const Json& opts = t.At("options");
        if (!opts.is_object()) {
          t.Problem("options", "must be an object of numbers");
        } else if (opts.size() > limits::kTunerOptions) {
          t.Problem("options",
                    "must have at most " + std::to_string(limits::kTunerOptions) + " entries");
        } else {
          for (const auto& item : opts.items()) {
            if (!item.value().is_number())
              t.Problem("options." + item.key(), "must be a number");
            else
              s.tuner.options[item.key()] = item.value().get<double>();
          }
        }
      }
    }
  }
  if (r.Has("pruner")) {
    // pruner: {name: asha, min_resource: 1} or {name: asha, options: {min_resource: 1}}.
    Reader p(r.At("pruner"), "pruner", problems);
    if (p.ok()) {
      p.String("name", s.pruner.name, true);
      const auto option = [&](const std::string& key, const Json& value) {
        if (!value.is_number())
          p.Problem(key, "must be a number");
        else if (s.pruner.options.size() >= limits::kTunerOptions)
          p.Problem(key,
                    "too many options (at most " + std::to_string(limits::kTunerOptions) + ")");
        else
          s.pruner.options[key] = value.get<double>();
      };
      for (const auto& item : r.At("pruner").items()) {
        if (item.key() == "name") continue;
        if (item.key() != "options") {
          option(item.key(), item.value());
        } else if (!item.value().is_object()) {
          p.Problem("options", "must be an object of numbers");
        } else {
          for (const auto& o : item.value().items()) option(o.key(), o.value());
        }
      }
    }
  }
  r.Integer("max_trials", s.max_trials, false, 1, limits::kMaxTrials);
  r.Integer("parallelism", s.parallelism, false, 1, limits::kMaxParallelism);
  r.Integer("max_attempts", s.max_attempts, false, 1, limits::kMaxAttempts);
  r.Integer("max_failed_trials", s.max_failed_trials, false, 0, limits::kMaxTrials);
  if (r.Has("space")) {
    const Json& sp = r.At("space");
    if (!sp.is_object()) {
      r.Problem("space", "must be an object of parameters");
    } else if (sp.size() > limits::kParameters) {
      r.Problem("space",
                "must have at most " + std::to_string(limits::kParameters) + " parameters");
    } else {
      std::vector<ParamSpec> params;
      for (const auto& item : sp.items())
        params.push_back(ParamFromJson(item.key(), item.value(), problems));
      s.space = SearchSpace(std::move(params));
    }
  } else {
    r.Problem("space", "is required");
  }
  if (r.Has("training")) {
    s.training = TrainingFromReader(r.At("training"), problems);
  } else {
    r.Problem("training", "is required");
  }
  // Semantic checks only on fields that decoded; skip the ones already reported.
  AppendUnreported(problems, Validate(s));
  if (!problems.empty()) {
    std::vector<FieldProblem> all = std::move(document);
    AppendUnreported(all, std::move(problems));
    // A spec with thousands of bad entries is answered with the first ones.
    constexpr std::size_t kMaxReported = 100;
    if (all.size() > kMaxReported) {
      const std::size_t more = all.size() - kMaxReported;
      all.resize(kMaxReported);
      all.push_back({"", "and " + std::to_string(more) + " more problems"});
    }
    throw ValidationError(std::move(all));
  }
  if (!document.empty()) throw ValidationError(std::move(document));
  return s;
}

Json ToJson(const StepScores& s) {
  return {{"step", s.step}, {"values", s.values}};
}

StepScores StepScoresFromJson(const Json& j) {
  StepScores s;
  s.step = j.at("step").get<int>();
  s.values = j.at("values").get<std::map<std::string, double>>();
  return s;
}

std::string_view TrialStateName(TrialState state) {
  switch (state) {
    case TrialState::kQueued:
      return "queued";
    case TrialState::kRunning:
      return "running";
    case TrialState::kCompleted:
      return "completed";
    case TrialState::kFailed:
      return "failed";
    case TrialState::kPruned:
      return "pruned";
  }
  return "queued";
}

TrialState TrialStateFromName(std::string_view name) {
  for (auto s : {TrialState::kQueued, TrialState::kRunning, TrialState::kCompleted,
                 TrialState::kFailed, TrialState::kPruned})
    if (TrialStateName(s) == name) return s;
  throw Error(ErrorCode::kInvalidArgument, "unknown trial state \"" + std::string(name) + "\"");
}

std::string_view ExperimentStateName(ExperimentState state) {
  switch (state) {
    case ExperimentState::kRunning:
      return "running";
    case ExperimentState::kPaused:
      return "paused";
    case ExperimentState::kCompleted:
      return "completed";
    case ExperimentState::kStopped:
      return "stopped";
    case ExperimentState::kFailed:
      return "failed";
  }
  return "running";
}

ExperimentState ExperimentStateFromName(std::string_view name) {
  for (auto s : {ExperimentState::kRunning, ExperimentState::kPaused, ExperimentState::kCompleted,
                 ExperimentState::kStopped, ExperimentState::kFailed})
    if (ExperimentStateName(s) == name) return s;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown experiment state \"" + std::string(name) + "\"");
}

Json ToJson(const Trial& t) {
  Json j;
  j["id"] = t.id;
  j["experiment_id"] = t.experiment_id;
  j["number"] = t.number;
  j["params"] = ToJson(t.params);
  j["state"] = TrialStateName(t.state);
  j["attempt"] = t.attempt;
  j["worker"] = t.worker;
  j["value"] = t.value ? Json(*t.value) : Json();
  j["metrics"] = t.metrics;
  j["steps"] = Json::array();
  for (const auto& s : t.steps) j["steps"].push_back(ToJson(s));
  j["error"] = t.error;
  j["created_at"] = t.created_at;
  j["started_at"] = t.started_at;
  j["finished_at"] = t.finished_at;
  return j;
}

Trial TrialFromJson(const Json& j) {
  Trial t;
  t.id = j.at("id").get<std::int64_t>();
  t.experiment_id = j.value("experiment_id", std::int64_t{0});
  t.number = j.value("number", 0);
  t.params = ParamsFromJson(j.at("params"));
  t.state = TrialStateFromName(j.at("state").get<std::string>());
  t.attempt = j.value("attempt", 1);
  t.worker = j.value("worker", "");
  if (j.contains("value") && j["value"].is_number()) t.value = j["value"].get<double>();
  if (j.contains("metrics")) t.metrics = j["metrics"].get<std::map<std::string, double>>();
  if (j.contains("steps"))
    for (const auto& s : j["steps"]) t.steps.push_back(StepScoresFromJson(s));
  t.error = j.value("error", "");
  t.created_at = j.value("created_at", "");
  t.started_at = j.value("started_at", "");
  t.finished_at = j.value("finished_at", "");
  return t;
}

Json ToJson(const TrialCounts& c) {
  return {{"queued", c.queued}, {"running", c.running}, {"completed", c.completed},
          {"failed", c.failed}, {"pruned", c.pruned},   {"total", c.total()}};
}

Json ToJson(const Experiment& e) {
  Json j;
  j["id"] = e.id;
  j["name"] = e.spec.name;
  j["state"] = ExperimentStateName(e.state);
  j["spec"] = ToJson(e.spec);
  j["trials"] = ToJson(e.counts);
  j["best"] = e.best ? ToJson(*e.best) : Json();
  j["created_at"] = e.created_at;
  j["finished_at"] = e.finished_at;
  j["error"] = e.error;
  if (!e.waiting.empty()) j["waiting"] = e.waiting;
  return j;
}

Experiment ExperimentFromJson(const Json& j) {
  Experiment e;
  e.id = j.at("id").get<std::int64_t>();
  e.spec = SpecFromJson(j.at("spec"));
  e.state = ExperimentStateFromName(j.at("state").get<std::string>());
  const Json& c = j.at("trials");
  e.counts.queued = c.value("queued", 0);
  e.counts.running = c.value("running", 0);
  e.counts.completed = c.value("completed", 0);
  e.counts.failed = c.value("failed", 0);
  e.counts.pruned = c.value("pruned", 0);
  if (j.contains("best") && j["best"].is_object()) e.best = TrialFromJson(j["best"]);
  e.created_at = j.value("created_at", "");
  e.finished_at = j.value("finished_at", "");
  e.error = j.value("error", "");
  e.waiting = j.value("waiting", "");
  return e;
}

namespace {

// Builds the document like Json::parse, and knows the path of the value being read, so that a
// number beyond the range of a double (1e400, a 400-digit integer; nlohmann stops with
// out_of_range 406) is reported at its field instead of as a bare parse failure.
class PathTrackingSax : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  using Base = nlohmann::detail::json_sax_dom_parser<Json>;
  explicit PathTrackingSax(Json& root) : Base(root, /*allow_exceptions=*/false) {}

  bool null() { return Value() && Base::null(); }
  bool boolean(bool v) { return Value() && Base::boolean(v); }
  bool number_integer(Json::number_integer_t v) { return Value() && Base::number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Value() && Base::number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& s) {
    return Value() && Base::number_float(v, s);
  }
  bool string(std::string& v) { return Value() && Base::string(v); }
  bool binary(Json::binary_t& v) { return Value() && Base::binary(v); }
  bool start_object(std::size_t n) {
    Value();
    frames_.push_back({false, 0, {}});
    return Base::start_object(n);
  }
  bool key(std::string& k) {
    frames_.back().key = k;
    return Base::key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return Base::end_object();
  }
  bool start_array(std::size_t n) {
    Value();
    frames_.push_back({true, 0, {}});
    return Base::start_array(n);
  }
  bool end_array() {
    frames_.pop_back();
    return Base::end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    if (e.id == 406) {
      // The failing value has not been counted yet: point at the element it would have been.
      if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
      overflow_ = Path();
    }
    message_ = e.what();
    return Base::parse_error(position, token, e);
  }

  const std::optional<std::string>& overflow() const { return overflow_; }
  const std::string& message() const { return message_; }

 private:
  struct Frame {
    bool array;
    std::size_t index;  // of the next element, counted from 1 (0: none yet)
    std::string key;
  };
  // Called before each value: in an array, it is the next element.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  std::string Path() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.array) {
        out += "[" + std::to_string(f.index == 0 ? 0 : f.index - 1) + "]";
      } else {
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out;
  }

  std::vector<Frame> frames_;
  std::optional<std::string> overflow_;
  std::string message_;
};

}  // namespace

Json ParseJson(const std::string& text) {
  Json out;
  PathTrackingSax sax(out);
  const bool ok = Json::sax_parse(text, &sax);
  if (ok && !sax.is_errored()) return out;
  if (sax.overflow())
    throw ValidationError(
        {{*sax.overflow(), "must be a finite number within the range of a double"}});
  throw Error(ErrorCode::kInvalidArgument, "malformed JSON: " + sax.message());
}

ExperimentSpec LoadSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot read spec file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') return SpecFromJson(ParseJson(text));
  return SpecFromJson(YamlToJson(text));
}

}  // namespace krige
