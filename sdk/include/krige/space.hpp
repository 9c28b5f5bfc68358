// The search space: typed parameters with bounds, log scale, categorical choices and
// conditions ("degree" only when kernel == poly).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "krige/params.hpp"

namespace krige {

enum class ParamType { kFloat, kInt, kCategorical };

// A parameter is active only when its parent is active and holds one of `values`.
struct Condition {
  std::string parent;
  std::vector<ParamValue> values;
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  double low = 0;    // float / int
  double high = 0;   // float / int, inclusive
  bool log = false;  // sample uniformly in log space (low > 0)
  double step = 0;   // int: spacing of admissible values (default 1); float: 0 = continuous
  std::vector<ParamValue> choices;   // categorical
  int grid_points = 0;               // grid tuner: points per float dimension
  std::vector<ParamValue> values;    // grid tuner: explicit values (float / int)
  std::optional<Condition> when;     // conditional parameter
};

class SearchSpace {
 public:
  SearchSpace() = default;
  // Keeps parameters ordered so that every parent comes before its children (then by name).
  // Does not validate; see Validate() in spec.hpp.
  explicit SearchSpace(std::vector<ParamSpec> params);

  const std::vector<ParamSpec>& params() const { return params_; }
  std::size_t size() const { return params_.size(); }
  bool empty() const { return params_.empty(); }
  const ParamSpec* Find(const std::string& name) const;

  // True when `spec`'s condition (and its parent's, recursively) holds in `params`.
  bool IsActive(const ParamSpec& spec, const Params& params) const;
  // True when params hold exactly the active parameters, each within its domain.
  bool Contains(const Params& params) const;

 private:
  std::vector<ParamSpec> params_;
};

}  // namespace krige
