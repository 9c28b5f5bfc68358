#include "krige/limits.hpp"

namespace krige {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 (RFC 3629, Table 3-7 of Unicode).
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string TextProblem(std::string_view text, std::size_t max_bytes) {
  if (text.find('\0') != std::string_view::npos) return "must not contain NUL (\\u0000)";
  if (!IsValidUtf8(text)) return "must be valid UTF-8";
  if (text.size() > max_bytes) return "must be at most " + std::to_string(max_bytes) + " bytes";
  return {};
}

std::string SanitizeText(std::string_view text, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = SequenceLength(text, i);
    const bool bad = n == 0 || text[i] == '\0';
    const std::string_view piece = bad ? kReplacement : text.substr(i, n);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += bad ? 1 : n;
  }
  return out;
}

}  // namespace krige
