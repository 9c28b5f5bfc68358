// Gradient-boosted trees and random forests through the XGBoost C API.
#pragma once

#include <cstdint>
#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// XGBClassifier / XGBRegressor (the task follows Fit's n_classes): n_estimators (100),
// max_depth (6), learning_rate (0.3), subsample (1), colsample_bytree (1), colsample_bynode (1),
// min_child_weight (1), reg_lambda (1), reg_alpha (0), gamma (0), tree_method
// hist|approx|exact (hist). One thread per model (workers run trials in parallel slots), seeded
// with `seed`: results are deterministic. Library failures throw Error(kInternal) carrying
// XGBGetLastError().
std::unique_ptr<Model> MakeXgboost(HyperParameters& hp, std::uint64_t seed);

// XGBRFClassifier / XGBRFRegressor: XGBoost's random-forest mode, one boosting round growing
// n_estimators (100) parallel trees on row and column samples. Same parameters as above with
// XGBoost's random-forest defaults: learning_rate 1, subsample 0.8, colsample_bynode 0.8,
// reg_lambda 1e-5.
std::unique_ptr<Model> MakeRandomForest(HyperParameters& hp, std::uint64_t seed);

}  // namespace krige::training
