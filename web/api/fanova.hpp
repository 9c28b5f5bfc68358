// fANOVA parameter importance (Hutter, Hoos, Leyton-Brown 2014, "An Efficient Approach for
// Assessing Hyperparameter Importance"): a random forest of regression trees predicts the
// objective from the parameters; for each tree, the variance of the marginal prediction of one
// parameter (averaged over all others, uniformly over the search space) divided by the tree's
// total variance is that parameter's share; the shares are averaged over the trees and
// normalized to sum to 1, as Optuna's FanovaImportanceEvaluator does. Log parameters are
// measured in log space and categoricals as one ordinal dimension with a unit cell per choice.
// Cheap: at most `max_samples` trials (a seeded subsample) and 32 trees, so 10 000 trials
// take well under a second.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace krige::web::fanova {

struct Dimension {
  std::string name;
  double low = 0;  // the domain, in the encoded space (log10 for log parameters)
  double high = 1;
};

struct Options {
  int trees = 32;
  int max_depth = 64;
  int max_samples = 2000;
  std::uint64_t seed = 0;
};

// x: one row per trial, one column per dimension (encoded), y: the objective. Returns one
// importance per dimension, summing to 1 (all 0 when the objective does not vary).
std::vector<double> Importance(const std::vector<Dimension>& dims,
                               const std::vector<std::vector<double>>& x,
                               const std::vector<double>& y, const Options& options = {});

}  // namespace krige::web::fanova
