#include "krige/space.hpp"

#include "krige/error.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace krige {
namespace {

bool SameValue(const ParamValue& a, const ParamValue& b) {
  if (IsNumeric(a) && IsNumeric(b)) return AsDouble(a) == AsDouble(b);
  return a == b;
}

bool InDomain(const ParamSpec& spec, const ParamValue& value) {
  switch (spec.type) {
    case ParamType::kFloat:
      if (!IsNumeric(value)) return false;
      return AsDouble(value) >= spec.low && AsDouble(value) <= spec.high;
    case ParamType::kInt: {
      const auto* i = std::get_if<std::int64_t>(&value);
      if (!i) return false;
      const double step = spec.step > 0 ? spec.step : 1;
      const double offset = (static_cast<double>(*i) - spec.low) / step;
      return *i >= spec.low && *i <= spec.high && std::fabs(offset - std::round(offset)) < 1e-9;
    }
    case ParamType::kCategorical:
      return std::any_of(spec.choices.begin(), spec.choices.end(),
                         [&](const ParamValue& c) { return SameValue(c, value); });
  }
  return false;
}

}  // namespace

SearchSpace& SearchSpace::Add(ParamSpec param) {
  std::vector<ParamSpec> params = std::move(params_);
  params.erase(std::remove_if(params.begin(), params.end(),
                              [&](const ParamSpec& p) { return p.name == param.name; }),
               params.end());
  std::string name = param.name;
  params.push_back(std::move(param));
  *this = SearchSpace(std::move(params));  // keeps parents before children
  last_ = std::move(name);
  return *this;
}

SearchSpace& SearchSpace::Float(const std::string& name, double low, double high, Scale scale) {
  ParamSpec p;
  p.name = name;
  p.type = ParamType::kFloat;
  p.low = low;
  p.high = high;
  p.log = scale == Scale::kLog;
  return Add(std::move(p));
}

SearchSpace& SearchSpace::Int(const std::string& name, std::int64_t low, std::int64_t high,
                              Scale scale, std::int64_t step) {
  ParamSpec p;
  p.name = name;
  p.type = ParamType::kInt;
  p.low = static_cast<double>(low);
  p.high = static_cast<double>(high);
  p.log = scale == Scale::kLog;
  p.step = static_cast<double>(step);
  return Add(std::move(p));
}

SearchSpace& SearchSpace::Categorical(const std::string& name, std::vector<ParamValue> choices) {
  ParamSpec p;
  p.name = name;
  p.type = ParamType::kCategorical;
  p.choices = std::move(choices);
  return Add(std::move(p));
}

SearchSpace& SearchSpace::When(const std::string& parent, std::vector<ParamValue> values) {
  auto it = std::find_if(params_.begin(), params_.end(),
                         [&](const ParamSpec& p) { return p.name == last_; });
  if (last_.empty() || it == params_.end())
    throw Error(ErrorCode::kInvalidArgument, "When() needs a parameter added before it");
  ParamSpec p = *it;
  p.when = Condition{parent, std::move(values)};
  return Add(std::move(p));
}

SearchSpace::SearchSpace(std::vector<ParamSpec> params) {
  std::sort(params.begin(), params.end(),
            [](const ParamSpec& a, const ParamSpec& b) { return a.name < b.name; });
  // Topological order: repeatedly take the first parameter whose parent is already placed
  // (or absent). Cycles and dangling parents are left at the end, for Validate() to report.
  std::set<std::string> placed, names;
  for (const auto& p : params) names.insert(p.name);
  std::vector<bool> taken(params.size(), false);
  for (std::size_t round = 0; round < params.size(); ++round) {
    bool progressed = false;
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (taken[i]) continue;
      const auto& when = params[i].when;
      if (when && names.count(when->parent) && !placed.count(when->parent)) continue;
      taken[i] = true;
      placed.insert(params[i].name);
      params_.push_back(params[i]);
      progressed = true;
      break;
    }
    if (!progressed) break;
  }
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!taken[i]) params_.push_back(params[i]);
}

const ParamSpec* SearchSpace::Find(const std::string& name) const {
  for (const auto& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

bool SearchSpace::IsActive(const ParamSpec& spec, const Params& params) const {
  const ParamSpec* current = &spec;
  for (std::size_t depth = 0; depth <= params_.size(); ++depth) {
    if (!current->when) return true;
    const auto it = params.find(current->when->parent);
    if (it == params.end()) return false;
    const auto& allowed = current->when->values;
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const ParamValue& v) { return SameValue(v, it->second); }))
      return false;
    current = Find(current->when->parent);
    if (!current) return false;
  }
  return false;  // a cycle: never active
}

bool SearchSpace::Contains(const Params& params) const {
  std::size_t active = 0;
  for (const auto& spec : params_) {
    const auto it = params.find(spec.name);
    if (!IsActive(spec, params)) {
      if (it != params.end()) return false;
      continue;
    }
    if (it == params.end() || !InDomain(spec, it->second)) return false;
    ++active;
  }
  return active == params.size();
}

}  // namespace krige
