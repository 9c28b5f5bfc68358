// Support vector machines over libsvm; its C names stay inside libsvm_model.cpp.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn SVC: C > 0 (1.0), kernel rbf|linear|poly|sigmoid (rbf), gamma scale|auto|>= 0
// (scale), degree >= 0 (3), coef0 (0.0), tol > 0 (1e-3), shrinking (true), probability (false;
// true adds Platt-scaled probabilities for log_loss), class_weight none|balanced (none).
std::unique_ptr<Model> MakeSvc(HyperParameters& hp);

// scikit-learn SVR: the same kernel parameters, C, tol, shrinking, and epsilon >= 0 (0.1).
std::unique_ptr<Model> MakeSvr(HyperParameters& hp);

}  // namespace krige::training
