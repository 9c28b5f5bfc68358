#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Bayesian optimization with a Gaussian process (DESIGN.md §4); see docs/tuners.md.
//
// Options (TunerContext::options): n_initial (Sobol design size, default
// min(max(d+1, 5), 10) for d encoded dimensions), warp (1: Yeo-Johnson output warping, default
// 1), fit_restarts (L-BFGS starts for the hyperparameters, default 2), max_fit_points (the
// hyperparameters are fitted on at most this many trials, the best quarter plus a seeded
// sample of the rest, default 150), max_posterior_points (the posterior is conditioned on at
// most this many trials, clamped to 100..5000: beyond it the best quarter, the most recent
// quarter and a seeded sample of the rest; default 2000), candidates
// (quasi-random acquisition candidates, default 1024), half_rank (half-rank output warping:
// 0 never, 1 always, 2 when a value of the worse half is shared by >= 10% of the trials and
// at least 3, default 2), trust_region (TuRBO's box around the best trial, sized from the
// history and the lengthscales, confines the acquisition: 0 never, 1 always, 2 when the space
// has at least 8 numeric coordinates, default 2).
//
// Never throws for numerical trouble: it falls back to the sobol tuner's point and says why in
// Suggestion::note.
std::unique_ptr<Tuner> MakeGpTuner(const TunerContext& context);

}  // namespace krige::tuners
