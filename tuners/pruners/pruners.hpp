// The pruners behind DefaultPruners(); each factory takes a validated PrunerContext.
#pragma once

#include <memory>

#include "krige/tuners/pruner.hpp"

namespace krige::tuners {

std::unique_ptr<Pruner> MakeMedianPruner(const PrunerContext& context);
std::unique_ptr<Pruner> MakePercentilePruner(const PrunerContext& context);
std::unique_ptr<Pruner> MakeAshaPruner(const PrunerContext& context);
std::unique_ptr<Pruner> MakeHyperbandPruner(const PrunerContext& context);
std::unique_ptr<Pruner> MakeFoldsPruner(const PrunerContext& context);

namespace detail {
// numpy.nanpercentile(values, q) with the default linear interpolation (NaNs dropped);
// NaN when nothing is left.
double NanPercentile(std::vector<double> values, double q);
// The option `key` of `context`, or `fallback`.
double Option(const PrunerContext& context, const char* key, double fallback);
}  // namespace detail

}  // namespace krige::tuners
