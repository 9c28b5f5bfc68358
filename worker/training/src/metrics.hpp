// Scores of a fold, computed as scikit-learn 1.2 computes them (checked against its output).
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

namespace krige::training {

// Classification metrics take class indices 0..n_classes-1; zero divisions count as 0.
// Averaging of precision/recall/f1 (scikit-learn's `average`), over the labels present in truth
// or prediction:
//   kDefault  - two classes: the positive class 1 only ("binary"); more: kMacro
//   kMacro    - unweighted mean over labels
//   kMicro    - from the summed counts (equals accuracy for single-label data)
//   kWeighted - mean weighted by each label's count in the truth
enum class Average { kDefault, kMacro, kMicro, kWeighted };
double Accuracy(const std::vector<int>& truth, const std::vector<int>& predicted);
double BalancedAccuracy(const std::vector<int>& truth, const std::vector<int>& predicted);
double Precision(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
                 Average average = Average::kDefault);
double Recall(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
              Average average = Average::kDefault);
double F1(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
          Average average = Average::kDefault);

// Computes a label metric by name ("accuracy", "balanced_accuracy", "precision", "f1_macro",
// "recall_weighted", ...); false if `name` is not one.
bool LabelMetric(const std::string& name, const std::vector<int>& truth,
                 const std::vector<int>& predicted, int n_classes, double* value);

// Area under the ROC curve; ties get half credit. `scores` is n x n_classes (probabilities or
// decision values; larger = more likely). Binary: column 1 ranks the positive class.
// Multiclass: one-vs-rest macro average over the classes present in `truth` (and not all of
// it). Throws Error(kInvalidArgument) when truth holds a single class.
double RocAuc(const std::vector<int>& truth, const Eigen::MatrixXd& scores);

// Mean negative log-likelihood; probabilities clipped to [eps, 1-eps] and renormalized per row.
double LogLoss(const std::vector<int>& truth, const Eigen::MatrixXd& probabilities);

double Rmse(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted);
double Mae(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted);
// 1 - SS_res/SS_tot; a constant truth gives 1 for a perfect prediction, else 0.
double R2(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted);

// Mean silhouette coefficient over rows (Euclidean; a row alone in its cluster scores 0).
// Throws Error(kInvalidArgument) unless 2 <= distinct labels <= rows - 1 (as scikit-learn).
double Silhouette(const Eigen::MatrixXd& x, const std::vector<int>& labels);
// Sum of squared distances of each row to its cluster's centre (row labels[i] of `centres`).
double Inertia(const Eigen::MatrixXd& x, const std::vector<int>& labels,
               const Eigen::MatrixXd& centres);

bool IsClassificationMetric(const std::string& name);
bool IsClusteringMetric(const std::string& name);
bool IsRegressionMetric(const std::string& name);
// True for metrics computed from scores rather than predicted labels.
bool NeedsScores(const std::string& name);
bool NeedsProbabilities(const std::string& name);

}  // namespace krige::training
