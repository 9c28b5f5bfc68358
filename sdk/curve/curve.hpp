// CurveZMQ keys for the worker link. A key is 32 bytes, written in Z85 as 40 characters. A key
// pair lives in two files: `<name>.key` (the secret key, mode 0600) and `<name>.pub`.
#pragma once

#include <set>
#include <string>

namespace krige::curve {

struct KeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

KeyPair Generate();
// The public key that belongs to a secret key (both Z85).
std::string PublicOf(const std::string& secret_key);
// Throws krige::Error (kInvalidArgument) unless `key` is 40 Z85 characters of a 32-byte key.
void CheckKey(const std::string& key, const std::string& what);

// Writes DIR/NAME.key (0600) and DIR/NAME.pub; refuses to overwrite an existing secret key.
KeyPair WriteKeyPair(const std::string& dir, const std::string& name);
// The first non-comment line of a key file (.key or .pub), checked.
std::string ReadKey(const std::string& path);
// One public key a line; blank lines and lines starting with '#' are ignored. Every key is
// checked; a bad line is an error naming the file and line.
std::set<std::string> ReadKeyList(const std::string& path);

}  // namespace krige::curve
