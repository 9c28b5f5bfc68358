// Lasso and elastic net by cyclic coordinate descent (Eigen), as scikit-learn's cd_fast.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn Lasso: alpha >= 0 (1.0), max_iter >= 1 (1000), tol > 0 (1e-4), fit_intercept.
std::unique_ptr<Model> MakeLasso(HyperParameters& hp);
// scikit-learn ElasticNet: the same plus l1_ratio in [0, 1] (0.5).
std::unique_ptr<Model> MakeElasticNet(HyperParameters& hp);

}  // namespace krige::training
