// The search space: typed parameters with bounds, log scale, categorical choices and
// conditions ("degree" only when kernel == poly).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/params.hpp"

namespace krige {

enum class ParamType { kFloat, kInt, kCategorical };

// How a float or int parameter is sampled: uniformly in its range or in log space (low > 0).
enum class Scale { kLinear, kLog };
inline constexpr Scale kLinear = Scale::kLinear;
inline constexpr Scale kLog = Scale::kLog;

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
  std::vector<ParamValue> choices;  // categorical
  int grid_points = 0;              // grid tuner: points per float dimension
  std::vector<ParamValue> values;   // grid tuner: explicit values (float / int)
  std::optional<Condition> when;    // conditional parameter
};

class SearchSpace {
 public:
  SearchSpace() = default;
  // Keeps parameters ordered so that every parent comes before its children (then by name).
  // Does not validate; see Validate() in spec.hpp.
  explicit SearchSpace(std::vector<ParamSpec> params);

  // Builders, for a space written in C++; each gives what the spec decoder gives for the same
  // YAML (`lr: {type: float, low: 1e-4, high: 0.1, log: true}`), so
  //   krige::SearchSpace().Float("lr", 1e-4, 1e-1, krige::kLog).Int("depth", 2, 10)
  //       .Categorical("kernel", {"rbf", "poly"}).Int("degree", 2, 5).When("kernel", {"poly"})
  // equals SpecFromJson's space of that YAML. A parameter added again under the same name
  // replaces the first. Nothing is validated here: Validate(spec), the server, or
  // SpecFromJson(ToJson(spec)) report bad bounds with their field paths.
  SearchSpace& Float(const std::string& name, double low, double high, Scale scale = kLinear);
  // `step` > 1: only low, low + step, ... are admissible (YAML `step:`).
  SearchSpace& Int(const std::string& name, std::int64_t low, std::int64_t high,
                   Scale scale = kLinear, std::int64_t step = 0);
  SearchSpace& Categorical(const std::string& name, std::vector<ParamValue> choices);
  // Makes the parameter added last active only when `parent` holds one of `values`.
  // Throws Error(kInvalidArgument) when no parameter was added yet.
  SearchSpace& When(const std::string& parent, std::vector<ParamValue> values);
  // Adds any ParamSpec (grid_points, explicit grid values, ...).
  SearchSpace& Add(ParamSpec param);

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
  std::string last_;  // the name the builders added last (for When)
};

}  // namespace krige
