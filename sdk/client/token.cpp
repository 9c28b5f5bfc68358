// Where a client finds its token when none is given: the environment, or the token file of
// the local stack (for a server on this machine only).
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "krige/client.hpp"

namespace krige {
namespace {

bool Set(const char* v) {
  return v != nullptr && *v != '\0';
}

// The host of "http://host[:port][/path]", lower-cased, brackets kept for IPv6.
std::string UrlHost(const std::string& url) {
  const auto scheme = url.find("://");
  std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  rest = rest.substr(0, rest.rfind(':'));
  for (auto& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return rest;
}

}  // namespace

std::string DefaultTokenFile() {
  namespace fs = std::filesystem;
  if (const char* file = std::getenv("KRIGE_TOKEN_FILE"); Set(file)) return file;
  // The data directory of `krige up` (sdk/cli ChooseDataDir): the same rules.
  if (const char* home = std::getenv("KRIGE_HOME"); Set(home))
    return (fs::path(home) / "token").string();
  if (::geteuid() == 0) return "/var/lib/krige/token";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); Set(xdg))
    return (fs::path(xdg) / "krige" / "token").string();
  if (const char* home = std::getenv("HOME"); Set(home))
    return (fs::path(home) / ".local" / "share" / "krige" / "token").string();
  return "";
}

std::string DefaultToken(const std::string& base_url) {
  if (const char* token = std::getenv("KRIGE_TOKEN"); Set(token)) return token;
  const std::string host = UrlHost(base_url);
  if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") return "";
  const std::string path = DefaultTokenFile();
  if (path.empty()) return "";
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace krige
