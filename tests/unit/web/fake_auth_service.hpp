// An in-memory AuthService for the web tests: tokens are whatever Add() was given (or what
// CreateToken makes), and the only valid capability for a dataset is Capability(sha256).
// Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "krige/service/auth_service.hpp"

namespace krige::testing {

class FakeAuthService : public service::AuthService {
 public:
  // A token `secret` with `role`; returns its id.
  std::int64_t Add(const std::string& secret, Role role, const std::string& name = "test");
  static std::string Capability(const std::string& sha256) { return "cap-for-" + sha256; }

  std::optional<Role> Authenticate(const std::string& secret) override;
  service::IssuedToken CreateToken(const std::string& name, Role role) override;
  std::vector<service::ApiToken> ListTokens() override;
  service::ApiToken RevokeToken(std::int64_t id) override;
  bool CheckDatasetCapability(const std::string& sha256, const std::string& capability) override;

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::pair<std::string, service::ApiToken>> tokens_;  // id -> secret
  std::int64_t next_id_ = 1;
};

}  // namespace krige::testing
