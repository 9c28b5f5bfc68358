#include "gp/gp_tuner.hpp"
#include "grid/grid_tuner.hpp"
#include "krige/error.hpp"
#include "krige/tuners/tuner.hpp"
#include "random/random_tuner.hpp"
#include "sobol/sobol_tuner.hpp"

namespace krige::tuners {

void Registry::Add(const std::string& name, TunerFactory factory) {
  factories_[name] = std::move(factory);
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
  registry.Add("gp", MakeGpTuner);
  registry.Add("grid", MakeGridTuner);
  registry.Add("random", MakeRandomTuner);
  registry.Add("sobol", MakeSobolTuner);
  return registry;
}

std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace krige::tuners
