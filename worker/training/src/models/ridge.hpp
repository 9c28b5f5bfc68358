// Ridge regression, solved in closed form with Eigen.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn Ridge: alpha >= 0 (1.0), fit_intercept (true); the intercept is not penalized.
std::unique_ptr<Model> MakeRidge(HyperParameters& hp);

}  // namespace krige::training
