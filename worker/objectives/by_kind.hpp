#pragma once

#include <map>
#include <string>

#include "krige/worker.hpp"

namespace krige::objectives {

// One objective for a worker that can run several training kinds: each trial goes to the
// objective registered for its training.kind ("cv", "command"); an unknown kind fails the
// trial with the list of known ones.
ObjectiveFn ByKind(std::map<std::string, ObjectiveFn> objectives);

}  // namespace krige::objectives
