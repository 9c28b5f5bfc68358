#pragma once

#include "krige/tuners/tuner.hpp"

namespace krige::tuners {

// Full factorial over the space, in a fixed order (space order, first parameter slowest).
// Categoricals take their choices; floats take `values` or `grid_points` (linear or log
// spaced); ints take `values`, `grid_points`, or every admissible value. An inactive
// conditional parameter collapses: it does not multiply the grid.
//
// Every point is proposed once: completed and pending points are never proposed again, and a
// failed point counts as done unless option `retry_failed` is 1, in which case it becomes
// eligible again (the coordinator owns the retry budget). Capacity() is the grid size.
// Throws krige::Error(kInvalidArgument) at construction for a float without grid_points or
// values, or a grid of more than 1e6 points.
std::unique_ptr<Tuner> MakeGridTuner(const TunerContext& context);

// The grid's points in proposal order (exposed for tests and the docs).
std::vector<Params> GridPoints(const SearchSpace& space);

}  // namespace krige::tuners
