#pragma once

#include "krige/worker.hpp"

namespace krige::objectives {

// krige's built-in objective (training.kind == cv): cross-validated training of a model on a
// CSV dataset; each fold's scores are reported as soon as the fold ends.
ObjectiveFn MakeCvObjective();

}  // namespace krige::objectives
