#include <algorithm>

#include "auto/auto_tuner.hpp"
#include "cmaes/cmaes_tuner.hpp"
#include "gp/gp_tuner.hpp"
#include "grid/grid_tuner.hpp"
#include "krige/error.hpp"
#include "krige/tuners/tuner.hpp"
#include "random/random_tuner.hpp"
#include "sobol/sobol_tuner.hpp"
#include "tpe/tpe_tuner.hpp"

namespace krige::tuners {

void Registry::Add(const std::string& name, TunerFactory factory,
                   std::optional<std::vector<std::string>> options) {
  factories_[name] = std::move(factory);
  if (options) options_[name] = std::move(*options);
}

std::vector<FieldProblem> Registry::CheckOptions(const TunerSpec& tuner) const {
  std::vector<FieldProblem> out;
  const auto it = options_.find(tuner.name);
  if (it == options_.end()) return out;
  const std::vector<std::string>& known = it->second;
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  for (const auto& [key, value] : tuner.options) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    out.push_back(
        {"tuner.options." + key, tuner.name + " has no option '" + key.substr(0, 64) + "' (" +
                                     (known.empty() ? "it takes none" : "it has " + list) + ")"});
  }
  return out;
}

std::unique_ptr<Tuner> Registry::Create(const std::string& name,
                                        const TunerContext& context) const {
  const auto it = factories_.find(name);
  if (it == factories_.end())
    throw Error(ErrorCode::kInvalidArgument, "unknown tuner \"" + name + "\"", "tuner.name");
  return it->second(context);
}

std::vector<std::string> Registry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

Registry DefaultRegistry() {
  Registry registry;
  // The options each tuner reads (docs/tuners.md describes them).
  registry.Add("auto", MakeAutoTuner, std::vector<std::string>{"gp_trials", "cmaes_dims"});
  registry.Add(
      "gp", MakeGpTuner,
      std::vector<std::string>{"n_initial", "warp", "fit_restarts", "max_fit_points", "candidates",
                               "half_rank", "max_posterior_points", "trust_region", "batch"});
  registry.Add("cmaes", MakeCmaesTuner,
               std::vector<std::string>{"n_startup_trials", "popsize", "inc_popsize", "restarts",
                                        "sigma0", "margin"});
  registry.Add("grid", MakeGridTuner, std::vector<std::string>{"retry_failed"});
  registry.Add("random", MakeRandomTuner, std::vector<std::string>{});
  registry.Add("sobol", MakeSobolTuner, std::vector<std::string>{});
  registry.Add("tpe", MakeTpeTuner,
               std::vector<std::string>{"n_startup_trials", "n_ei_candidates", "multivariate",
                                        "group", "constant_liar", "prior_weight",
                                        "consider_endpoints", "consider_magic_clip"});
  return registry;
}

std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace krige::tuners
