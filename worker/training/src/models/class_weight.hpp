// scikit-learn's class_weight="balanced": n_samples / (n_present_classes * count(class)).
#pragma once

#include <Eigen/Dense>
#include <map>
#include <vector>

namespace krige::training {

struct ClassWeights {
  std::vector<int> labels;
  std::vector<double> weights;
};

inline ClassWeights BalancedClassWeights(const Eigen::VectorXd& y) {
  std::map<int, double> counts;
  for (double v : y) counts[static_cast<int>(v)] += 1;
  ClassWeights w;
  for (const auto& [label, count] : counts) {
    w.labels.push_back(label);
    w.weights.push_back(static_cast<double>(y.size()) /
                        (static_cast<double>(counts.size()) * count));
  }
  return w;
}

}  // namespace krige::training
