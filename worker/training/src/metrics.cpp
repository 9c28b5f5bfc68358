#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "krige/error.hpp"

namespace krige::training {
namespace {

void CheckSizes(std::size_t a, std::size_t b) {
  if (a != b || a == 0)
    throw Error(ErrorCode::kInternal, "metric inputs of different or zero length");
}

struct Counts {
  std::vector<double> tp, fp, fn, support;
  std::set<int> present;  // labels in truth or prediction
};

Counts Count(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes) {
  CheckSizes(truth.size(), predicted.size());
  int n = n_classes;
  for (std::size_t i = 0; i < truth.size(); ++i) n = std::max({n, truth[i] + 1, predicted[i] + 1});
  Counts c{std::vector<double>(n),
           std::vector<double>(n),
           std::vector<double>(n),
           std::vector<double>(n),
           {}};
  for (std::size_t i = 0; i < truth.size(); ++i) {
    c.present.insert(truth[i]);
    c.present.insert(predicted[i]);
    c.support[truth[i]] += 1;
    if (truth[i] == predicted[i]) {
      c.tp[truth[i]] += 1;
    } else {
      c.fp[predicted[i]] += 1;
      c.fn[truth[i]] += 1;
    }
  }
  return c;
}

double Ratio(double num, double den) {
  return den > 0 ? num / den : 0.0;
}

double PrecisionOf(const Counts& c, int k) {
  return Ratio(c.tp[k], c.tp[k] + c.fp[k]);
}
double RecallOf(const Counts& c, int k) {
  return Ratio(c.tp[k], c.tp[k] + c.fn[k]);
}
double F1Of(const Counts& c, int k) {
  // 2tp / (2tp + fp + fn), as scikit-learn computes it (0 when the denominator is 0).
  return Ratio(2 * c.tp[k], 2 * c.tp[k] + c.fp[k] + c.fn[k]);
}

// `per_class` scores one label from counts; micro-averaging applies it to the summed counts.
template <typename PerClass>
double Averaged(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
                Average average, PerClass per_class) {
  const Counts c = Count(truth, predicted, n_classes);
  if (average == Average::kDefault && n_classes <= 2) return per_class(c, 1);
  if (average == Average::kMicro) {
    Counts total{{0}, {0}, {0}, {0}, {}};
    for (int k : c.present) {
      total.tp[0] += c.tp[k];
      total.fp[0] += c.fp[k];
      total.fn[0] += c.fn[k];
    }
    return per_class(total, 0);
  }
  double sum = 0, weights = 0;
  for (int k : c.present) {
    const double w = average == Average::kWeighted ? c.support[k] : 1.0;
    sum += w * per_class(c, k);
    weights += w;
  }
  return weights > 0 ? sum / weights : 0.0;
}

const std::map<std::string, Average>& Averages() {
  static const std::map<std::string, Average> kAverages = {{"", Average::kDefault},
                                                           {"_macro", Average::kMacro},
                                                           {"_micro", Average::kMicro},
                                                           {"_weighted", Average::kWeighted}};
  return kAverages;
}

// AUC of scores for one positive set via average ranks (Mann-Whitney U), which equals the
// trapezoidal area scikit-learn computes, ties included.
double BinaryAuc(const std::vector<bool>& positive, const std::vector<double>& score) {
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0, n_pos = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t t = i; t < j; ++t)
      if (positive[order[t]]) {
        rank_sum += avg_rank;
        n_pos += 1;
      }
    i = j;
  }
  const double n_neg = static_cast<double>(n) - n_pos;
  if (n_pos == 0 || n_neg == 0)
    throw Error(ErrorCode::kInvalidArgument,
                "roc_auc is undefined when a fold's test part holds a single class");
  return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg);
}

}  // namespace

double Accuracy(const std::vector<int>& truth, const std::vector<int>& predicted) {
  CheckSizes(truth.size(), predicted.size());
  double hits = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) hits += truth[i] == predicted[i];
  return hits / static_cast<double>(truth.size());
}

double BalancedAccuracy(const std::vector<int>& truth, const std::vector<int>& predicted) {
  const Counts c = Count(truth, predicted, 0);
  double sum = 0, classes = 0;
  for (std::size_t k = 0; k < c.support.size(); ++k) {
    if (c.support[k] == 0) continue;  // scikit-learn drops classes absent from the truth
    sum += c.tp[k] / c.support[k];
    classes += 1;
  }
  return sum / classes;
}

double Precision(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
                 Average average) {
  return Averaged(truth, predicted, n_classes, average, PrecisionOf);
}
double Recall(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
              Average average) {
  return Averaged(truth, predicted, n_classes, average, RecallOf);
}
double F1(const std::vector<int>& truth, const std::vector<int>& predicted, int n_classes,
          Average average) {
  return Averaged(truth, predicted, n_classes, average, F1Of);
}

bool LabelMetric(const std::string& name, const std::vector<int>& truth,
                 const std::vector<int>& predicted, int n_classes, double* value) {
  if (name == "accuracy") {
    *value = Accuracy(truth, predicted);
    return true;
  }
  if (name == "balanced_accuracy") {
    *value = BalancedAccuracy(truth, predicted);
    return true;
  }
  for (const auto& [suffix, average] : Averages()) {
    if (name == "precision" + suffix) {
      *value = Precision(truth, predicted, n_classes, average);
    } else if (name == "recall" + suffix) {
      *value = Recall(truth, predicted, n_classes, average);
    } else if (name == "f1" + suffix) {
      *value = F1(truth, predicted, n_classes, average);
    } else {
      continue;
    }
    return true;
  }
  return false;
}

double RocAuc(const std::vector<int>& truth, const Eigen::MatrixXd& scores) {
  CheckSizes(truth.size(), static_cast<std::size_t>(scores.rows()));
  const auto n = truth.size();
  if (scores.cols() <= 2) {
    std::vector<bool> pos(n);
    std::vector<double> s(n);
    for (std::size_t i = 0; i < n; ++i) {
      pos[i] = truth[i] == 1;
      s[i] = scores(static_cast<Eigen::Index>(i), scores.cols() - 1);
    }
    return BinaryAuc(pos, s);
  }
  double sum = 0, used = 0;
  for (Eigen::Index k = 0; k < scores.cols(); ++k) {
    std::vector<bool> pos(n);
    std::vector<double> s(n);
    std::size_t n_pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
      pos[i] = truth[i] == k;
      n_pos += pos[i];
      s[i] = scores(static_cast<Eigen::Index>(i), k);
    }
    if (n_pos == 0 || n_pos == n) continue;  // a class absent from this fold has no curve
    sum += BinaryAuc(pos, s);
    used += 1;
  }
  if (used == 0)
    throw Error(ErrorCode::kInvalidArgument,
                "roc_auc is undefined when a fold's test part holds a single class");
  return sum / used;
}

double LogLoss(const std::vector<int>& truth, const Eigen::MatrixXd& probabilities) {
  CheckSizes(truth.size(), static_cast<std::size_t>(probabilities.rows()));
  const double eps = std::numeric_limits<double>::epsilon();
  double total = 0;
  for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
    const Eigen::RowVectorXd p = probabilities.row(i).cwiseMax(eps).cwiseMin(1 - eps);
    total -= std::log(p(truth[i]) / p.sum());
  }
  return total / static_cast<double>(probabilities.rows());
}

double Rmse(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted) {
  CheckSizes(truth.size(), predicted.size());
  return std::sqrt((truth - predicted).squaredNorm() / static_cast<double>(truth.size()));
}

double Mae(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted) {
  CheckSizes(truth.size(), predicted.size());
  return (truth - predicted).cwiseAbs().sum() / static_cast<double>(truth.size());
}

double R2(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted) {
  CheckSizes(truth.size(), predicted.size());
  const double ss_res = (truth - predicted).squaredNorm();
  const double ss_tot = (truth.array() - truth.mean()).matrix().squaredNorm();
  if (ss_tot == 0) return ss_res == 0 ? 1.0 : 0.0;
  return 1.0 - ss_res / ss_tot;
}

double Silhouette(const Eigen::MatrixXd& x, const std::vector<int>& labels) {
  CheckSizes(labels.size(), static_cast<std::size_t>(x.rows()));
  const std::set<int> distinct(labels.begin(), labels.end());
  const auto n = static_cast<Eigen::Index>(labels.size());
  if (distinct.size() < 2 || static_cast<Eigen::Index>(distinct.size()) > n - 1)
    throw Error(ErrorCode::kInvalidArgument,
                "silhouette needs between 2 and rows - 1 clusters, got " +
                    std::to_string(distinct.size()) + " for " + std::to_string(n) + " rows");
  const int k = *distinct.rbegin() + 1;
  std::vector<double> size(k);
  for (int l : labels) size[l] += 1;
  double total = 0;
  std::vector<double> sums(k);
  for (Eigen::Index i = 0; i < n; ++i) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) sums[labels[j]] += (x.row(i) - x.row(j)).norm();
    const int own = labels[i];
    if (size[own] <= 1) continue;  // silhouette 0
    const double a = sums[own] / (size[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c)
      if (c != own && size[c] > 0) b = std::min(b, sums[c] / size[c]);
    total += (b - a) / std::max(a, b);
  }
  return total / static_cast<double>(n);
}

double Inertia(const Eigen::MatrixXd& x, const std::vector<int>& labels,
               const Eigen::MatrixXd& centres) {
  CheckSizes(labels.size(), static_cast<std::size_t>(x.rows()));
  double total = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    total += (x.row(i) - centres.row(labels[i])).squaredNorm();
  return total;
}

bool IsClusteringMetric(const std::string& name) {
  return name == "silhouette" || name == "inertia";
}

bool IsClassificationMetric(const std::string& name) {
  if (name == "accuracy" || name == "balanced_accuracy" || name == "roc_auc" || name == "log_loss")
    return true;
  for (const auto& [suffix, average] : Averages())
    if (name == "precision" + suffix || name == "recall" + suffix || name == "f1" + suffix)
      return true;
  return false;
}

bool IsRegressionMetric(const std::string& name) {
  return name == "rmse" || name == "mae" || name == "r2";
}

bool NeedsScores(const std::string& name) {
  return name == "roc_auc" || name == "log_loss";
}
bool NeedsProbabilities(const std::string& name) {
  return name == "log_loss";
}

}  // namespace krige::training
