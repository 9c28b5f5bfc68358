#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// CMA-ES with IPOP restarts, the algorithm of Optuna's CmaEsSampler over the `cmaes` package's
// CMA and CMAwM (docs/tuners.md). The numeric parameters that are unconditional and parent of
// none are searched by CMA-ES in their unit cube (log scale; integers and stepped floats by
// CMA-ES with margin, or by rounding with margin 0); categorical and conditional parameters are
// drawn at random, as Optuna's independent sampler does. Fewer than two such parameters:
// random search.
//
// Being pure, the tuner keeps no optimizer state: each call replays the completed trials
// (after the first n_startup_trials) in order, popsize at a time, as generations, telling
// each the raw sample of the generation's candidate slot that proposed it.
//
// Options: n_startup_trials (1), popsize (4 + floor(3 ln d)), inc_popsize (2), restarts
// (1: IPOP, restart with inc_popsize times the population from a random mean when a
// termination criterion fires; 0: never), sigma0 (1/6 of the unit range), margin (1).
std::unique_ptr<Tuner> MakeCmaesTuner(const TunerContext& context);

// A warm start (the auto tuner's hand-over from gp): the first CMA-ES run starts at `mean`'s
// numeric values (the unit-cube position of each searched parameter; a missing one at the
// centre) with step size `sigma` (at most sigma0), and n_startup_trials defaults to 0. IPOP
// restarts start as usual.
struct CmaesStart {
  Params mean;
  double sigma = 0;
};
std::unique_ptr<Tuner> MakeWarmCmaesTuner(const TunerContext& context, CmaesStart start);

}  // namespace krige::tuners
