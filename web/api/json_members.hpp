// Reading the members of a JSON object's text without building a document (used by the
// columns answer, web/api/columns.cpp, for 100 000 trials' params).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace krige::web {

// A member: key without its quotes, value as written.
using JsonMember = std::pair<std::string_view, std::string_view>;

// The top-level members of a JSON object's text as slices of it (key without its quotes,
// value as written), without building a document: 100 000 nlohmann parses of the trials'
// params were about half of the columns answer's time at 100 000 trials. PostgreSQL writes
// jsonb in one canonical form ({"key": value, ...}); anything else this does not take on (a
// key with an escape, a repeated key, text that is not one object) returns false, and the
// caller parses it properly. Values are copied as PostgreSQL wrote them, valid JSON each.
// Thread-safe (no state); the slices point into `text`, which must outlive them.
bool ScanMembers(std::string_view text, std::vector<JsonMember>& out);

}  // namespace krige::web
