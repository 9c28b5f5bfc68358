#pragma once

#include <map>
#include <string>

#include "krige/worker.hpp"

namespace krige::objectives {

// One objective for a worker that can run several training kinds: each trial goes to the
// objective registered for its training.kind ("cv", "command"); an unknown kind fails the
// trial with the list of known ones.
ObjectiveFn ByKind(std::map<std::string, ObjectiveFn> objectives);

// Stands for an objective this worker was not allowed to run: every trial of that kind fails
// with Error(kPermissionDenied) saying `how_to_allow` ("start krige-worker with
// --allow-commands"). Registered under "command" unless krige-worker --allow-commands.
ObjectiveFn NotAllowed(const std::string& kind, const std::string& how_to_allow);

}  // namespace krige::objectives
