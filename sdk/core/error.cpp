#include "krige/error.hpp"

namespace krige {
namespace {

struct CodeName {
  ErrorCode code;
  std::string_view name;
};

constexpr CodeName kCodeNames[] = {
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kAlreadyExists, "already_exists"},
    {ErrorCode::kFailedPrecondition, "failed_precondition"},
    {ErrorCode::kUnauthenticated, "unauthenticated"},
    {ErrorCode::kPermissionDenied, "permission_denied"},
    {ErrorCode::kPayloadTooLarge, "payload_too_large"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kInternal, "internal"},
};

std::string JoinProblems(const std::vector<FieldProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += "; ";
    out += p.field.empty() ? p.message : p.field + ": " + p.message;
  }
  return out;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const auto& cn : kCodeNames)
    if (cn.code == code) return cn.name;
  return "internal";
}

ErrorCode ErrorCodeFromName(std::string_view name) {
  for (const auto& cn : kCodeNames)
    if (cn.name == name) return cn.code;
  return ErrorCode::kInternal;
}

ValidationError::ValidationError(std::vector<FieldProblem> problems)
    : Error(ErrorCode::kInvalidArgument, JoinProblems(problems),
            problems.empty() ? std::string() : problems.front().field),
      problems_(std::move(problems)) {}

}  // namespace krige
