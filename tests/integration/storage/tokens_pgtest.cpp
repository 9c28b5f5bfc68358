// The token store on a real PostgreSQL: one first token however many servers start, lookups
// by hash that mark use and skip revoked tokens, one server secret for everyone; and the
// auth service on top.
#include <gtest/gtest.h>

#include "auth.hpp"
#include "krige/error.hpp"
#include "krige/storage/pg.hpp"
#include "test_env.hpp"

namespace krige::storage {
namespace {

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg::OpenDatabase(database_.url());
    pg::ApplyMigrations(*db_);
    tokens_ = pg::MakeTokenRepository(db_);
  }
  testing::TestDatabase database_;
  std::shared_ptr<pg::Database> db_;
  std::unique_ptr<TokenRepository> tokens_;
};

TEST_F(TokensTest, OnlyTheFirstStartMakesTheFirstToken) {
  EXPECT_TRUE(tokens_->Empty());
  const auto first = tokens_->CreateFirst("first admin", Role::kAdmin, std::string(64, 'a'));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->role, Role::kAdmin);
  EXPECT_FALSE(tokens_->CreateFirst("again", Role::kAdmin, std::string(64, 'b')));
  EXPECT_FALSE(tokens_->Empty());
  EXPECT_EQ(tokens_->List().size(), 1u);
}

TEST_F(TokensTest, LookupsByHashMarkUseAndSkipRevokedTokens) {
  const service::ApiToken t = tokens_->Create("ci", Role::kWrite, std::string(64, 'c'));
  EXPECT_TRUE(t.last_used_at.empty());
  EXPECT_FALSE(tokens_->UseByHash(std::string(64, 'd')));
  const auto used = tokens_->UseByHash(std::string(64, 'c'));
  ASSERT_TRUE(used);
  EXPECT_EQ(used->token.id, t.id);
  EXPECT_EQ(used->token.role, Role::kWrite);
  EXPECT_EQ(used->hash, std::string(64, 'c'));
  EXPECT_FALSE(used->token.last_used_at.empty());
  const auto revoked = tokens_->Revoke(t.id);
  ASSERT_TRUE(revoked);
  EXPECT_FALSE(revoked->revoked_at.empty());
  EXPECT_EQ(tokens_->Revoke(t.id)->revoked_at, revoked->revoked_at) << "idempotent";
  EXPECT_FALSE(tokens_->UseByHash(std::string(64, 'c')));
  EXPECT_FALSE(tokens_->Revoke(12345));
  EXPECT_THROW(tokens_->Create("dup", Role::kRead, std::string(64, 'c')), Error);
  EXPECT_THROW(tokens_->Create("bad", Role::kRead, "not a hash"), Error);
}

TEST_F(TokensTest, EveryServerReadsTheSameSecret) {
  const std::string a = tokens_->ServerSecret("dataset_capability", service::RandomKey());
  const std::string b = tokens_->ServerSecret("dataset_capability", service::RandomKey());
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, b);
  EXPECT_NE(tokens_->ServerSecret("other", service::RandomKey()), a);
}

TEST_F(TokensTest, TheServiceAuthenticatesWhatItIssued) {
  service::TokenAuthService auth(*tokens_, service::RandomKey());
  const service::IssuedToken issued = auth.CreateToken("reader", Role::kRead);
  EXPECT_EQ(auth.Authenticate(issued.secret), Role::kRead);
  EXPECT_EQ(auth.Authenticate("krg_other"), std::nullopt);
  auth.RevokeToken(issued.token.id);
  EXPECT_EQ(auth.Authenticate(issued.secret), std::nullopt);
  EXPECT_EQ(auth.ListTokens().size(), 1u);
}

}  // namespace
}  // namespace krige::storage
