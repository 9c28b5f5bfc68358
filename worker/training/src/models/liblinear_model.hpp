// Models over liblinear. liblinear's C names (model, problem, train, ...) stay inside
// liblinear_model.cpp; this header exposes only the factory functions.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn LogisticRegression(solver="liblinear"): C > 0 (1.0), penalty l1|l2 (l2),
// tol > 0 (1e-4), fit_intercept (true), intercept_scaling > 0 (1.0).
std::unique_ptr<Model> MakeLogisticRegression(HyperParameters& hp);

}  // namespace krige::training
