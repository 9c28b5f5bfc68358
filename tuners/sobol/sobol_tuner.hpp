#pragma once

#include <cstdint>
#include <vector>

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Quasi-random suggestions: point k of Boost.Random's Sobol sequence, one coordinate per
// parameter, randomized by a digital shift (XOR with per-dimension words derived from the
// seed). The k-th suggestion depends only on (seed, k); in a discrete space a duplicate is
// replaced by a point far down the sequence, chosen deterministically.
std::unique_ptr<Tuner> MakeSobolTuner(const TunerContext& context);

// Point `index` of the digitally shifted Sobol sequence in [0,1)^dims (dims <= 3667).
// Throws krige::Error(kInvalidArgument) for more dimensions.
std::vector<double> ShiftedSobolPoint(std::size_t dims, std::uint64_t seed, std::uint64_t index);

// Points first..first+count-1 at once (cheaper than one by one).
std::vector<std::vector<double>> ShiftedSobolPoints(std::size_t dims, std::uint64_t seed,
                                                    std::uint64_t first, std::size_t count);

// The configuration the sobol tuner proposes as suggestion k (ignoring duplicates).
Params SobolParams(const SearchSpace& space, std::uint64_t seed, std::uint64_t k);

}  // namespace krige::tuners
