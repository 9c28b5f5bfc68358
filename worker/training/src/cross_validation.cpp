#include "krige/training/cross_validation.hpp"

#include <algorithm>

#include "dataset.hpp"
#include "folds.hpp"
#include "krige/error.hpp"
#include "metrics.hpp"
#include "models/model.hpp"
#include "prepared_folds.hpp"
#include "preprocessing.hpp"

namespace krige::training {
namespace {

[[noreturn]] void Invalid(const std::string& message, const std::string& field) {
  throw Error(ErrorCode::kInvalidArgument, message, field);
}

std::vector<std::string> MetricsToCompute(const TrainingSpec& t, const std::string& objective) {
  std::vector<std::string> out;
  auto add = [&](const std::string& m, const std::string& field) {
    const bool fits = t.task == Task::kClassification ? IsClassificationMetric(m)
                      : t.task == Task::kRegression   ? IsRegressionMetric(m)
                                                      : IsClusteringMetric(m);
    if (!fits)
      Invalid("\"" + m + "\" is not a " +
                  (t.task == Task::kClassification ? std::string("classification")
                   : t.task == Task::kRegression   ? std::string("regression")
                                                   : std::string("clustering")) +
                  " metric",
              field);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  };
  if (!objective.empty()) add(objective, "objective.metric");
  for (std::size_t i = 0; i < t.metrics.size(); ++i)
    add(t.metrics[i], "training.metrics[" + std::to_string(i) + "]");
  if (out.empty()) Invalid("no metric to compute", "objective.metric");
  return out;
}

std::vector<int> ToLabels(const Eigen::VectorXd& v) {
  std::vector<int> out(v.size());
  for (Eigen::Index i = 0; i < v.size(); ++i) out[i] = static_cast<int>(v(i));
  return out;
}

std::map<std::string, double> Score(const std::vector<std::string>& metrics, const Model& model,
                                    const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                    int n_classes, Task task) {
  std::map<std::string, double> out;
  const Eigen::VectorXd predicted = model.Predict(x);
  if (task == Task::kClustering) {
    const std::vector<int> clusters = ToLabels(predicted);
    for (const auto& m : metrics) {
      if (m == "silhouette") out[m] = Silhouette(x, clusters);
      if (m == "inertia") out[m] = Inertia(x, clusters, model.ClusterCenters());
    }
    return out;
  }
  if (n_classes == 0) {
    for (const auto& m : metrics) {
      if (m == "rmse") out[m] = Rmse(y, predicted);
      if (m == "mae") out[m] = Mae(y, predicted);
      if (m == "r2") out[m] = R2(y, predicted);
    }
    return out;
  }
  const std::vector<int> truth = ToLabels(y);
  const std::vector<int> pred = ToLabels(predicted);
  Eigen::MatrixXd proba, decision;
  if (model.HasProbabilities()) proba = model.PredictProbabilities(x);
  for (const auto& m : metrics) {
    double value = 0;
    if (LabelMetric(m, truth, pred, n_classes, &value)) out[m] = value;
    if (m == "log_loss") out[m] = LogLoss(truth, proba);
    if (m == "roc_auc") {
      if (proba.size() == 0 && decision.size() == 0) decision = model.Decision(x);
      out[m] = RocAuc(truth, proba.size() ? proba : decision);
    }
  }
  return out;
}

// training.resource == n_estimators: every fold's model is trained in lockstep, and after every
// `report_every` rounds (and the last) the held-out scores are averaged over the folds and
// reported as step = rounds done. The final metrics are those of the last step.
CvOutcome Staged(const TrainingSpec& training, const Params& hyperparameters,
                 const std::vector<std::string>& metrics, const PreparedData& data,
                 const FoldCallback& on_fold) {
  struct Part {
    std::unique_ptr<Model> model;
    PreparedFold own;  // when the data keeps no encoded folds
    const PreparedFold* fold = nullptr;
  };
  std::vector<Part> parts;
  parts.reserve(
      static_cast<std::size_t>(data.n_folds));  // no reallocation: `fold` may point at `own`
  int rounds = 0;
  for (int f = 0; f < data.n_folds; ++f) {
    parts.emplace_back();
    Part& p = parts.back();
    p.model = MakeModel(training.model, training.task, hyperparameters, training.shuffle_seed);
    rounds = p.model->StagedRounds();
    if (rounds <= 0)
      Invalid(training.model + " has no boosting rounds to use as a resource", "training.resource");
    p.fold = &data.Fold(f, &p.own);
    p.model->Start(p.fold->x_train, p.fold->y_train, data.n_classes);
  }
  CvOutcome outcome;
  const int every = std::max(1, training.report_every);
  for (int done = std::min(every, rounds);; done = std::min(done + every, rounds)) {
    StepScores scores;
    scores.step = done;
    for (Part& p : parts) {
      p.model->Continue(done);
      for (const auto& [m, v] :
           Score(metrics, *p.model, p.fold->x_test, p.fold->y_test, data.n_classes, training.task))
        scores.values[m] += v / static_cast<double>(parts.size());
    }
    outcome.folds.push_back(scores);
    if (on_fold) on_fold(scores);
    if (done == rounds) break;
  }
  outcome.metrics = outcome.folds.back().values;
  return outcome;
}

}  // namespace

CvOutcome CrossValidate(const TrainingSpec& training, const Params& params,
                        const std::string& objective_metric, const FoldCallback& on_fold) {
  if (training.kind != "cv")
    Invalid("training.kind must be \"cv\" for cross-validation, got \"" + training.kind + "\"",
            "training.kind");
  const std::vector<std::string> metrics = MetricsToCompute(training, objective_metric);

  // Check the cheap things (hyperparameters, metric support) before reading any data.
  Params hyperparameters = training.fixed;
  for (const auto& [name, value] : params) hyperparameters[name] = value;
  {
    const auto probe = MakeModel(training.model, training.task, hyperparameters);
    for (const auto& m : metrics) {
      if (NeedsProbabilities(m) && !probe->HasProbabilities())
        Invalid(training.model + " does not estimate probabilities, needed by " + m,
                "training.metrics");
      if (NeedsScores(m) && !probe->HasProbabilities() && !probe->HasDecision())
        Invalid(training.model + " has no scores, needed by " + m, "training.metrics");
    }
  }
  for (const auto& step : training.preprocessing) Scaler::Fit(step, Eigen::MatrixXd());
  CheckImpute(training.impute);
  if (training.dataset.empty()) Invalid("no dataset given", "training.dataset");

  // Parsed once per file version, split and encoded once per distinct split and encoding.
  const auto prepared = CvFoldCache().Get(CachedTable(training.dataset), training);
  const PreparedData& data = *prepared;

  CvOutcome outcome;
  if (training.resource == "n_estimators")
    return Staged(training, hyperparameters, metrics, data, on_fold);
  PreparedFold scratch;
  for (int f = 0; f < data.n_folds; ++f) {
    const PreparedFold& fold = data.Fold(f, &scratch);
    auto model = MakeModel(training.model, training.task, hyperparameters, training.shuffle_seed);
    model->Fit(fold.x_train, fold.y_train, data.n_classes);

    StepScores scores;
    scores.step = f;
    scores.values = Score(metrics, *model, fold.x_test, fold.y_test, data.n_classes, training.task);
    outcome.folds.push_back(scores);
    if (on_fold) on_fold(scores);
  }
  for (const auto& m : metrics) {
    double sum = 0;
    for (const auto& s : outcome.folds) sum += s.values.at(m);
    outcome.metrics[m] = sum / static_cast<double>(outcome.folds.size());
  }
  return outcome;
}

}  // namespace krige::training
