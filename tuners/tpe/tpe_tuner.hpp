#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Tree-structured Parzen estimator, the algorithm of Optuna's TPESampler (docs/tuners.md):
// after n_startup_trials random suggestions, the completed trials are split into the best
// gamma(n) = min(ceil(0.1 n), 25) ("below") and the rest ("above"); a Parzen estimator is
// fitted to each, n_ei_candidates points are drawn from the "below" one and the point with the
// largest l(x) / g(x) is proposed.
//
// Options (TunerContext::options, defaults as Optuna's): n_startup_trials (10),
// n_ei_candidates (24), multivariate (0: each parameter on its own; 1: joint kernels),
// group (1: with multivariate, parameters that always appear together are sampled jointly,
// the others on their own; 0: only the parameters of every trial jointly), constant_liar
// (1, Optuna's default is 0: pending trials count as the worst observations, so parallel
// suggestions spread out), prior_weight (1), consider_endpoints (0), consider_magic_clip (1).
//
// Never throws for numerical trouble. Deterministic: suggestion k draws from
// DeriveSeed(seed, k).
std::unique_ptr<Tuner> MakeTpeTuner(const TunerContext& context);

}  // namespace krige::tuners
