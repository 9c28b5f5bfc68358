#include <iostream>

#include <nlohmann/json.hpp>

#include "krige/error.hpp"
#include "krige/http/router.hpp"

namespace krige::http {
namespace {

using Json = nlohmann::json;

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response FromJson(int status, const Json& error) {
  Response response;
  response.status = status;
  // Invalid UTF-8 in a message (echoed user input) must not turn an error into a throw.
  response.body = Json{{"error", error}}.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

Response Internal(const char* what) {
  // The detail is for the operator's log only; clients learn nothing about internals.
  std::cerr << "krige http: internal error: " << what << '\n';
  return FromJson(500, {{"code", "internal"}, {"message", "internal error"}});
}

}  // namespace

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  return FromJson(status, {{"code", code}, {"message", message}});
}

Response ErrorToResponse(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
    return Internal("ErrorToResponse called without an exception");
  } catch (const Error& e) {
    const int status = StatusOf(e.code());
    if (status == 500) return Internal(e.what());
    Json body = {{"code", ErrorCodeName(e.code())}, {"message", e.what()}};
    if (!e.field().empty()) body["field"] = e.field();
    if (const auto* v = dynamic_cast<const ValidationError*>(&e)) {
      body["problems"] = Json::array();
      for (const auto& p : v->problems())
        body["problems"].push_back({{"field", p.field}, {"message", p.message}});
    }
    return FromJson(status, body);
  } catch (const std::exception& e) {
    return Internal(e.what());
  } catch (...) {
    return Internal("unknown exception");
  }
}

}  // namespace krige::http
