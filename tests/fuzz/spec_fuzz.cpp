// libFuzzer target: a spec document as `krige run` (LoadSpecFile) and the REST API
// (POST /api/v1/experiments) read it. Input starting with '{' (after blanks) is JSON through
// ParseJson, anything else YAML through YamlToJson; then SpecFromJson.
//
// Holds for every input: krige::Error is the only exception (the REST layer turns anything
// else into a 500); a spec that decodes can be stored (PostgreSQL jsonb takes neither invalid
// UTF-8 nor \u0000, so a strict dump() must succeed without either) and its JSON round trip is
// lossless (what a worker or the dashboard reads back is what was accepted).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "krige/codec.hpp"
#include "krige/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto first = text.find_first_not_of(" \t\r\n");
  const bool json = first != std::string::npos && text[first] == '{';
  krige::ExperimentSpec spec;
  try {
    spec = krige::SpecFromJson(json ? krige::ParseJson(text) : krige::YamlToJson(text));
  } catch (const krige::Error&) {
    return 0;  // refused: the expected outcome for nearly every input
  }
  const krige::Json once = krige::ToJson(spec);
  const std::string stored = once.dump();  // throws type_error on invalid UTF-8
  KRIGE_FUZZ_CHECK(!krige::fuzz::HasNul(once));
  KRIGE_FUZZ_CHECK(krige::ToJson(krige::SpecFromJson(krige::ParseJson(stored))) == once);
  return 0;
}
