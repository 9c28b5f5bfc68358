#include "curve/curve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "krige/error.hpp"

namespace krige::curve {
namespace {

constexpr std::size_t kZ85Length = 40;

std::string Trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

Error Invalid(const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

KeyPair Generate() {
  char public_key[kZ85Length + 1], secret_key[kZ85Length + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw Error(ErrorCode::kInternal, "this libzmq has no CURVE support");
  return {public_key, secret_key};
}

void CheckKey(const std::string& key, const std::string& what) {
  std::uint8_t bytes[32];
  if (key.size() != kZ85Length || !zmq_z85_decode(bytes, key.c_str()))
    throw Invalid(what + ": not a CURVE key (40 Z85 characters)");
}

std::string PublicOf(const std::string& secret_key) {
  CheckKey(secret_key, "secret key");
  char public_key[kZ85Length + 1];
  if (zmq_curve_public(public_key, secret_key.c_str()) != 0)
    throw Error(ErrorCode::kInternal, "this libzmq has no CURVE support");
  return public_key;
}

KeyPair WriteKeyPair(const std::string& dir, const std::string& name) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw Invalid("cannot create " + dir + ": " + std::strerror(errno));
  const std::string secret_path = dir + "/" + name + ".key";
  const std::string public_path = dir + "/" + name + ".pub";
  const KeyPair pair = Generate();
  const std::string secret_text =
      "# krige CURVE secret key: keep it private\n" + pair.secret_key + "\n";
  const int fd = ::open(secret_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    throw Invalid("cannot create " + secret_path + ": " + std::strerror(errno) +
                  (errno == EEXIST ? " (refusing to overwrite a key)" : ""));
  const bool written = ::write(fd, secret_text.data(), secret_text.size()) ==
                       static_cast<ssize_t>(secret_text.size());
  ::close(fd);
  if (!written) throw Invalid("cannot write " + secret_path);
  std::ofstream pub(public_path, std::ios::trunc);
  pub << "# krige CURVE public key\n" << pair.public_key << "\n";
  if (!pub) throw Invalid("cannot write " + public_path);
  return pair;
}

std::string ReadKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Invalid("cannot read key file " + path);
  for (std::string line; std::getline(in, line);) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    CheckKey(line, path);
    return line;
  }
  throw Invalid(path + ": no key in the file");
}

std::set<std::string> ReadKeyList(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Invalid("cannot read key list " + path);
  std::set<std::string> keys;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    CheckKey(line, path + ":" + std::to_string(number));
    keys.insert(line);
  }
  return keys;
}

}  // namespace krige::curve
