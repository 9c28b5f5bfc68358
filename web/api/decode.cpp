#include "decode.hpp"

#include <charconv>
#include <cmath>

#include "krige/error.hpp"
#include "krige/limits.hpp"

namespace krige::web {
namespace {

template <typename Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// A non-negative integer as the server writes one: digits only, no leading zero (but "0").
template <typename Int>
std::optional<Int> ParseCanonical(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  const auto value = ParseInt<Int>(text);  // fails on overflow
  if (!value || *value < 0) return std::nullopt;
  return value;
}

constexpr std::size_t kMaxCursorBytes = 64;
constexpr std::size_t kMaxWorkerIdBytes = 256;  // as HELLO's worker_id (docs/api.md, Limits)

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
  const std::string problem = TextProblem(it->second, limits::kStringBytes);
  if (!problem.empty()) throw Error(ErrorCode::kInvalidArgument, name + " " + problem, name);
  return it->second;
}

std::optional<Cursor> ParseCursor(std::string_view text) {
  if (text.substr(0, 2) == "w:") {  // a worker id: text, longer than a numeric cursor
    const std::string_view id = text.substr(2);
    if (id.empty() || !TextProblem(id, kMaxWorkerIdBytes).empty()) return std::nullopt;
    Cursor c;
    c.kind = Cursor::Kind::kWorker;
    c.worker = std::string(id);
    return c;
  }
  if (text.empty() || text.size() > kMaxCursorBytes) return std::nullopt;
  Cursor c;
  if (text.substr(0, 2) == "n:") {
    const auto number = ParseCanonical<int>(text.substr(2));
    if (!number) return std::nullopt;
    c.kind = Cursor::Kind::kNumber;
    c.number = *number;
    return c;
  }
  if (text.substr(0, 2) == "v:") {
    const std::string_view rest = text.substr(2);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view value = rest.substr(0, colon);
    // from_chars takes no leading '+' or space; it does take "inf" and "nan", refused below.
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), c.value,
                                           std::chars_format::general);
    if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(c.value))
      return std::nullopt;
    const auto number = ParseCanonical<int>(rest.substr(colon + 1));
    if (!number) return std::nullopt;
    c.kind = Cursor::Kind::kValue;
    c.number = *number;
    return c;
  }
  const auto id = ParseCanonical<std::int64_t>(text);
  if (!id || *id < 1) return std::nullopt;
  c.kind = Cursor::Kind::kId;
  c.id = *id;
  return c;
}

std::string QueryCursor(const http::Request& request,
                        std::initializer_list<Cursor::Kind> accepted) {
  const auto it = request.query.find("cursor");
  if (it == request.query.end() || it->second.empty()) return {};
  const auto cursor = ParseCursor(it->second);
  bool ok = false;
  for (const auto kind : accepted) ok = ok || (cursor && cursor->kind == kind);
  if (!ok)
    throw Error(ErrorCode::kInvalidArgument,
                "malformed cursor: pass the next_cursor of the previous page unchanged", "cursor");
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

namespace krige::web {

std::string CsvCell(const std::string& text, bool is_text) {
  std::string v = text;
  if (is_text && !v.empty() && std::string("=+-@\t\r").find(v[0]) != std::string::npos) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvJson(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvCell(v.get<std::string>(), true);
  return CsvCell(v.dump(), false);
}

std::string CsvNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return Json(v).dump();  // the shortest text that reads back as v
}

}  // namespace krige::web
