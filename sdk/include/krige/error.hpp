// krige's error tree. Every boundary (PostgreSQL, libraries, HTTP, wire) translates its own
// failures into one of these codes exactly once; the REST layer maps codes to HTTP statuses.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace krige {

enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kPayloadTooLarge,
  kUnavailable,
  kInternal,
};

// Stable snake_case name used in the REST error body ("invalid_argument").
std::string_view ErrorCodeName(ErrorCode code);
ErrorCode ErrorCodeFromName(std::string_view name);

// One problem with an input, located by its field path ("space.C.low").
struct FieldProblem {
  std::string field;
  std::string message;
  bool operator==(const FieldProblem& o) const { return field == o.field && message == o.message; }
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}
  ErrorCode code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  ErrorCode code_;
  std::string field_;
};

// An input with one or more problems; what() joins them, problems() lists each one.
class ValidationError : public Error {
 public:
  explicit ValidationError(std::vector<FieldProblem> problems);
  const std::vector<FieldProblem>& problems() const { return problems_; }

 private:
  std::vector<FieldProblem> problems_;
};

}  // namespace krige
