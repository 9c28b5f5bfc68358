// What the fuzz targets share: an invariant check that stops the run (libFuzzer then keeps
// the input as a crash artifact), and the test for text PostgreSQL would refuse.
#pragma once

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

// Not assert(): it must hold in every build type, and the message names the broken invariant.
#define KRIGE_FUZZ_CHECK(condition)                                                          \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace krige::fuzz {

// True when a key or string anywhere in `j` holds NUL, which jsonb and text columns refuse.
// (Invalid UTF-8 needs no check of its own: a strict dump() throws on it.)
inline bool HasNul(const nlohmann::json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().find('\0') != std::string::npos;
  if (j.is_object()) {
    for (const auto& item : j.items())
      if (item.key().find('\0') != std::string::npos || HasNul(item.value())) return true;
  }
  if (j.is_array()) {
    for (const auto& v : j)
      if (HasNul(v)) return true;
  }
  return false;
}

}  // namespace krige::fuzz
