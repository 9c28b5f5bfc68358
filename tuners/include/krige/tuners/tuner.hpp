// Tuners propose configurations: ask/tell, pure. A tuner's suggestions are a function of
// (space, goal, seed, options, history) only: no clock, no global RNG, no I/O, no threads.
// A restarted coordinator that rebuilds the history from the store continues exactly where
// it stopped.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krige/params.hpp"
#include "krige/space.hpp"
#include "krige/spec.hpp"

namespace krige::tuners {

struct Observation {
  Params params;
  double value = 0;  // the objective as reported; TunerContext::goal says which way is better
};

// What the tuner knows of an experiment. `pending` are trials handed out but not finished:
// a suggestion must differ from every completed, failed and pending configuration.
struct History {
  std::vector<Observation> completed;
  std::vector<Params> failed;
  std::vector<Params> pending;
  // Finished trials the caller counted instead of listing: only for a tuner whose
  // ReadsHistory() is false.
  std::size_t unlisted = 0;
  std::size_t size() const { return completed.size() + failed.size() + pending.size() + unlisted; }
};

struct Suggestion {
  Params params;
  std::string note;  // e.g. why the gp fell back to sobol; the coordinator logs it
};

struct TunerContext {
  SearchSpace space;
  Goal goal = Goal::kMaximize;
  std::uint64_t seed = 0;
  std::map<std::string, double> options;

  // options[name], or `fallback` when it is absent or not finite.
  double Option(const char* name, double fallback) const {
    const auto it = options.find(name);
    return it == options.end() || !std::isfinite(it->second) ? fallback : it->second;
  }
};

class Tuner {
 public:
  virtual ~Tuner() = default;
  // Up to n new configurations (fewer only when the space is exhausted, e.g. a finished grid).
  // Const and deterministic: the same history gives the same suggestions. Never throws for
  // numerical trouble; throws krige::Error only for a space it cannot handle.
  virtual std::vector<Suggestion> Suggest(const History& history, int n) const = 0;
  // The number of distinct configurations this tuner will ever propose (grid), if finite.
  virtual std::optional<std::size_t> Capacity() const { return std::nullopt; }
  // False when its suggestions depend on the number of finished trials only, not on their
  // configurations or values (random and sobol over a space whose configurations cannot
  // repeat): the caller may then count them (History::unlisted) instead of keeping them, so
  // that a million-trial experiment costs its coordinator a counter.
  virtual bool ReadsHistory() const { return true; }
};

using TunerFactory = std::function<std::unique_ptr<Tuner>(const TunerContext&)>;

// Parts picked by name; filled explicitly by DefaultRegistry(), no static self-registration.
class Registry {
 public:
  // `options`: the names of the options the tuner reads (TunerContext::options); submission
  // rejects any other. nullopt: not declared, nothing is checked.
  void Add(const std::string& name, TunerFactory factory,
           std::optional<std::vector<std::string>> options = std::nullopt);
  // Throws krige::Error(kInvalidArgument) for an unknown name.
  std::unique_ptr<Tuner> Create(const std::string& name, const TunerContext& context) const;
  std::vector<std::string> Names() const;
  // The problems of `tuner`'s options for a tuner of this registry: each unknown option, at
  // its field path (tuner.options.NAME). Empty for an unknown tuner (Validate reports that).
  std::vector<FieldProblem> CheckOptions(const TunerSpec& tuner) const;

 private:
  std::map<std::string, TunerFactory> factories_;
  std::map<std::string, std::vector<std::string>> options_;
};

// Every tuner krige ships.
Registry DefaultRegistry();

// A 64-bit seed for stream `stream` of `seed` (SplitMix64 mixing); tuners derive the random
// state of the k-th suggestion from (seed, k) so that results do not depend on batch sizes.
std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t stream);

}  // namespace krige::tuners
