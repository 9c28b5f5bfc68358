// k-nearest neighbours by brute force (Eigen), classifier and regressor.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn KNeighborsClassifier / KNeighborsRegressor: n_neighbors >= 1 (5), weights
// uniform|distance (uniform), p >= 1 (2; Minkowski distance). Fit throws Error(kInvalidArgument)
// when n_neighbors exceeds the training rows. Classification gives vote-share probabilities.
std::unique_ptr<Model> MakeKnn(HyperParameters& hp);

}  // namespace krige::training
