#include "krige/spec_builder.hpp"

#include <utility>

namespace krige {

Spec::Spec(std::string name) {
  spec_.name = std::move(name);
}

Spec& Spec::Minimize(std::string metric) {
  spec_.objective = Objective{std::move(metric), Goal::kMinimize};
  return *this;
}

Spec& Spec::Maximize(std::string metric) {
  spec_.objective = Objective{std::move(metric), Goal::kMaximize};
  return *this;
}

Spec& Spec::Tuner(std::string name, std::uint64_t seed) {
  spec_.tuner.name = std::move(name);
  spec_.tuner.seed = seed;
  return *this;
}

Spec& Spec::TunerOption(const std::string& key, double value) {
  spec_.tuner.options[key] = value;
  return *this;
}

Spec& Spec::MaxTrials(int max_trials) {
  spec_.max_trials = max_trials;
  return *this;
}

Spec& Spec::Parallelism(int parallelism) {
  spec_.parallelism = parallelism;
  return *this;
}

Spec& Spec::MaxAttempts(int max_attempts) {
  spec_.max_attempts = max_attempts;
  return *this;
}

Spec& Spec::Space(SearchSpace space) {
  spec_.space = std::move(space);
  return *this;
}

Spec& Spec::Function(std::string name) {
  TrainingSpec t;
  t.kind = "function";
  t.function = std::move(name);
  return Training(std::move(t));
}

Spec& Spec::Command(std::vector<std::string> argv, double timeout_seconds) {
  TrainingSpec t;
  t.kind = "command";
  t.command = std::move(argv);
  t.timeout_seconds = timeout_seconds;
  return Training(std::move(t));
}

Spec& Spec::Training(TrainingSpec training) {
  spec_.training = std::move(training);
  return *this;
}

}  // namespace krige
