#pragma once

#include <memory>

#include "krige/worker.hpp"
#include "objectives/dataset_cache.hpp"

namespace krige::objectives {

// krige's built-in objective (training.kind == cv): cross-validated training of a model on a
// CSV dataset; each fold's scores are reported as soon as the fold ends. A "sha256:<hex>"
// dataset is fetched into `datasets` on first use (a path is read as it is). `datasets` may
// be null: then only paths work.
ObjectiveFn MakeCvObjective(std::shared_ptr<DatasetCache> datasets = nullptr);

}  // namespace krige::objectives
