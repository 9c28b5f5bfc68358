#include "krige/spec.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "krige/limits.hpp"
#include "krige/sha256.hpp"

namespace krige {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& ClassificationMetrics() {
  // f1/precision/recall: binary for two classes, else macro; the suffixed names average as
  // scikit-learn's scorers of the same name.
  static const std::vector<std::string> kNames = {"accuracy",
                                                  "balanced_accuracy",
                                                  "f1",
                                                  "precision",
                                                  "recall",
                                                  "roc_auc",
                                                  "log_loss",
                                                  "f1_macro",
                                                  "f1_micro",
                                                  "f1_weighted",
                                                  "precision_macro",
                                                  "precision_micro",
                                                  "precision_weighted",
                                                  "recall_macro",
                                                  "recall_micro",
                                                  "recall_weighted"};
  return kNames;
}

const std::vector<std::string>& RegressionMetrics() {
  static const std::vector<std::string> kNames = {"rmse", "mae", "r2"};
  return kNames;
}

const std::vector<std::string>& ClusteringMetrics() {
  static const std::vector<std::string> kNames = {"silhouette", "inertia"};
  return kNames;
}

const std::vector<std::string>& KnownTuners() {
  static const std::vector<std::string> kNames = {"grid", "random", "sobol", "gp",
                                                  "tpe",  "cmaes",  "auto"};
  return kNames;
}

const std::vector<std::string>& KnownPreprocessing() {
  static const std::vector<std::string> kNames = {"standardize", "minmax", "none"};
  return kNames;
}

// Reports `text` at `field` unless it is storable text of at most `max_bytes`.
void CheckText(std::vector<FieldProblem>& out, const std::string& field, const std::string& text,
               std::size_t max_bytes) {
  std::string problem = TextProblem(text, max_bytes);
  if (!problem.empty()) out.push_back({field, std::move(problem)});
}

// Reports a list longer than `max_size`; true when it is within (its entries can be checked).
bool CheckSize(std::vector<FieldProblem>& out, const std::string& field, std::size_t size,
               std::size_t max_size) {
  if (size <= max_size) return true;
  out.push_back({field, "must have at most " + std::to_string(max_size) + " entries"});
  return false;
}

void CheckValue(std::vector<FieldProblem>& out, const std::string& field, const ParamValue& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) out.push_back({field, "must be a finite number"});
  } else if (const auto* text = std::get_if<std::string>(&v)) {
    CheckText(out, field, *text, limits::kStringBytes);
  }
}

// The largest magnitude a tuner option may have. The GP's costs grow with these (candidates
// scored per suggestion, points in the cubic fit, optimiser restarts), so they get tighter
// bounds than the generic one.
double TunerOptionBound(const std::string& tuner, const std::string& key) {
  if (tuner == "gp") {
    if (key == "candidates") return 65536;
    if (key == "max_fit_points") return 2000;
    if (key == "fit_restarts") return 100;
  }
  return limits::kTunerOptionMagnitude;
}

std::string List(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void ValidateParam(const ParamSpec& p, const SearchSpace& space, std::vector<FieldProblem>& out) {
  const std::string path = "space." + p.name;
  auto problem = [&](const std::string& field, std::string message) {
    out.push_back({path + (field.empty() ? "" : "." + field), std::move(message)});
  };
  if (p.name.empty()) problem("", "parameter names must not be empty");
  if (const std::string bad = TextProblem(p.name, limits::kNameBytes); !bad.empty())
    problem("", "the name " + bad);
  if (p.type == ParamType::kFloat || p.type == ParamType::kInt) {
    if (!std::isfinite(p.low)) problem("low", "must be a finite number");
    if (!std::isfinite(p.high)) problem("high", "must be a finite number");
    if (p.type == ParamType::kFloat && !std::isfinite(p.high - p.low))
      problem("high", "high - low must be a finite number");
    if (p.type == ParamType::kInt) {
      // Beyond 2^53 a double no longer holds every integer, and tuners round through doubles.
      if (std::fabs(p.low) > limits::kIntMagnitude) problem("low", "must be within +-2^53");
      if (std::fabs(p.high) > limits::kIntMagnitude) problem("high", "must be within +-2^53");
    }
    if (!std::isfinite(p.step)) problem("step", "must be a finite number");
    if (p.type == ParamType::kInt && std::fabs(p.step) > limits::kIntMagnitude)
      problem("step", "must be within 2^53");
    if (p.type == ParamType::kFloat && !(p.low < p.high)) problem("high", "must be > low");
    if (p.type == ParamType::kInt && !(p.low <= p.high)) problem("high", "must be >= low");
    if (p.type == ParamType::kInt && (p.low != std::floor(p.low) || p.high != std::floor(p.high)))
      problem("low", "int bounds must be integers");
    if (p.log && !(p.low > 0)) problem("low", "must be > 0 for log scale");
    if (p.step < 0) problem("step", "must be > 0");
    if (p.type == ParamType::kInt && p.step != 0 && p.step != std::floor(p.step))
      problem("step", "must be an integer for an int parameter");
    if (p.log && p.step > 0 && p.type == ParamType::kFloat)
      problem("step", "cannot be combined with log scale");
    if (p.grid_points < 0 || p.grid_points == 1) problem("grid_points", "must be >= 2");
    if (p.grid_points > limits::kGridPoints)
      problem("grid_points", "must be at most " + std::to_string(limits::kGridPoints));
    if (!CheckSize(out, path + ".values", p.values.size(), limits::kGridValues)) return;
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      if (!IsNumeric(p.values[i]) || !std::isfinite(AsDouble(p.values[i]))) {
        problem("values[" + std::to_string(i) + "]", "must be a number");
      } else if (AsDouble(p.values[i]) < p.low || AsDouble(p.values[i]) > p.high) {
        problem("values[" + std::to_string(i) + "]", "must lie within [low, high]");
      }
    }
  } else {
    if (p.choices.empty()) problem("values", "a categorical parameter needs at least one value");
    if (!CheckSize(out, path + ".values", p.choices.size(), limits::kCategoricalValues)) return;
    // One ordered set: linear in the number of values up to a log factor. std::variant's < and
    // == agree (an int 1 and a float 1.0 are distinct values, as before).
    std::set<ParamValue> seen;
    for (std::size_t i = 0; i < p.choices.size(); ++i) {
      const std::string field = "values[" + std::to_string(i) + "]";
      CheckValue(out, path + "." + field, p.choices[i]);
      if (!seen.insert(p.choices[i]).second)
        problem(field, "duplicate value " + ToString(p.choices[i]));
    }
  }
  if (p.when) {
    const ParamSpec* parent = space.Find(p.when->parent);
    if (p.when->parent == p.name) {
      problem("when", "a parameter cannot depend on itself");
    } else if (!parent) {
      problem("when", "unknown parent parameter \"" + p.when->parent + "\"");
    } else if (parent->type != ParamType::kCategorical) {
      problem("when", "the parent \"" + p.when->parent + "\" must be categorical");
    } else {
      if (p.when->values.empty()) problem("when", "needs at least one parent value");
      if (!CheckSize(out, path + ".when", p.when->values.size(), limits::kCategoricalValues))
        return;
      const std::set<ParamValue> choices(parent->choices.begin(), parent->choices.end());
      for (const auto& v : p.when->values)
        if (!choices.count(v))
          problem("when", ToString(v) + " is not a value of \"" + p.when->parent + "\"");
      // Cycles: walk up the parents.
      const ParamSpec* cur = parent;
      for (std::size_t depth = 0; cur && cur->when; ++depth) {
        if (cur->when->parent == p.name || depth > space.size()) {
          problem("when", "conditions form a cycle");
          break;
        }
        cur = space.Find(cur->when->parent);
      }
    }
  }
}

}  // namespace

namespace {

struct ModelEntry {
  std::string name;
  std::vector<std::string> hyperparameters;
};

// Every built-in model and the hyperparameters its trainer reads (worker/training/src/models;
// HyperParameters refuses to read a name that is not here, and the model contract test reads
// every name listed).
const std::vector<ModelEntry>& ModelTable() {
  static const std::vector<ModelEntry> kTable = [] {
    const std::vector<std::string> xgboost = {
        "n_estimators",     "max_depth",        "learning_rate", "subsample", "colsample_bytree",
        "colsample_bynode", "min_child_weight", "reg_lambda",    "reg_alpha", "gamma",
        "tree_method"};
    const std::vector<std::string> kernel = {"C",     "kernel", "gamma",    "degree",
                                             "coef0", "tol",    "shrinking"};
    auto svc = kernel, svr = kernel;
    svc.insert(svc.end(), {"probability", "class_weight"});
    svr.push_back("epsilon");
    return std::vector<ModelEntry>{
        {"logistic_regression",
         {"C", "penalty", "tol", "fit_intercept", "intercept_scaling", "class_weight"}},
        {"ridge", {"alpha", "fit_intercept"}},
        {"svc", svc},
        {"svr", svr},
        {"linear_svc",
         {"C", "penalty", "loss", "dual", "tol", "fit_intercept", "intercept_scaling",
          "class_weight"}},
        {"lasso", {"alpha", "max_iter", "tol", "fit_intercept"}},
        {"elastic_net", {"l1_ratio", "alpha", "max_iter", "tol", "fit_intercept"}},
        {"knn", {"n_neighbors", "weights", "p"}},
        {"xgboost", xgboost},
        {"random_forest", xgboost},
        {"kmeans", {"n_clusters", "n_init", "max_iter", "tol"}},
    };
  }();
  return kTable;
}

}  // namespace

const std::vector<std::string>& KnownModels() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& m : ModelTable()) names.push_back(m.name);
    return names;
  }();
  return kNames;
}

const std::vector<std::string>* ModelHyperparameters(const std::string& model) {
  for (const auto& m : ModelTable())
    if (m.name == model) return &m.hyperparameters;
  return nullptr;
}

const std::vector<std::string>& KnownMetrics() {
  static const std::vector<std::string> kNames = [] {
    auto all = ClassificationMetrics();
    for (const auto& m : RegressionMetrics()) all.push_back(m);
    for (const auto& m : ClusteringMetrics()) all.push_back(m);
    return all;
  }();
  return kNames;
}

bool MetricIsGreaterBetter(const std::string& metric) {
  return !(metric == "rmse" || metric == "mae" || metric == "log_loss" || metric == "loss" ||
           metric == "inertia");
}

std::vector<FieldProblem> CheckModelHyperparameters(const ExperimentSpec& spec) {
  std::vector<FieldProblem> out;
  const TrainingSpec& t = spec.training;
  const auto* known = t.kind == "cv" ? ModelHyperparameters(t.model) : nullptr;
  if (!known) return out;
  const auto unknown = [&](const std::string& field, const std::string& name) {
    if (name.size() > limits::kNameBytes || Contains(*known, name)) return;
    out.push_back(
        {field, t.model + " has no hyperparameter '" + name + "' (it has " + List(*known) + ")"});
  };
  for (std::size_t i = 0; i < spec.space.size() && i < limits::kParameters; ++i)
    unknown("space." + spec.space.params()[i].name, spec.space.params()[i].name);
  if (t.fixed.size() <= limits::kFixedParams)
    for (const auto& [key, value] : t.fixed) unknown("training.params." + key, key);
  return out;
}

std::vector<FieldProblem> Validate(const ExperimentSpec& spec) {
  std::vector<FieldProblem> out;
  if (spec.name.empty()) out.push_back({"name", "must not be empty"});
  CheckText(out, "name", spec.name, limits::kNameBytes);
  if (spec.objective.metric.empty()) out.push_back({"objective.metric", "must not be empty"});
  CheckText(out, "objective.metric", spec.objective.metric, limits::kNameBytes);
  if (!Contains(KnownTuners(), spec.tuner.name))
    out.push_back({"tuner.name", "unknown tuner \"" + spec.tuner.name.substr(0, 64) +
                                     "\" (known: " + List(KnownTuners()) + ")"});
  if (CheckSize(out, "tuner.options", spec.tuner.options.size(), limits::kTunerOptions)) {
    for (const auto& [key, value] : spec.tuner.options) {
      const std::string field = "tuner.options." + key;
      CheckText(out, field, key, limits::kNameBytes);
      const double bound = TunerOptionBound(spec.tuner.name, key);
      if (!std::isfinite(value) || std::fabs(value) > bound)
        out.push_back({field, "must be a number within +-" + ToString(ParamValue(bound))});
    }
  }
  {
    // A full trial reports one step per fold (folds x repeats) when the folds are known and
    // within their bounds (out-of-bounds folds or repeats are reported below; their product
    // could overflow).
    const TrainingSpec& t = spec.training;
    const bool known = t.kind == "cv" && t.fold_column.empty() && t.resource.empty() &&
                       t.folds >= limits::kMinFolds && t.folds <= limits::kMaxFolds &&
                       t.repeats >= 1 && t.repeats <= limits::kMaxRepeats;
    const int steps = known ? t.folds * t.repeats : 0;
    for (auto& problem : ValidatePruner(spec.pruner, steps)) out.push_back(std::move(problem));
  }
  const auto between = [](int low, int high) {
    return "must be between " + std::to_string(low) + " and " + std::to_string(high);
  };
  if (spec.max_trials < 1 || spec.max_trials > limits::kMaxTrials)
    out.push_back({"max_trials", between(1, limits::kMaxTrials)});
  if (spec.parallelism < 1 || spec.parallelism > limits::kMaxParallelism)
    out.push_back({"parallelism", between(1, limits::kMaxParallelism)});
  if (spec.max_attempts < 1 || spec.max_attempts > limits::kMaxAttempts)
    out.push_back({"max_attempts", between(1, limits::kMaxAttempts)});
  if (spec.max_failed_trials < 0 || spec.max_failed_trials > limits::kMaxTrials)
    out.push_back({"max_failed_trials", between(0, limits::kMaxTrials) + " (0: never)"});

  if (spec.space.empty()) out.push_back({"space", "must define at least one parameter"});
  if (spec.space.size() > limits::kParameters)
    out.push_back(
        {"space", "must have at most " + std::to_string(limits::kParameters) + " parameters"});
  std::set<std::string> seen;
  for (std::size_t i = 0; i < spec.space.size() && i < limits::kParameters; ++i) {
    const ParamSpec& p = spec.space.params()[i];
    if (!seen.insert(p.name).second) out.push_back({"space." + p.name, "defined twice"});
    ValidateParam(p, spec.space, out);
  }

  const TrainingSpec& t = spec.training;
  if (CheckSize(out, "training.params", t.fixed.size(), limits::kFixedParams)) {
    for (const auto& [key, value] : t.fixed) {
      CheckText(out, "training.params." + key, key, limits::kNameBytes);
      CheckValue(out, "training.params." + key, value);
    }
  }
  const auto check_names = [&out](const std::string& field, const std::vector<std::string>& names,
                                  std::size_t max_size) {
    if (!CheckSize(out, field, names.size(), max_size)) return false;
    for (std::size_t i = 0; i < names.size(); ++i)
      CheckText(out, field + "[" + std::to_string(i) + "]", names[i], limits::kNameBytes);
    return true;
  };
  if (t.kind == "cv") {
    if (t.dataset.empty()) out.push_back({"training.dataset", "must name a dataset"});
    CheckText(out, "training.dataset", t.dataset, limits::kStringBytes);
    if (t.dataset.rfind("name:", 0) == 0)
      CheckText(out, "training.dataset", t.dataset.substr(5), limits::kNameBytes);
    CheckText(out, "training.target", t.target, limits::kNameBytes);
    CheckText(out, "training.fold_column", t.fold_column, limits::kNameBytes);
    const bool features_ok = check_names("training.features", t.features, limits::kColumns);
    check_names("training.categorical", t.categorical, limits::kColumns);
    const bool metrics_ok = check_names("training.metrics", t.metrics, limits::kMetrics);
    const bool steps_ok =
        check_names("training.preprocessing", t.preprocessing, limits::kPreprocessing);
    if (t.dataset.rfind("sha256:", 0) == 0 && !IsSha256Hex(t.dataset.substr(7)))
      out.push_back({"training.dataset", "sha256: must be followed by 64 lower-case hex digits"});
    if (t.dataset == "name:") out.push_back({"training.dataset", "name: must name a dataset"});
    if (t.target.empty()) out.push_back({"training.target", "must name the target column"});
    if (!Contains(KnownModels(), t.model))
      out.push_back({"training.model", "unknown model \"" + t.model.substr(0, 64) +
                                           "\" (known: " + List(KnownModels()) + ")"});
    if (t.folds < limits::kMinFolds || t.folds > limits::kMaxFolds)
      out.push_back({"training.folds", between(limits::kMinFolds, limits::kMaxFolds)});
    if (!t.resource.empty() && t.resource != "n_estimators")
      out.push_back({"training.resource", "must be n_estimators (or absent)"});
    if (t.resource == "n_estimators" && t.model != "xgboost")
      out.push_back({"training.resource", "n_estimators is a resource of xgboost only"});
    if (t.report_every < 1 || t.report_every > 100000)
      out.push_back({"training.report_every", between(1, 100000)});
    if (t.repeats < 1 || t.repeats > limits::kMaxRepeats)
      out.push_back({"training.repeats", between(1, limits::kMaxRepeats)});
    if (!t.fold_column.empty() && t.fold_column == t.target)
      out.push_back({"training.fold_column", "must differ from the target column"});
    if (!t.impute.empty() && t.impute != "mean" && t.impute != "median" &&
        t.impute != "most_frequent")
      out.push_back({"training.impute", "must be mean, median or most_frequent"});
    for (std::size_t i = 0; features_ok && i < t.features.size(); ++i)
      if (t.features[i] == t.target || t.features[i] == t.fold_column)
        out.push_back({"training.features[" + std::to_string(i) + "]",
                       "\"" + t.features[i] + "\" is the " +
                           (t.features[i] == t.target ? "target" : "fold") + " column"});
    if (!t.fold_column.empty() && t.repeats != 1)
      out.push_back({"training.repeats", "must be 1 with a fold_column (the folds are fixed)"});
    const auto& task_metrics = t.task == Task::kClassification ? ClassificationMetrics()
                               : t.task == Task::kRegression   ? RegressionMetrics()
                                                               : ClusteringMetrics();
    const std::string task_name = t.task == Task::kClassification ? "classification"
                                  : t.task == Task::kRegression   ? "regression"
                                                                  : "clustering";
    for (std::size_t i = 0; metrics_ok && i < t.metrics.size(); ++i)
      if (!Contains(task_metrics, t.metrics[i]))
        out.push_back({"training.metrics[" + std::to_string(i) + "]",
                       "\"" + t.metrics[i] + "\" is not a " + task_name +
                           " metric (known: " + List(task_metrics) + ")"});
    if (!spec.objective.metric.empty() && !Contains(task_metrics, spec.objective.metric))
      out.push_back({"objective.metric", "\"" + spec.objective.metric + "\" is not a " + task_name +
                                             " metric (known: " + List(task_metrics) + ")"});
    for (std::size_t i = 0; steps_ok && i < t.preprocessing.size(); ++i)
      if (!Contains(KnownPreprocessing(), t.preprocessing[i]))
        out.push_back({"training.preprocessing[" + std::to_string(i) + "]",
                       "unknown step \"" + t.preprocessing[i] +
                           "\" (known: " + List(KnownPreprocessing()) + ")"});
    static const std::vector<std::string> kRegressionOnly = {"ridge", "svr", "lasso",
                                                             "elastic_net"};
    static const std::vector<std::string> kClassificationOnly = {"logistic_regression", "svc",
                                                                 "linear_svc"};
    if (Contains(kRegressionOnly, t.model) && t.task != Task::kRegression)
      out.push_back({"training.task", t.model + " is a regression model"});
    if (Contains(kClassificationOnly, t.model) && t.task != Task::kClassification)
      out.push_back({"training.task", t.model + " is a classification model"});
    if ((t.model == "kmeans") != (t.task == Task::kClustering) && Contains(KnownModels(), t.model))
      out.push_back({"training.task", t.model == "kmeans"
                                          ? "kmeans is a clustering model"
                                          : t.model + " is not a clustering model"});
  } else if (t.kind == "command") {
    if (t.command.empty() || t.command.front().empty())
      out.push_back({"training.command", "must name a program to run"});
    if (CheckSize(out, "training.command", t.command.size(), limits::kCommandArguments))
      for (std::size_t i = 0; i < t.command.size(); ++i)
        CheckText(out, "training.command[" + std::to_string(i) + "]", t.command[i],
                  limits::kStringBytes);
    // 0 is "no limit" (the default, and what stored specs say when none was given).
    if (!(t.timeout_seconds >= 0 && t.timeout_seconds <= limits::kMaxTimeoutSeconds))
      out.push_back({"training.timeout_seconds",
                     "must be a number of seconds > 0 and at most 604800 (7 days); 0 or absent "
                     "means no limit"});
  } else if (t.kind == "function") {
    if (t.function.empty() || t.function.size() > limits::kFunctionNameBytes ||
        !std::all_of(t.function.begin(), t.function.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        }))
      out.push_back(
          {"training.function", "must be the name a worker registered its objective under: 1 to " +
                                    std::to_string(limits::kFunctionNameBytes) +
                                    " letters, digits, '_', '-' or '.'"});
  } else {
    out.push_back({"training.kind", "must be \"cv\", \"command\" or \"function\""});
  }
  return out;
}

std::string ServedKind(const TrainingSpec& training) {
  return training.kind == "function" ? "function:" + training.function : training.kind;
}

}  // namespace krige
