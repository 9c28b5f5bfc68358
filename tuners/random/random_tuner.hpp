#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Independent uniform draws (log-uniform for log-scale parameters). The k-th configuration of
// an experiment depends only on (seed, k), so the same seed gives the same sequence.
std::unique_ptr<Tuner> MakeRandomTuner(const TunerContext& context);

// One uniform draw from the space, conditionals respected; shared by tuners that need it.
Params SampleUniform(const SearchSpace& space, std::uint64_t seed);

}  // namespace krige::tuners
