// What a REST API token may do. Shared by the server (route table, token store) and the SDK
// (token management). Header-only value type.
#pragma once

#include <string>
#include <string_view>

#include "krige/error.hpp"

namespace krige {

// Ordered: each role can do everything the roles before it can.
enum class Role {
  kNone,   // a public route (GET /healthz, the dashboard's files): no token needed
  kRead,   // every GET of the API
  kWrite,  // also: create experiments that run built-in training, upload datasets
  kAdmin,  // also: token management, experiments with `training.kind: command` (they run
           // programs on workers)
};

inline std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

// "read" | "write" | "admin" -> the role a token can have; anything else (including "none")
// throws Error(kInvalidArgument) naming `field`.
inline Role TokenRoleFromName(std::string_view name, const std::string& field = "role") {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown role \"" + std::string(name) + "\" (known: read, write, admin)", field);
}

}  // namespace krige
