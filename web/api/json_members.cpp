// See json_members.hpp.
#include "json_members.hpp"

namespace krige::web {
namespace {

bool Digit(char c) {
  return c >= '0' && c <= '9';
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < n && Digit(s[i])) ++i;
    return i > from;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

}  // namespace

bool ScanMembers(std::string_view text, std::vector<JsonMember>& out) {
  out.clear();
  std::size_t i = 0;
  const std::size_t n = text.size();
  const auto space = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
  };
  const auto string_end = [&](std::size_t from) -> std::size_t {  // from: after the quote
    for (std::size_t j = from; j < n; ++j) {
      if (text[j] == '\\') {
        ++j;
      } else if (text[j] == '"') {
        return j;
      }
    }
    return std::string_view::npos;
  };
  space();
  if (i >= n || text[i] != '{') return false;
  ++i;
  space();
  if (i < n && text[i] == '}') {
    ++i;
    space();
    return i == n;
  }
  for (;;) {
    space();
    if (i >= n || text[i] != '"') return false;
    const std::size_t key_end = string_end(i + 1);
    if (key_end == std::string_view::npos) return false;
    const std::string_view key = text.substr(i + 1, key_end - i - 1);
    if (key.find('\\') != std::string_view::npos) return false;
    for (const auto& m : out)
      if (m.first == key) return false;
    i = key_end + 1;
    space();
    if (i >= n || text[i] != ':') return false;
    ++i;
    space();
    if (i >= n) return false;
    const std::size_t start = i;
    if (text[i] == '"') {
      const std::size_t end = string_end(i + 1);
      if (end == std::string_view::npos) return false;
      i = end + 1;
    } else if (text[i] == '{' || text[i] == '[') {
      int depth = 0;
      for (; i < n; ++i) {
        const char c = text[i];
        if (c == '"') {
          i = string_end(i + 1);
          if (i == std::string_view::npos) return false;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          ++i;
          break;
        }
      }
      if (depth != 0) return false;
    } else {
      while (i < n && text[i] != ',' && text[i] != '}' && text[i] != ' ' && text[i] != '\n' &&
             text[i] != '\t' && text[i] != '\r')
        ++i;
      const std::string_view scalar = text.substr(start, i - start);
      const bool number = IsJsonNumber(scalar);
      if (!number && scalar != "true" && scalar != "false" && scalar != "null") return false;
    }
    out.emplace_back(key, text.substr(start, i - start));
    space();
    if (i >= n) return false;
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] != '}') return false;
    ++i;
    space();
    return i == n;
  }
}

}  // namespace krige::web
