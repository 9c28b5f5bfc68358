// Validation of `pruner:` (the pruners themselves are in tuners/pruners; core knows only their
// names and options, so that the server, the SDK and the CLI reject the same specs).
#include <cmath>
#include <map>
#include <set>

#include "krige/limits.hpp"
#include "krige/spec.hpp"

namespace krige {
namespace {

// One option: its default is not needed here, only its range and whether it is an integer.
struct OptionRule {
  double low;
  double high;
  bool integer;
};

constexpr double kBig = 1e9;

const std::map<std::string, std::map<std::string, OptionRule>>& Rules() {
  static const std::map<std::string, OptionRule> kPercentile = {
      {"n_startup_trials", {0, kBig, true}},
      {"n_warmup_steps", {0, kBig, true}},
      {"interval_steps", {1, kBig, true}},
      {"n_min_trials", {1, kBig, true}},
  };
  static const std::map<std::string, std::map<std::string, OptionRule>> kRules = [] {
    std::map<std::string, std::map<std::string, OptionRule>> r;
    r["median"] = kPercentile;
    r["percentile"] = kPercentile;
    r["percentile"]["percentile"] = {0, 100, false};
    r["asha"] = {{"min_resource", {1, kBig, true}},
                 {"reduction_factor", {2, 1000, true}},
                 {"min_early_stopping_rate", {0, 60, true}},
                 {"bootstrap_count", {0, kBig, true}}};
    r["hyperband"] = {{"min_resource", {1, kBig, true}},
                      {"max_resource", {1, kBig, true}},
                      {"reduction_factor", {2, 1000, true}},
                      {"bootstrap_count", {0, kBig, true}}};
    r["folds"] = {{"n_startup_trials", {1, kBig, true}},
                  {"min_steps", {1, kBig, true}},
                  {"bound", {-1e300, 1e300, false}},
                  {"best_seen", {0, 1, true}}};
    return r;
  }();
  return kRules;
}

std::string Format(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return std::to_string(v);
}

}  // namespace

const std::vector<std::string>& KnownPruners() {
  static const std::vector<std::string> kNames = {"asha", "folds", "hyperband", "median",
                                                  "percentile"};
  return kNames;
}

std::vector<FieldProblem> ValidatePruner(const PrunerSpec& pruner, int steps) {
  std::vector<FieldProblem> out;
  if (pruner.name.empty()) {
    if (!pruner.options.empty()) out.push_back({"pruner.name", "must name a pruner"});
    return out;
  }
  const auto rules = Rules().find(pruner.name);
  if (rules == Rules().end()) {
    std::string known;
    for (const auto& n : KnownPruners()) known += (known.empty() ? "" : ", ") + n;
    out.push_back({"pruner.name",
                   "unknown pruner \"" + pruner.name.substr(0, 64) + "\" (known: " + known + ")"});
    return out;
  }
  if (pruner.options.size() > limits::kTunerOptions) {
    out.push_back(
        {"pruner", "must have at most " + std::to_string(limits::kTunerOptions) + " options"});
    return out;
  }
  for (const auto& [key, value] : pruner.options) {
    const std::string field = "pruner." + key;
    const auto rule = rules->second.find(key);
    if (rule == rules->second.end()) {
      std::string known;
      for (const auto& [k, r] : rules->second) known += (known.empty() ? "" : ", ") + k;
      out.push_back({field, "is not an option of " + pruner.name + " (known: " + known + ")"});
      continue;
    }
    const OptionRule& r = rule->second;
    if (!std::isfinite(value) || value < r.low || value > r.high) {
      out.push_back({field, "must be between " + Format(r.low) + " and " + Format(r.high)});
    } else if (r.integer && value != std::floor(value)) {
      out.push_back({field, "must be an integer"});
    }
  }
  const auto option = [&](const char* key, double fallback) {
    const auto it = pruner.options.find(key);
    return it == pruner.options.end() ? fallback : it->second;
  };
  if (pruner.name == "percentile" && !pruner.options.count("percentile"))
    out.push_back({"pruner.percentile", "is required (0 to 100: the share of trials kept)"});
  if (pruner.name == "hyperband") {
    const double max_resource = option("max_resource", steps);
    if (max_resource > 0 && max_resource < option("min_resource", 1))
      out.push_back({"pruner.max_resource", "must be >= min_resource"});
  }
  return out;
}

}  // namespace krige
