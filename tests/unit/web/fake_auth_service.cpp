#include "fake_auth_service.hpp"

#include "krige/error.hpp"

namespace krige::testing {

std::int64_t FakeAuthService::Add(const std::string& secret, Role role, const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  service::ApiToken t;
  t.id = next_id_++;
  t.name = name;
  t.role = role;
  t.created_at = "2026-01-01T00:00:00.000Z";
  tokens_[t.id] = {secret, t};
  return t.id;
}

std::optional<Role> FakeAuthService::Authenticate(const std::string& secret) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, entry] : tokens_)
    if (entry.first == secret && entry.second.revoked_at.empty()) return entry.second.role;
  return std::nullopt;
}

service::IssuedToken FakeAuthService::CreateToken(const std::string& name, Role role) {
  if (name.empty()) throw Error(ErrorCode::kInvalidArgument, "a name is required", "name");
  const std::string secret = "krg_fake" + std::to_string(next_id_);
  const std::int64_t id = Add(secret, role, name);
  std::lock_guard<std::mutex> lock(mutex_);
  return {tokens_[id].second, secret};
}

std::vector<service::ApiToken> FakeAuthService::ListTokens() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<service::ApiToken> out;
  for (const auto& [id, entry] : tokens_) out.push_back(entry.second);
  return out;
}

service::ApiToken FakeAuthService::RevokeToken(std::int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tokens_.find(id);
  if (it == tokens_.end()) throw Error(ErrorCode::kNotFound, "no token", "id");
  if (it->second.second.revoked_at.empty())
    it->second.second.revoked_at = "2026-01-02T00:00:00.000Z";
  return it->second.second;
}

bool FakeAuthService::CheckDatasetCapability(const std::string& sha256,
                                             const std::string& capability) {
  return capability == Capability(sha256);
}

}  // namespace krige::testing
