// Tokens (generation, hashing, the lookup cache, revocation) and dataset capabilities, over an
// in-memory token store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "auth.hpp"
#include "krige/error.hpp"

namespace krige::service {
namespace {

using ::testing::MatchesRegex;

class MemoryTokens : public storage::TokenRepository {
 public:
  ApiToken Create(const std::string& name, Role role, const std::string& hash) override {
    ApiToken t{next_++, name, role, "2026-01-01T00:00:00.000Z", "", ""};
    rows_[t.id] = {t, hash};
    return t;
  }
  std::optional<ApiToken> CreateFirst(const std::string& name, Role role,
                                      const std::string& hash) override {
    if (!rows_.empty()) return std::nullopt;
    return Create(name, role, hash);
  }
  bool Empty() override { return rows_.empty(); }
  std::optional<storage::StoredToken> UseByHash(const std::string& hash) override {
    ++lookups;
    for (auto& [id, row] : rows_)
      if (row.hash == hash && row.token.revoked_at.empty()) return row;
    return std::nullopt;
  }
  std::vector<ApiToken> List() override {
    std::vector<ApiToken> out;
    for (const auto& [id, row] : rows_) out.push_back(row.token);
    return out;
  }
  std::optional<ApiToken> Revoke(std::int64_t id) override {
    const auto it = rows_.find(id);
    if (it == rows_.end()) return std::nullopt;
    it->second.token.revoked_at = "now";
    return it->second.token;
  }
  std::string ServerSecret(const std::string&, const std::string& fresh) override { return fresh; }
  // What the store holds: the hashes (to check no secret is kept).
  std::vector<std::string> Hashes() const {
    std::vector<std::string> out;
    for (const auto& [id, row] : rows_) out.push_back(row.hash);
    return out;
  }
  // Revokes behind the service's back (another server did it).
  void RevokeElsewhere(std::int64_t id) { rows_.at(id).token.revoked_at = "then"; }

  int lookups = 0;

 private:
  std::map<std::int64_t, storage::StoredToken> rows_;
  std::int64_t next_ = 1;
};

TEST(TokenTest, GeneratedTokensAreRandomPrefixedBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string t = GenerateToken();
    EXPECT_THAT(t, MatchesRegex("krg_[A-Za-z0-9_-]{43}"));
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TokenTest, HashIsTheSha256OfTheText) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(HashToken("krg_a"), HashToken("krg_b"));
}

TEST(TokenTest, RoleNamesRoundTripAndNoneIsNoTokenRole) {
  for (Role r : {Role::kRead, Role::kWrite, Role::kAdmin})
    EXPECT_EQ(TokenRoleFromName(RoleName(r)), r);
  EXPECT_THROW(TokenRoleFromName("none"), Error);
  EXPECT_THROW(TokenRoleFromName("root"), Error);
  EXPECT_LT(Role::kNone, Role::kRead);
  EXPECT_LT(Role::kRead, Role::kWrite);
  EXPECT_LT(Role::kWrite, Role::kAdmin);
}

class TokenAuthServiceTest : public ::testing::Test {
 protected:
  TokenAuthServiceTest() : auth_(tokens_, "k", Options()) {}
  TokenAuthOptions Options() {
    TokenAuthOptions o;
    o.cache_ttl = std::chrono::seconds(5);
    o.clock = [this] { return now_; };
    o.unix_now = [this] { return unix_; };
    return o;
  }
  MemoryTokens tokens_;
  std::chrono::steady_clock::time_point now_{};
  std::int64_t unix_ = 1'800'000'000;
  TokenAuthService auth_;
};

TEST_F(TokenAuthServiceTest, CreatesTokensStoredOnlyAsHashes) {
  const IssuedToken issued = auth_.CreateToken("ci", Role::kWrite);
  EXPECT_THAT(issued.secret, MatchesRegex("krg_.*"));
  EXPECT_EQ(issued.token.role, Role::kWrite);
  ASSERT_EQ(tokens_.Hashes().size(), 1u);
  EXPECT_EQ(tokens_.Hashes()[0], HashToken(issued.secret));
  EXPECT_EQ(tokens_.Hashes()[0].find(issued.secret), std::string::npos);
  EXPECT_EQ(auth_.Authenticate(issued.secret), Role::kWrite);
  EXPECT_EQ(auth_.Authenticate(issued.secret + "x"), std::nullopt);
  EXPECT_EQ(auth_.Authenticate(""), std::nullopt);
  EXPECT_THROW(auth_.CreateToken("", Role::kRead), Error);
  EXPECT_THROW(auth_.CreateToken("x", Role::kNone), Error);
}

TEST_F(TokenAuthServiceTest, LookupsAreCachedForTheTtl) {
  const IssuedToken issued = auth_.CreateToken("ci", Role::kRead);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(auth_.Authenticate(issued.secret), Role::kRead);
  EXPECT_EQ(tokens_.lookups, 1) << "one database round trip per token and period";
  for (int i = 0; i < 10; ++i) EXPECT_EQ(auth_.Authenticate("krg_unknown"), std::nullopt);
  EXPECT_EQ(tokens_.lookups, 2) << "unknown tokens are cached too";
  now_ += std::chrono::seconds(6);
  EXPECT_EQ(auth_.Authenticate(issued.secret), Role::kRead);
  EXPECT_EQ(tokens_.lookups, 3);
}

TEST_F(TokenAuthServiceTest, RevocationIsSeenAtOnceHereAndWithinTheTtlElsewhere) {
  const IssuedToken a = auth_.CreateToken("a", Role::kAdmin);
  const IssuedToken b = auth_.CreateToken("b", Role::kAdmin);
  EXPECT_TRUE(auth_.Authenticate(a.secret));
  EXPECT_TRUE(auth_.Authenticate(b.secret));
  auth_.RevokeToken(a.token.id);
  EXPECT_EQ(auth_.Authenticate(a.secret), std::nullopt) << "revoked here: seen at once";
  tokens_.RevokeElsewhere(b.token.id);
  EXPECT_TRUE(auth_.Authenticate(b.secret)) << "within the cache period";
  now_ += std::chrono::seconds(5);
  EXPECT_EQ(auth_.Authenticate(b.secret), std::nullopt) << "after it";
  EXPECT_THROW(auth_.RevokeToken(99), Error);
}

TEST_F(TokenAuthServiceTest, TheCacheIsBounded) {
  TokenAuthOptions o = Options();
  o.cache_capacity = 8;
  TokenAuthService small(tokens_, "k", o);
  for (int i = 0; i < 100; ++i) small.Authenticate("krg_random" + std::to_string(i));
  EXPECT_EQ(tokens_.lookups, 100);
  small.Authenticate("krg_random99");
  EXPECT_EQ(tokens_.lookups, 100) << "the latest is still cached";
}

TEST(CapabilityTest, ValidOnlyForItsDatasetKeyAndTime) {
  const std::string key = RandomKey();
  const std::string sha(64, 'a');
  const std::string cap = MakeDatasetCapability(key, sha, 1000);
  EXPECT_THAT(cap, MatchesRegex("v1\\.1000\\.[0-9a-f]{64}"));
  EXPECT_TRUE(VerifyDatasetCapability(key, sha, cap, 999));
  EXPECT_FALSE(VerifyDatasetCapability(key, sha, cap, 1000)) << "expired";
  EXPECT_FALSE(VerifyDatasetCapability(key, std::string(64, 'b'), cap, 999)) << "other dataset";
  EXPECT_FALSE(VerifyDatasetCapability(RandomKey(), sha, cap, 999)) << "other server secret";
  // Moving the expiry invalidates the MAC.
  std::string later = cap;
  later.replace(3, 4, "9000");
  EXPECT_FALSE(VerifyDatasetCapability(key, sha, later, 999));
  for (const std::string& bad :
       std::vector<std::string>{"", "v1.", "v1..", "v1.x.y", "v2.1000." + cap.substr(8), "v1.1000",
                                cap + "0", cap.substr(0, cap.size() - 1)})
    EXPECT_FALSE(VerifyDatasetCapability(key, sha, bad, 999)) << bad;
  EXPECT_FALSE(VerifyDatasetCapability("", sha, cap, 999));
}

TEST_F(TokenAuthServiceTest, IssuesCapabilitiesForAnHour) {
  const std::string sha(64, 'c');
  const std::string cap = auth_.DatasetCapability(sha);
  EXPECT_TRUE(auth_.CheckDatasetCapability(sha, cap));
  unix_ += kDatasetCapabilityLifetime.count() - 1;
  EXPECT_TRUE(auth_.CheckDatasetCapability(sha, cap));
  unix_ += 1;
  EXPECT_FALSE(auth_.CheckDatasetCapability(sha, cap));
}

}  // namespace
}  // namespace krige::service
