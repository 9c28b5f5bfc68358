#include "krige/params.hpp"

#include <cstdio>
#include <cstdlib>

#include "krige/error.hpp"

namespace krige {

std::string ToString(const ParamValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    // Shortest text that reads back to the same double.
    for (int precision = 1; precision <= 17; ++precision) {
      char shorter[32];
      std::snprintf(shorter, sizeof shorter, "%.*g", precision, *d);
      if (std::strtod(shorter, nullptr) == *d) return shorter;
    }
    return buf;
  }
  return std::get<std::string>(value);
}

bool IsNumeric(const ParamValue& value) {
  return !std::holds_alternative<std::string>(value);
}

double AsDouble(const ParamValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  throw Error(ErrorCode::kInvalidArgument,
              "expected a number, got \"" + std::get<std::string>(value) + "\"");
}

}  // namespace krige
