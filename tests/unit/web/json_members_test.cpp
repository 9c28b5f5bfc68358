// ScanMembers (web/api/json_members.hpp): the members of PostgreSQL's jsonb text as slices,
// the same object nlohmann reads from it, and false for whatever it does not take on.
#include "json_members.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace {

using krige::web::JsonMember;
using krige::web::ScanMembers;

// The object the members describe, each value parsed by nlohmann.
nlohmann::json Rebuilt(const std::vector<JsonMember>& members) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : members) out[std::string(key)] = nlohmann::json::parse(value);
  return out;
}

TEST(ScanMembers, ReadsPostgresJsonbText) {
  const std::string text =
      R"({"C": 59.14615550319608, "gamma": 0.00019310358820887982, "degree": 4, "kernel": "rbf", "dropout": -1.5e-7})";
  std::vector<JsonMember> members;
  ASSERT_TRUE(ScanMembers(text, members));
  ASSERT_EQ(members.size(), 5u);
  EXPECT_EQ(members[0].first, "C");
  EXPECT_EQ(members[0].second, "59.14615550319608");
  EXPECT_EQ(members[3].first, "kernel");
  EXPECT_EQ(members[3].second, "\"rbf\"");
  EXPECT_EQ(Rebuilt(members), nlohmann::json::parse(text));
}

TEST(ScanMembers, CopiesStringsNestedValuesAndLiteralsAsWritten) {
  const std::string text =
      R"({"s": "a\"b\\ <script>}", "list": [1, {"x": "]}"}, []], "o": {"d": null}, "t": true, "f": false, "n": null})";
  std::vector<JsonMember> members;
  ASSERT_TRUE(ScanMembers(text, members));
  ASSERT_EQ(members.size(), 6u);
  EXPECT_EQ(members[0].second, R"("a\"b\\ <script>}")");
  EXPECT_EQ(members[1].second, R"([1, {"x": "]}"}, []])");
  EXPECT_EQ(members[2].second, R"({"d": null})");
  EXPECT_EQ(Rebuilt(members), nlohmann::json::parse(text));
}

TEST(ScanMembers, EmptyObjectAndOtherWhitespace) {
  std::vector<JsonMember> members{{"stale", "1"}};
  ASSERT_TRUE(ScanMembers("{}", members));
  EXPECT_TRUE(members.empty());
  ASSERT_TRUE(ScanMembers(" {\n\t\"a\" :1 ,\"b\":\"x\"\r} ", members));
  EXPECT_EQ(Rebuilt(members), nlohmann::json::parse(R"({"a": 1, "b": "x"})"));
}

TEST(ScanMembers, LeavesToTheCallerWhatItDoesNotTakeOn) {
  std::vector<JsonMember> members;
  for (const std::string text : {"",
                                 "[1]",
                                 "1",
                                 "null",
                                 R"({"a\"b": 1})",       // a key with an escape
                                 R"({"a": 1, "a": 2})",  // a repeated key
                                 R"({"a": 1} x)",
                                 R"({"a": "x)",
                                 R"({"a": [1, 2})",
                                 R"({"a": tru})",
                                 R"({"a" 1})",
                                 R"({"a": 1,})",
                                 R"({"a": })",
                                 R"({"a": 1)",
                                 R"({"a": .5e})",
                                 R"({"a": 1..2})",
                                 R"({"a": -})",
                                 R"({"a": 01})",
                                 R"({"a": 1e})",
                                 "{",
                                 "{\"a\": \"\\"}) {
    EXPECT_FALSE(ScanMembers(text, members)) << text;
  }
}

}  // namespace
