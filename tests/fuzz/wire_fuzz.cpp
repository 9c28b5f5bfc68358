// libFuzzer target: wire::Decode of one coordinator<->worker message, as the dispatcher
// (coordinator side) and the worker runtime decode what arrives on their ZeroMQ socket. The
// input is "<TYPE>\n<json body>", the frames after the routing id being "KRIGE1", TYPE, body
// (no newline: all of it is the type and the body is empty).
//
// Holds for every input: krige::Error is the only exception (the dispatcher counts and drops
// those; anything else would end its I/O thread); a message that decodes encodes to text
// PostgreSQL can store (strict UTF-8, no \u0000: worker-sent names and text end up in jsonb
// and text columns) and decodes again to the same message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "krige/error.hpp"
#include "wire/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  std::vector<std::string> frames{krige::wire::kProtocol, input.substr(0, newline),
                                  newline == std::string::npos ? "" : input.substr(newline + 1)};
  krige::wire::Message message;
  try {
    message = krige::wire::Decode(frames);
  } catch (const krige::Error&) {
    return 0;  // refused: counted and dropped by the receiver
  }
  const std::vector<std::string> once = krige::wire::Encode(message);  // dump() is strict UTF-8
  KRIGE_FUZZ_CHECK(once.size() == 3 && once[1] == frames[1]);
  // What a worker sends is stored; an ASSIGN only carries what was stored already.
  if (!std::holds_alternative<krige::wire::Assign>(message))
    KRIGE_FUZZ_CHECK(!krige::fuzz::HasNul(nlohmann::json::parse(once[2])));
  KRIGE_FUZZ_CHECK(krige::wire::Encode(krige::wire::Decode(once)) == once);
  return 0;
}
