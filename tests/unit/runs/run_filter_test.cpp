// The run search language: what parses into which tree, and where an error points.
#include "krige/service/run_filter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "krige/error.hpp"

namespace krige::service {
namespace {

using ::testing::HasSubstr;

std::string Message(const std::string& filter) {
  try {
    ParseFilter(filter);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.field(), "filter");
    return e.what();
  }
  return "";
}

TEST(RunFilterTest, ParsesComparisonsJoinedByAndOrAndParentheses) {
  const FilterNode f =
      ParseFilter("metrics.accuracy > 0.9 and params.model = 'svc' AND tags.team = \"x\"");
  ASSERT_EQ(f.kind, FilterNode::Kind::kAnd);
  ASSERT_EQ(f.children.size(), 3u);
  EXPECT_EQ(f.children[0].term.entity, FilterEntity::kMetric);
  EXPECT_EQ(f.children[0].term.key, "accuracy");
  EXPECT_EQ(f.children[0].term.op, FilterOp::kGt);
  EXPECT_TRUE(f.children[0].term.numeric);
  EXPECT_DOUBLE_EQ(f.children[0].term.number, 0.9);
  EXPECT_EQ(f.children[1].term.entity, FilterEntity::kParam);
  EXPECT_EQ(f.children[1].term.text, "svc");
  EXPECT_EQ(f.children[2].term.entity, FilterEntity::kTag);
  EXPECT_EQ(f.children[2].term.text, "x");

  // and binds tighter than or; parentheses regroup.
  const FilterNode g = ParseFilter("status = 'finished' or metrics.a < -1e-3 and name like 'r%'");
  ASSERT_EQ(g.kind, FilterNode::Kind::kOr);
  ASSERT_EQ(g.children.size(), 2u);
  EXPECT_EQ(g.children[1].kind, FilterNode::Kind::kAnd);
  EXPECT_DOUBLE_EQ(g.children[1].children[0].term.number, -1e-3);
  const FilterNode h = ParseFilter("(status = 'finished' or run_id >= 3) and start_time > 0");
  ASSERT_EQ(h.kind, FilterNode::Kind::kAnd);
  EXPECT_EQ(h.children[0].kind, FilterNode::Kind::kOr);
  EXPECT_EQ(h.children[0].children[1].term.key, "run_id");
}

TEST(RunFilterTest, KeysMayBeDottedQuotedOrBackticked) {
  EXPECT_EQ(ParseFilter("metrics.val.loss < 1").term.key, "val.loss");
  EXPECT_EQ(ParseFilter("metrics.`my metric` < 1").term.key, "my metric");
  EXPECT_EQ(ParseFilter("params.\"a b\" = 'x'").term.key, "a b");
  EXPECT_EQ(ParseFilter("params.model = 'it''s'").term.text, "it's");
  EXPECT_EQ(ParseFilter("attributes.id = 4").term.key, "run_id");
  EXPECT_EQ(ParseFilter("   ").children.size(), 0u);
}

TEST(RunFilterTest, ErrorsNameThePositionAndWhatWasExpected) {
  EXPECT_THAT(Message("metrics.accuracy > 'high'"),
              HasSubstr("at character 20: expected a number"));
  EXPECT_THAT(Message("params.model < 'a'"), HasSubstr("at character 14: expected = != LIKE"));
  EXPECT_THAT(Message("metrics.a like 'x'"), HasSubstr("at character 11"));
  EXPECT_THAT(Message("params.model = 'svc"), HasSubstr("at character 16: expected a closing '"));
  EXPECT_THAT(Message("metrics.a > 1 and"), HasSubstr("at character 18"));
  EXPECT_THAT(Message("metrics.a > 1 metrics.b > 2"),
              HasSubstr("at character 15: expected \"and\", \"or\" or the end"));
  EXPECT_THAT(Message("colour = 'red'"), HasSubstr("expected an attribute"));
  EXPECT_THAT(Message("(metrics.a > 1"), HasSubstr("expected \")\""));
  EXPECT_THAT(Message("metrics.a ! 1"), HasSubstr("at character 11"));
  EXPECT_THAT(Message("metrics.a > 1e999"), HasSubstr("a finite number"));
  EXPECT_THAT(Message(std::string("params.a = 'x\0y'", 16)), HasSubstr("NUL"));
  std::string deep(40, '(');
  EXPECT_THAT(Message(deep + "metrics.a > 1" + std::string(40, ')')), HasSubstr("32 nested"));
  std::string many = "metrics.a > 1";
  for (int i = 0; i < 64; ++i) many += " and metrics.a > 1";
  EXPECT_THAT(Message(many), HasSubstr("at most 64 comparisons"));
}

TEST(RunFilterTest, OrderByClauses) {
  const OrderBy a = ParseOrderBy("metrics.loss DESC");
  EXPECT_EQ(a.entity, FilterEntity::kMetric);
  EXPECT_EQ(a.key, "loss");
  EXPECT_FALSE(a.ascending);
  EXPECT_TRUE(ParseOrderBy("params.C").ascending);
  EXPECT_EQ(ParseOrderBy("start_time asc").key, "start_time");
  EXPECT_THROW(ParseOrderBy("metrics.loss sideways"), Error);
}

}  // namespace
}  // namespace krige::service
