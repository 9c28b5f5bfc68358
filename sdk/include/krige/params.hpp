// Parameter values: what a tuner proposes and a worker trains with.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace krige {

// An integer, a float or a string (categorical choices). Booleans in specs become strings.
using ParamValue = std::variant<std::int64_t, double, std::string>;

// name -> value, ordered by name so that printing and hashing are deterministic. Inactive
// conditional parameters are absent.
using Params = std::map<std::string, ParamValue>;

std::string ToString(const ParamValue& value);
// Numeric view of a value (int or double); throws krige::Error for strings.
double AsDouble(const ParamValue& value);
bool IsNumeric(const ParamValue& value);

}  // namespace krige
