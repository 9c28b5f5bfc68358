// Request decoding and response encoding shared by the API handlers. Every decoder throws
// krige::Error(kInvalidArgument) naming the offending field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "krige/codec.hpp"
#include "krige/http/router.hpp"

namespace krige::web {

// The path parameter `name` as a positive integer id; field = name.
std::int64_t PathId(const http::Request& request, const std::string& name);

// Query parameter `name`, if present and non-empty. Text that cannot reach PostgreSQL (NUL,
// invalid UTF-8 after percent-decoding) or is longer than limits::kStringBytes is a 400 naming
// `name`.
std::optional<std::string> QueryParam(const http::Request& request, const std::string& name);

// A page cursor, as the lists hand them out in `next_cursor`: "<id>" (experiments, id >= 1),
// "n:<number>" or "v:<value>:<number>" (trials; number >= 0 and fits an int, value a finite
// double), "w:<worker id>" (workers; 1..256 bytes of text). Strict: decimal digits only, no
// sign, space or leading zero in integers, the whole text consumed. Every list parses its
// cursor here, so storage only sees well-formed ones.
struct Cursor {
  enum class Kind { kId, kNumber, kValue, kWorker };
  Kind kind = Kind::kId;
  std::int64_t id = 0;  // kId
  int number = 0;       // kNumber, kValue
  double value = 0;     // kValue
  std::string worker;   // kWorker
};
std::optional<Cursor> ParseCursor(std::string_view text);

// The `cursor` query parameter: "" when absent, else the text of a cursor of one of `accepted`
// kinds; anything else is a 400 with field "cursor".
std::string QueryCursor(const http::Request& request, std::initializer_list<Cursor::Kind> accepted);

// Query integer within [low, high], or `fallback` when absent; field = name.
int QueryInt(const http::Request& request, const std::string& name, int low, int high,
             int fallback);

// The request body as a JSON document; malformed JSON is kInvalidArgument (via ParseJson).
Json BodyJson(const http::Request& request);

// A JSON response; invalid UTF-8 in stored strings is replaced, never thrown.
http::Response JsonResponse(int status, const Json& body);

// CSV cells (RFC 4180 quoting). A text cell a spreadsheet would read as a formula (=, +, -, @,
// tab, CR first) gets a leading '. CsvNumber: the shortest round trip; NaN, Infinity and
// -Infinity as those words.
std::string CsvCell(const std::string& text, bool is_text);
std::string CsvJson(const Json& v);  // null: empty; a string: CsvCell; else its JSON text
std::string CsvNumber(double v);

}  // namespace krige::web
