#include "auth.hpp"

#include <sodium.h>

#include <stdexcept>

#include "krige/error.hpp"

namespace krige::service {
namespace {

constexpr const char* kTokenPrefix = "krg_";
constexpr std::size_t kTokenBytes = 32;

void InitSodium() {
  static const int status = sodium_init();  // thread-safe and idempotent
  if (status < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string Hex(const unsigned char* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string CapabilityMac(const std::string& key, const std::string& sha256, std::int64_t expires) {
  const std::string message =
      std::string("krige-dataset") + '\0' + sha256 + '\0' + std::to_string(expires);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return Hex(mac, sizeof mac);
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string GenerateToken() {
  InitSodium();
  unsigned char bytes[kTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  const std::size_t size =
      sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string text(size, '\0');
  sodium_bin2base64(text.data(), text.size(), bytes, sizeof bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::char_traits<char>::length(text.c_str()));
  sodium_memzero(bytes, sizeof bytes);
  return kTokenPrefix + text;
}

std::string HashToken(const std::string& token) {
  InitSodium();
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return Hex(hash, sizeof hash);
}

std::string RandomKey() {
  InitSodium();
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string MakeDatasetCapability(const std::string& key, const std::string& sha256,
                                  std::int64_t expires) {
  InitSodium();
  return "v1." + std::to_string(expires) + "." + CapabilityMac(key, sha256, expires);
}

bool VerifyDatasetCapability(const std::string& key, const std::string& sha256,
                             const std::string& capability, std::int64_t now) {
  InitSodium();
  if (key.empty() || capability.compare(0, 3, "v1.") != 0) return false;
  const auto dot = capability.find('.', 3);
  if (dot == std::string::npos || dot == 3 || dot - 3 > 18) return false;
  std::int64_t expires = 0;
  for (std::size_t i = 3; i < dot; ++i) {
    const char c = capability[i];
    if (c < '0' || c > '9') return false;
    expires = expires * 10 + (c - '0');
  }
  const bool mac_ok =
      ConstantTimeEqual(capability.substr(dot + 1), CapabilityMac(key, sha256, expires));
  return mac_ok && now < expires;
}

void CheckTokenName(const std::string& name) {
  if (name.empty() || name.size() > 200)
    throw Error(ErrorCode::kInvalidArgument, "a token's name has 1..200 characters", "name");
}

TokenAuthService::TokenAuthService(storage::TokenRepository& tokens, std::string capability_key,
                                   TokenAuthOptions options)
    : tokens_(tokens), key_(std::move(capability_key)), options_(std::move(options)) {
  InitSodium();
}

std::optional<Role> TokenAuthService::Authenticate(const std::string& secret) {
  if (secret.empty() || secret.size() > 512) return std::nullopt;
  // Lookups go by the hash of the token, never the token: whatever time a lookup takes can
  // only tell about a hash, which does not help anyone guess a token.
  const std::string hash = HashToken(secret);
  const auto now = options_.clock();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = cache_.find(hash);
    if (it != cache_.end() && now < it->second.until && ConstantTimeEqual(it->second.hash, hash))
      return it->second.role;
  }
  const std::optional<storage::StoredToken> stored = tokens_.UseByHash(hash);
  Cached entry{hash, std::nullopt, 0, now + options_.cache_ttl};
  if (stored && ConstantTimeEqual(stored->hash, hash)) {
    entry.role = stored->token.role;
    entry.id = stored->token.id;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (cache_.size() >= options_.cache_capacity) cache_.clear();
  cache_[hash] = entry;
  return entry.role;
}

IssuedToken TokenAuthService::CreateToken(const std::string& name, Role role) {
  CheckTokenName(name);
  if (role == Role::kNone)
    throw Error(ErrorCode::kInvalidArgument, "a token's role is read, write or admin", "role");
  IssuedToken issued;
  issued.secret = GenerateToken();
  const std::string hash = HashToken(issued.secret);
  issued.token = tokens_.Create(name, role, hash);
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.erase(hash);  // a lookup of it cached as unknown (unlikely, but exact)
  return issued;
}

std::vector<ApiToken> TokenAuthService::ListTokens() {
  return tokens_.List();
}

ApiToken TokenAuthService::RevokeToken(std::int64_t id) {
  const std::optional<ApiToken> revoked = tokens_.Revoke(id);
  if (!revoked) throw Error(ErrorCode::kNotFound, "no token " + std::to_string(id), "id");
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.id == id)
      it = cache_.erase(it);
    else
      ++it;
  }
  return *revoked;
}

bool TokenAuthService::CheckDatasetCapability(const std::string& sha256,
                                              const std::string& capability) {
  return VerifyDatasetCapability(key_, sha256, capability, options_.unix_now());
}

std::string TokenAuthService::DatasetCapability(const std::string& sha256) const {
  return MakeDatasetCapability(key_, sha256,
                               options_.unix_now() + kDatasetCapabilityLifetime.count());
}

}  // namespace krige::service
