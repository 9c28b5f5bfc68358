#include "decode.hpp"

#include <charconv>

#include "krige/error.hpp"

namespace krige::web {
namespace {

template <typename Int>
std::optional<Int> ParseInt(const std::string& text) {
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::int64_t PathId(const http::Request& request, const std::string& name) {
  const auto it = request.path_params.find(name);
  const std::string text = it == request.path_params.end() ? std::string() : it->second;
  const auto id = ParseInt<std::int64_t>(text);
  if (!id || *id <= 0)
    throw Error(ErrorCode::kInvalidArgument,
                name + " must be a positive integer, got \"" + text + "\"", name);
  return *id;
}

std::optional<std::string> QueryParam(const http::Request& request, const std::string& name) {
  const auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

int QueryInt(const http::Request& request, const std::string& name, int low, int high,
             int fallback) {
  const auto text = QueryParam(request, name);
  if (!text) return fallback;
  const auto value = ParseInt<int>(*text);
  if (!value || *value < low || *value > high)
    throw Error(ErrorCode::kInvalidArgument,
                name + " must be an integer between " + std::to_string(low) + " and " +
                    std::to_string(high) + ", got \"" + *text + "\"",
                name);
  return *value;
}

Json BodyJson(const http::Request& request) {
  return ParseJson(request.body);
}

http::Response JsonResponse(int status, const Json& body) {
  http::Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

}  // namespace krige::web
