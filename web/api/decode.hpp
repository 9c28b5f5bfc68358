// Request decoding and response encoding shared by the API handlers. Every decoder throws
// krige::Error(kInvalidArgument) naming the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "krige/codec.hpp"
#include "krige/http/router.hpp"

namespace krige::web {

// The path parameter `name` as a positive integer id; field = name.
std::int64_t PathId(const http::Request& request, const std::string& name);

// Query parameter `name`, if present and non-empty.
std::optional<std::string> QueryParam(const http::Request& request, const std::string& name);

// Query integer within [low, high], or `fallback` when absent; field = name.
int QueryInt(const http::Request& request, const std::string& name, int low, int high,
             int fallback);

// The request body as a JSON document; malformed JSON is kInvalidArgument (via ParseJson).
Json BodyJson(const http::Request& request);

// A JSON response; invalid UTF-8 in stored strings is replaced, never thrown.
http::Response JsonResponse(int status, const Json& body);

}  // namespace krige::web
