#include "krige/spec.hpp"

#include <algorithm>
#include <cmath>
#include <set>

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
  static const std::vector<std::string> kNames = {"grid", "random", "sobol", "gp"};
  return kNames;
}

const std::vector<std::string>& KnownPreprocessing() {
  static const std::vector<std::string> kNames = {"standardize", "minmax", "none"};
  return kNames;
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
  if (p.type == ParamType::kFloat || p.type == ParamType::kInt) {
    if (!std::isfinite(p.low)) problem("low", "must be a finite number");
    if (!std::isfinite(p.high)) problem("high", "must be a finite number");
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
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      if (!IsNumeric(p.values[i])) {
        problem("values[" + std::to_string(i) + "]", "must be a number");
      } else if (AsDouble(p.values[i]) < p.low || AsDouble(p.values[i]) > p.high) {
        problem("values[" + std::to_string(i) + "]", "must lie within [low, high]");
      }
    }
  } else {
    if (p.choices.empty()) problem("values", "a categorical parameter needs at least one value");
    for (std::size_t i = 0; i < p.choices.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (p.choices[i] == p.choices[j])
          problem("values[" + std::to_string(i) + "]", "duplicate value " + ToString(p.choices[i]));
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
      for (const auto& v : p.when->values)
        if (std::find(parent->choices.begin(), parent->choices.end(), v) == parent->choices.end())
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

const std::vector<std::string>& KnownModels() {
  static const std::vector<std::string> kNames = {
      "logistic_regression", "ridge", "svc",     "svr",           "linear_svc", "lasso",
      "elastic_net",         "knn",   "xgboost", "random_forest", "kmeans"};
  return kNames;
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

std::vector<FieldProblem> Validate(const ExperimentSpec& spec) {
  std::vector<FieldProblem> out;
  if (spec.name.empty()) out.push_back({"name", "must not be empty"});
  if (spec.name.size() > 200) out.push_back({"name", "must be at most 200 characters"});
  if (spec.objective.metric.empty()) out.push_back({"objective.metric", "must not be empty"});
  if (!Contains(KnownTuners(), spec.tuner.name))
    out.push_back({"tuner.name", "unknown tuner \"" + spec.tuner.name +
                                     "\" (known: " + List(KnownTuners()) + ")"});
  if (spec.max_trials < 1 || spec.max_trials > 1000000)
    out.push_back({"max_trials", "must be between 1 and 1000000"});
  if (spec.parallelism < 1 || spec.parallelism > 4096)
    out.push_back({"parallelism", "must be between 1 and 4096"});
  if (spec.max_attempts < 1 || spec.max_attempts > 100)
    out.push_back({"max_attempts", "must be between 1 and 100"});

  if (spec.space.empty()) out.push_back({"space", "must define at least one parameter"});
  std::set<std::string> seen;
  for (const auto& p : spec.space.params()) {
    if (!seen.insert(p.name).second) out.push_back({"space." + p.name, "defined twice"});
    ValidateParam(p, spec.space, out);
  }

  const TrainingSpec& t = spec.training;
  if (t.kind == "cv") {
    if (t.dataset.empty()) out.push_back({"training.dataset", "must name a dataset"});
    if (t.dataset.rfind("sha256:", 0) == 0 && !IsSha256Hex(t.dataset.substr(7)))
      out.push_back({"training.dataset", "sha256: must be followed by 64 lower-case hex digits"});
    if (t.dataset == "name:") out.push_back({"training.dataset", "name: must name a dataset"});
    if (t.target.empty()) out.push_back({"training.target", "must name the target column"});
    if (!Contains(KnownModels(), t.model))
      out.push_back({"training.model",
                     "unknown model \"" + t.model + "\" (known: " + List(KnownModels()) + ")"});
    if (t.folds < 2 || t.folds > 100)
      out.push_back({"training.folds", "must be between 2 and 100"});
    if (t.repeats < 1 || t.repeats > 100)
      out.push_back({"training.repeats", "must be between 1 and 100"});
    if (!t.fold_column.empty() && t.fold_column == t.target)
      out.push_back({"training.fold_column", "must differ from the target column"});
    if (!t.impute.empty() && t.impute != "mean" && t.impute != "median" &&
        t.impute != "most_frequent")
      out.push_back({"training.impute", "must be mean, median or most_frequent"});
    for (std::size_t i = 0; i < t.features.size(); ++i)
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
    for (std::size_t i = 0; i < t.metrics.size(); ++i)
      if (!Contains(task_metrics, t.metrics[i]))
        out.push_back({"training.metrics[" + std::to_string(i) + "]",
                       "\"" + t.metrics[i] + "\" is not a " + task_name +
                           " metric (known: " + List(task_metrics) + ")"});
    if (!spec.objective.metric.empty() && !Contains(task_metrics, spec.objective.metric))
      out.push_back({"objective.metric", "\"" + spec.objective.metric + "\" is not a " + task_name +
                                             " metric (known: " + List(task_metrics) + ")"});
    for (std::size_t i = 0; i < t.preprocessing.size(); ++i)
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
    if (t.command.empty()) out.push_back({"training.command", "must name a program to run"});
    if (t.timeout_seconds < 0) out.push_back({"training.timeout_seconds", "must be >= 0"});
  } else {
    out.push_back({"training.kind", "must be \"cv\" or \"command\""});
  }
  return out;
}

}  // namespace krige
