// Typed, checked access to a model's hyperparameters; whatever is not read is an error.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "krige/params.hpp"

namespace krige::training {

// Every accessor throws Error(kInvalidArgument, field "params.<name>") with a message naming
// the model and the parameter when the value has the wrong type or is out of range.
class HyperParameters {
 public:
  HyperParameters(std::string model, const Params& values);

  // A number (int or float). `low`/`high` bounds; `low_open` makes the low bound exclusive.
  double Float(const std::string& name, double fallback, double low, double high,
               bool low_open = false);
  // An integral number within [low, high].
  std::int64_t Int(const std::string& name, std::int64_t fallback, std::int64_t low,
                   std::int64_t high);
  // One of `choices`.
  std::string Choice(const std::string& name, const std::string& fallback,
                     const std::vector<std::string>& choices);
  // "true"/"false" (any case), or the numbers 1/0.
  bool Bool(const std::string& name, bool fallback);
  // Either a number in [low, high] (`low_open` as above) or one of `words`; returns the word, or
  // "" and stores the number in `number`.
  std::string FloatOrChoice(const std::string& name, const std::string& fallback, double low,
                            double high, bool low_open, const std::vector<std::string>& words,
                            double* number);

  // Throws for a combination of values the model cannot use, naming `name`.
  [[noreturn]] void Reject(const std::string& name, const std::string& problem) const {
    Fail(name, problem);
  }

  // Throws if some parameter was never read (an unknown name for this model).
  void RejectUnknown() const;

 private:
  [[noreturn]] void Fail(const std::string& name, const std::string& problem) const;
  const ParamValue* Find(const std::string& name);

  std::string model_;
  const Params& values_;
  std::set<std::string> read_;
};

}  // namespace krige::training
