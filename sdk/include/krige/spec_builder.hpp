// Spec: an ExperimentSpec written in C++ as it reads in YAML.
//
//   const krige::ExperimentSpec spec = krige::Spec("branin")
//       .Minimize("loss")
//       .Tuner("gp", /*seed=*/7)
//       .MaxTrials(30)
//       .Space(krige::SearchSpace().Float("x", -5, 10).Float("y", 0, 15))
//       .Function("branin");  // training: {kind: function, function: branin}
//
// gives the ExperimentSpec that SpecFromJson gives for the same YAML. Nothing is validated
// here: Validate(spec) lists the problems, and the server rejects a bad spec with them.
// A Spec is a value; it converts to `const ExperimentSpec&` wherever one is taken
// (Client::CreateExperiment, krige::Optimize).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "krige/space.hpp"
#include "krige/spec.hpp"

namespace krige {

class Spec {
 public:
  explicit Spec(std::string name);

  // objective: {metric: METRIC, goal: minimize|maximize}
  Spec& Minimize(std::string metric);
  Spec& Maximize(std::string metric);
  // tuner: {name: NAME, seed: SEED}; options one by one (tuner: {options: {KEY: VALUE}}).
  Spec& Tuner(std::string name, std::uint64_t seed = 0);
  Spec& TunerOption(const std::string& key, double value);
  Spec& MaxTrials(int max_trials);
  Spec& Parallelism(int parallelism);
  Spec& MaxAttempts(int max_attempts);
  Spec& Space(SearchSpace space);
  // training: {kind: function, function: NAME}: trials for workers that registered NAME
  // (krige::Objectives::functions), e.g. krige::Optimize's.
  Spec& Function(std::string name);
  // training: {kind: command, command: ARGV, timeout_seconds: T}
  Spec& Command(std::vector<std::string> argv, double timeout_seconds = 0);
  // Any training section (cross-validation of a built-in model, ...).
  Spec& Training(TrainingSpec training);

  const ExperimentSpec& spec() const { return spec_; }
  operator const ExperimentSpec&() const { return spec_; }  // NOLINT: meant to be implicit

 private:
  ExperimentSpec spec_;
};

}  // namespace krige
