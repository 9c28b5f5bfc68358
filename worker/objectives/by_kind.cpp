#include "objectives/by_kind.hpp"

#include "krige/error.hpp"

namespace krige::objectives {

ObjectiveFn ByKind(std::map<std::string, ObjectiveFn> objectives) {
  return [objectives = std::move(objectives)](const TrialContext& trial) {
    const auto it = objectives.find(trial.training.kind);
    if (it == objectives.end()) {
      std::string known;
      for (const auto& [kind, fn] : objectives) known += (known.empty() ? "" : ", ") + kind;
      throw Error(ErrorCode::kInvalidArgument,
                  "this worker cannot run training kind \"" + trial.training.kind +
                      "\" (it runs: " + known + ")",
                  "training.kind");
    }
    return it->second(trial);
  };
}

ObjectiveFn NotAllowed(const std::string& kind, const std::string& how_to_allow) {
  return [kind, how_to_allow](const TrialContext&) -> TrialOutput {
    throw Error(ErrorCode::kPermissionDenied,
                "this worker does not run training kind \"" + kind + "\" trials: " + how_to_allow,
                "training.kind");
  };
}

}  // namespace krige::objectives
