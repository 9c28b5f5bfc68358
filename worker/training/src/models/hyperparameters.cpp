#include "models/hyperparameters.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "krige/error.hpp"
#include "krige/spec.hpp"

namespace krige::training {
namespace {

std::string Describe(double low, double high, bool low_open) {
  std::string lo = ToString(ParamValue{low});
  std::string hi = ToString(ParamValue{high});
  if (std::isinf(high)) return std::string(low_open ? "> " : ">= ") + lo;
  return std::string("in ") + (low_open ? "(" : "[") + lo + ", " + hi + "]";
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : "|") + w;
  return out;
}

}  // namespace

HyperParameters::HyperParameters(std::string model, const Params& values)
    : model_(std::move(model)), values_(values) {}

void HyperParameters::Fail(const std::string& name, const std::string& problem) const {
  throw Error(ErrorCode::kInvalidArgument, model_ + ": hyperparameter \"" + name + "\" " + problem,
              "params." + name);
}

const ParamValue* HyperParameters::Find(const std::string& name) {
  // The names a model takes are listed once, in sdk/core (ModelHyperparameters), where
  // submission is validated: a trainer must not read a name that list does not have.
  const auto* declared = ModelHyperparameters(model_);
  if (declared && std::find(declared->begin(), declared->end(), name) == declared->end())
    throw Error(ErrorCode::kInternal, model_ + " reads hyperparameter \"" + name +
                                          "\", which ModelHyperparameters does not list");
  read_.insert(name);
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

double HyperParameters::Float(const std::string& name, double fallback, double low, double high,
                              bool low_open) {
  const ParamValue* v = Find(name);
  if (!v) return fallback;
  if (!IsNumeric(*v)) Fail(name, "must be a number, got \"" + ToString(*v) + "\"");
  const double x = AsDouble(*v);
  if (!std::isfinite(x) || (low_open ? x <= low : x < low) || x > high)
    Fail(name, "must be " + Describe(low, high, low_open) + ", got " + ToString(*v));
  return x;
}

std::int64_t HyperParameters::Int(const std::string& name, std::int64_t fallback, std::int64_t low,
                                  std::int64_t high) {
  const ParamValue* v = Find(name);
  if (!v) return fallback;
  if (!IsNumeric(*v)) Fail(name, "must be an integer, got \"" + ToString(*v) + "\"");
  const double x = AsDouble(*v);
  if (x != std::floor(x)) Fail(name, "must be an integer, got " + ToString(*v));
  if (x < static_cast<double>(low) || x > static_cast<double>(high))
    Fail(name, "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " +
                   ToString(*v));
  return static_cast<std::int64_t>(x);
}

std::string HyperParameters::Choice(const std::string& name, const std::string& fallback,
                                    const std::vector<std::string>& choices) {
  const ParamValue* v = Find(name);
  if (!v) return fallback;
  const std::string s = ToString(*v);
  if (!std::holds_alternative<std::string>(*v) ||
      std::find(choices.begin(), choices.end(), s) == choices.end())
    Fail(name, "must be one of " + Join(choices) + ", got " + s);
  return s;
}

bool HyperParameters::Bool(const std::string& name, bool fallback) {
  const ParamValue* v = Find(name);
  if (!v) return fallback;
  if (IsNumeric(*v)) {
    const double x = AsDouble(*v);
    if (x == 0 || x == 1) return x == 1;
  } else {
    std::string s = std::get<std::string>(*v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true") return true;
    if (s == "false") return false;
  }
  Fail(name, "must be true or false, got " + ToString(*v));
}

std::string HyperParameters::FloatOrChoice(const std::string& name, const std::string& fallback,
                                           double low, double high, bool low_open,
                                           const std::vector<std::string>& words, double* number) {
  const ParamValue* v = Find(name);
  if (!v) return fallback;
  if (!IsNumeric(*v)) {
    const std::string s = std::get<std::string>(*v);
    if (std::find(words.begin(), words.end(), s) == words.end())
      Fail(name, "must be one of " + Join(words) + " or a number " + Describe(low, high, low_open) +
                     ", got \"" + s + "\"");
    return s;
  }
  *number = Float(name, 0, low, high, low_open);
  return "";
}

void HyperParameters::RejectUnknown() const {
  for (const auto& [name, value] : values_) {
    if (read_.count(name)) continue;
    std::string known;
    for (const auto& r : read_) known += (known.empty() ? "" : ", ") + r;
    throw Error(ErrorCode::kInvalidArgument,
                model_ + ": unknown hyperparameter \"" + name + "\" (known: " + known + ")",
                "params." + name);
  }
}

}  // namespace krige::training
