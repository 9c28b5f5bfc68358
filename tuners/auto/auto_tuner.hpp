#pragma once

#include <memory>

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Picks a tuner by the space and the history size, as OptunaHub's AutoSampler does, with the
// thresholds krige's suite supports (docs/tuners.md, "auto"): a space with a categorical or a
// conditional parameter goes to tpe; a numeric one with at least `cmaes_dims` (16) parameters
// that vary to cmaes; a smaller numeric one to gp while fewer than `gp_trials` trials have
// completed (default 250), then to cmaes, warm-started at gp's best trial with a step size from
// the spread of gp's best tenth (a one-parameter space: tpe), which keeps a suggestion's cost
// bounded however long the history grows.
//
// Pure and deterministic like the tuners it delegates to: with the same context and history,
// the same suggestions; below the switch they are exactly gp's (or tpe's). The hand-over is
// a function of the first gp_trials completed trials only, so it does not move as the history
// grows. Options: gp_trials (250; at least 2), cmaes_dims (16; at least 2).
std::unique_ptr<Tuner> MakeAutoTuner(const TunerContext& context);

}  // namespace krige::tuners
