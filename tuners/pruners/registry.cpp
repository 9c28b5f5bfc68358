#include "krige/error.hpp"
#include "krige/spec.hpp"
#include "pruners/pruners.hpp"

namespace krige::tuners {

void PrunerRegistry::Add(const std::string& name, PrunerFactory factory) {
  factories_[name] = std::move(factory);
}

std::unique_ptr<Pruner> PrunerRegistry::Create(const std::string& name,
                                               const PrunerContext& context) const {
  const auto it = factories_.find(name);
  if (it == factories_.end())
    throw Error(ErrorCode::kInvalidArgument, "unknown pruner \"" + name + "\"", "pruner.name");
  return it->second(context);
}

std::vector<std::string> PrunerRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

PrunerRegistry DefaultPruners() {
  PrunerRegistry registry;
  registry.Add("asha", MakeAshaPruner);
  registry.Add("folds", MakeFoldsPruner);
  registry.Add("hyperband", MakeHyperbandPruner);
  registry.Add("median", MakeMedianPruner);
  registry.Add("percentile", MakePercentilePruner);
  return registry;
}

std::optional<double> MetricBound(const std::string& metric, Goal goal) {
  const bool greater = MetricIsGreaterBetter(metric);
  if (greater != (goal == Goal::kMaximize)) return std::nullopt;
  static const std::vector<std::string> kAtMostOne = {"accuracy",
                                                      "balanced_accuracy",
                                                      "f1",
                                                      "precision",
                                                      "recall",
                                                      "roc_auc",
                                                      "f1_macro",
                                                      "f1_micro",
                                                      "f1_weighted",
                                                      "precision_macro",
                                                      "precision_micro",
                                                      "precision_weighted",
                                                      "recall_macro",
                                                      "recall_micro",
                                                      "recall_weighted",
                                                      "r2",
                                                      "silhouette"};
  static const std::vector<std::string> kAtLeastZero = {"rmse", "mae", "log_loss", "inertia"};
  for (const auto& m : kAtMostOne)
    if (m == metric) return 1.0;
  for (const auto& m : kAtLeastZero)
    if (m == metric) return 0.0;
  return std::nullopt;
}

}  // namespace krige::tuners
