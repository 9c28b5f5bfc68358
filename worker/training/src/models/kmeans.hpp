// k-means clustering (Lloyd's algorithm on Eigen, seeded greedy k-means++ initialization).
#pragma once

#include <cstdint>
#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn KMeans: n_clusters >= 1 (8), n_init >= 1 (10; the run with the lowest inertia
// wins), max_iter >= 1 (300), tol >= 0 (1e-4, relative to the mean feature variance). Draws
// only from `seed`. Fit throws Error(kInvalidArgument) when n_clusters exceeds the rows.
// Predict gives the nearest centre's index; ClusterCenters() the fitted centres.
std::unique_ptr<Model> MakeKmeans(HyperParameters& hp, std::uint64_t seed);

}  // namespace krige::training
