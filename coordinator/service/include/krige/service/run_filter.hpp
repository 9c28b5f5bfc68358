// The search language of POST /api/v1/runs/search (docs/api.md, "Run search"): a filter such
// as `metrics.accuracy > 0.9 and params.model = 'svc' and tags.team = 'x'` and order_by
// clauses such as `metrics.loss ASC`, parsed into a tree the store compiles to parameterized
// SQL (values never enter the SQL text).
//
// Grammar (keywords case-insensitive):
//   filter     := or_expr
//   or_expr    := and_expr ( "or" and_expr )*
//   and_expr   := primary ( "and" primary )*
//   primary    := "(" or_expr ")" | comparison
//   comparison := entity op value
//   entity     := ( "metrics" | "params" | "tags" | "attributes" ) "." key
//               | "status" | "name" | "run_id" | "start_time" | "end_time"   (attributes)
//   key        := identifier ( "." identifier )* | `backticked` | "double quoted"
//   op         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike"
//   value      := number | 'single quoted' | "double quoted"   ('' escapes a quote)
//   order_by   := entity [ "asc" | "desc" ]
// Types: metrics and the attributes run_id, start_time, end_time (ms since the epoch) compare
// with numbers by any of = != < <= > >=; params, tags and the attributes name and status
// compare with strings by = != like ilike.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace krige::service {

enum class FilterEntity { kMetric, kParam, kTag, kAttribute };
enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike };

struct FilterTerm {
  FilterEntity entity = FilterEntity::kAttribute;
  std::string key;  // for attributes: "status", "name", "run_id", "start_time", "end_time"
  FilterOp op = FilterOp::kEq;
  bool numeric = false;  // which of the two values holds
  double number = 0;
  std::string text;
};

struct FilterNode {
  enum class Kind { kTerm, kAnd, kOr };
  Kind kind = Kind::kTerm;
  FilterTerm term;                   // kTerm
  std::vector<FilterNode> children;  // kAnd, kOr: two or more
};

struct OrderBy {
  FilterEntity entity = FilterEntity::kAttribute;
  std::string key;
  bool ascending = true;
};

// Throws krige::Error(kInvalidArgument, field `field`) whose message names the 1-based
// character position and what was expected there. An empty (or all-blank) filter gives a
// kAnd node with no children: every run matches. Bounded by limits::kRunFilterBytes and
// kRunFilterTerms.
FilterNode ParseFilter(const std::string& text, const std::string& field = "filter");
OrderBy ParseOrderBy(const std::string& text, const std::string& field = "order_by");

}  // namespace krige::service
