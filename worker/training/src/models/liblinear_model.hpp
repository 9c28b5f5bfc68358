// Models over liblinear. liblinear's C names (model, problem, train, ...) stay inside
// liblinear_model.cpp; this header exposes only the factory functions.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn LogisticRegression(solver="liblinear"): C > 0 (1.0), penalty l1|l2 (l2),
// tol > 0 (1e-4), fit_intercept (true), intercept_scaling > 0 (1.0), class_weight
// none|balanced (none). One-vs-rest for more than two classes.
std::unique_ptr<Model> MakeLogisticRegression(HyperParameters& hp);

// scikit-learn LinearSVC: C > 0 (1.0), penalty l1|l2 (l2), loss hinge|squared_hinge
// (squared_hinge), dual (true), tol (1e-4), fit_intercept, intercept_scaling, class_weight.
// Decision values only (no probabilities, so no log_loss).
std::unique_ptr<Model> MakeLinearSvc(HyperParameters& hp);

}  // namespace krige::training
