// A tokenizer and a recursive-descent parser for the run search language (run_filter.hpp).
#include "krige/service/run_filter.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "krige/error.hpp"
#include "krige/limits.hpp"

namespace krige::service {
namespace {

enum class Tok {
  kIdent,
  kQuoted,
  kBackticked,
  kNumber,
  kString,
  kOp,
  kDot,
  kLParen,
  kRParen,
  kEnd
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, unquoted string, operator
  double number = 0;
  std::size_t position = 0;  // 0-based offset in the input
};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Lexer {
 public:
  Lexer(const std::string& text, const std::string& field) : text_(text), field_(field) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    while (true) {
      while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
      Token t;
      t.position = at_;
      if (at_ >= text_.size()) {
        out.push_back(t);
        return out;
      }
      const char c = text_[at_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        const std::size_t begin = at_;
        while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) ||
                                      text_[at_] == '_' || text_[at_] == '-'))
          ++at_;
        t.kind = Tok::kIdent;
        t.text = text_.substr(begin, at_ - begin);
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '+' || c == '.') && at_ + 1 < text_.size() &&
                  (std::isdigit(static_cast<unsigned char>(text_[at_ + 1])) ||
                   (text_[at_ + 1] == '.' && c != '.')))) {
        // A number; a lone '.' is the key separator.
        const char* begin = text_.c_str() + at_;
        char* end = nullptr;
        const double v = std::strtod(begin, &end);
        if (end == begin || !std::isfinite(v)) Fail(at_, "a finite number");
        t.kind = Tok::kNumber;
        t.number = v;
        at_ += static_cast<std::size_t>(end - begin);
        if (at_ < text_.size() &&
            (std::isalpha(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_'))
          Fail(at_, "a space or an operator after the number");
      } else if (c == '\'' || c == '"' || c == '`') {
        t.kind = c == '\'' ? Tok::kString : (c == '"' ? Tok::kQuoted : Tok::kBackticked);
        t.text = Quoted(c);
      } else if (c == '.') {
        t.kind = Tok::kDot;
        ++at_;
      } else if (c == '(' || c == ')') {
        t.kind = c == '(' ? Tok::kLParen : Tok::kRParen;
        ++at_;
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        t.kind = Tok::kOp;
        t.text = c;
        ++at_;
        if (at_ < text_.size() && text_[at_] == '=') {
          t.text += '=';
          ++at_;
        } else if (c == '!') {
          Fail(t.position, "\"!=\"");
        }
      } else {
        Fail(at_, "a key, a value, an operator or a parenthesis (not '" + std::string(1, c) + "')");
      }
      out.push_back(std::move(t));
    }
  }

  [[noreturn]] void Fail(std::size_t position, const std::string& expected) const {
    throw Error(ErrorCode::kInvalidArgument,
                "at character " + std::to_string(position + 1) + ": expected " + expected, field_);
  }

 private:
  // A quoted text starting at at_; a doubled quote stands for one.
  std::string Quoted(char quote) {
    const std::size_t start = at_++;
    std::string out;
    while (true) {
      if (at_ >= text_.size()) Fail(start, "a closing " + std::string(1, quote));
      const char c = text_[at_++];
      if (c != quote) {
        out += c;
      } else if (at_ < text_.size() && text_[at_] == quote) {
        out += quote;
        ++at_;
      } else {
        return out;
      }
    }
  }

  const std::string& text_;
  const std::string& field_;
  std::size_t at_ = 0;
};

class Parser {
 public:
  Parser(const std::string& text, const std::string& field)
      : lexer_(text, field), tokens_(lexer_.Run()) {}

  FilterNode Filter() {
    if (Peek().kind == Tok::kEnd) return FilterNode{FilterNode::Kind::kAnd, {}, {}};
    FilterNode node = Or();
    Expect(Tok::kEnd, "\"and\", \"or\" or the end of the filter");
    return node;
  }

  OrderBy Order() {
    OrderBy order;
    FilterTerm term;
    Entity(term);
    order.entity = term.entity;
    order.key = term.key;
    if (Peek().kind == Tok::kIdent) {
      const std::string word = Lower(Peek().text);
      if (word == "asc" || word == "desc") {
        order.ascending = word == "asc";
        ++at_;
      }
    }
    Expect(Tok::kEnd, "ASC, DESC or the end of the clause");
    return order;
  }

 private:
  const Token& Peek() const { return tokens_[at_]; }

  bool Keyword(const char* word) {
    if (Peek().kind == Tok::kIdent && Lower(Peek().text) == word) {
      ++at_;
      return true;
    }
    return false;
  }

  void Expect(Tok kind, const std::string& expected) {
    if (Peek().kind != kind) lexer_.Fail(Peek().position, expected);
    ++at_;
  }

  FilterNode Or() {
    FilterNode first = And();
    if (!(Peek().kind == Tok::kIdent && Lower(Peek().text) == "or")) return first;
    FilterNode node{FilterNode::Kind::kOr, {}, {}};
    node.children.push_back(std::move(first));
    while (Keyword("or")) node.children.push_back(And());
    return node;
  }

  FilterNode And() {
    FilterNode first = Primary();
    if (!(Peek().kind == Tok::kIdent && Lower(Peek().text) == "and")) return first;
    FilterNode node{FilterNode::Kind::kAnd, {}, {}};
    node.children.push_back(std::move(first));
    while (Keyword("and")) node.children.push_back(Primary());
    return node;
  }

  FilterNode Primary() {
    if (++depth_ > 32) lexer_.Fail(Peek().position, "at most 32 nested parentheses");
    FilterNode node;
    if (Peek().kind == Tok::kLParen) {
      ++at_;
      node = Or();
      Expect(Tok::kRParen, "\")\"");
    } else {
      node = Comparison();
    }
    --depth_;
    return node;
  }

  // entity := prefix "." key | attribute name
  void Entity(FilterTerm& term) {
    const Token& t = Peek();
    if (t.kind != Tok::kIdent)
      lexer_.Fail(t.position, "metrics.KEY, params.KEY, tags.KEY or attributes.NAME");
    const std::string word = Lower(t.text);
    ++at_;
    if (word == "metrics" || word == "metric" || word == "params" || word == "param" ||
        word == "tags" || word == "tag" || word == "attributes" || word == "attribute" ||
        word == "attr") {
      term.entity = word[0] == 'm'   ? FilterEntity::kMetric
                    : word[0] == 'p' ? FilterEntity::kParam
                    : word[0] == 't' ? FilterEntity::kTag
                                     : FilterEntity::kAttribute;
      Expect(Tok::kDot, "\".\" after " + t.text);
      term.key = Key();
    } else {
      term.entity = FilterEntity::kAttribute;
      term.key = word;
    }
    if (term.entity == FilterEntity::kAttribute) {
      std::string a = Lower(term.key);
      if (a == "id") a = "run_id";
      if (a == "run_name") a = "name";
      if (a != "status" && a != "name" && a != "run_id" && a != "start_time" && a != "end_time")
        lexer_.Fail(t.position,
                    "an attribute: status, name, run_id, start_time or end_time (not \"" +
                        term.key + "\")");
      term.key = a;
    }
    if (term.key.empty() || term.key.size() > limits::kRunKeyBytes)
      lexer_.Fail(t.position, "a key of 1 to " + std::to_string(limits::kRunKeyBytes) + " bytes");
  }

  // key := identifier ("." identifier)* | `quoted` | "quoted"
  std::string Key() {
    const Token& t = Peek();
    if (t.kind == Tok::kBackticked || t.kind == Tok::kQuoted) {
      ++at_;
      return t.text;
    }
    if (t.kind != Tok::kIdent && t.kind != Tok::kNumber)
      lexer_.Fail(t.position, "a key (a name, `quoted` or \"quoted\")");
    std::string key = t.kind == Tok::kIdent ? t.text : "";
    if (t.kind == Tok::kNumber)
      lexer_.Fail(t.position, "a key (quote keys that start with a digit)");
    ++at_;
    while (Peek().kind == Tok::kDot && tokens_[at_ + 1].kind == Tok::kIdent) {
      key += "." + tokens_[at_ + 1].text;
      at_ += 2;
    }
    return key;
  }

  FilterNode Comparison() {
    if (++terms_ > limits::kRunFilterTerms)
      lexer_.Fail(Peek().position,
                  "at most " + std::to_string(limits::kRunFilterTerms) + " comparisons");
    FilterNode node;
    FilterTerm& term = node.term;
    Entity(term);
    const Token& op = Peek();
    if (op.kind == Tok::kOp) {
      if (op.text == "=" || op.text == "==")
        term.op = FilterOp::kEq;
      else if (op.text == "!=")
        term.op = FilterOp::kNe;
      else if (op.text == "<")
        term.op = FilterOp::kLt;
      else if (op.text == "<=")
        term.op = FilterOp::kLe;
      else if (op.text == ">")
        term.op = FilterOp::kGt;
      else
        term.op = FilterOp::kGe;
    } else if (op.kind == Tok::kIdent && (Lower(op.text) == "like" || Lower(op.text) == "ilike")) {
      term.op = Lower(op.text) == "like" ? FilterOp::kLike : FilterOp::kILike;
    } else {
      lexer_.Fail(op.position, "an operator (= != < <= > >= LIKE ILIKE)");
    }
    ++at_;
    const bool numeric_entity =
        term.entity == FilterEntity::kMetric ||
        (term.entity == FilterEntity::kAttribute && term.key != "status" && term.key != "name");
    const bool ordering = term.op == FilterOp::kLt || term.op == FilterOp::kLe ||
                          term.op == FilterOp::kGt || term.op == FilterOp::kGe;
    const bool like = term.op == FilterOp::kLike || term.op == FilterOp::kILike;
    if (numeric_entity && like)
      lexer_.Fail(op.position, "a numeric comparison (= != < <= > >=): LIKE is for strings");
    if (!numeric_entity && ordering)
      lexer_.Fail(op.position, "= != LIKE or ILIKE: params, tags, name and status are strings");
    const Token& value = Peek();
    if (numeric_entity) {
      if (value.kind != Tok::kNumber) lexer_.Fail(value.position, "a number");
      term.numeric = true;
      term.number = value.number;
    } else {
      if (value.kind != Tok::kString && value.kind != Tok::kQuoted)
        lexer_.Fail(value.position, "a quoted string ('...')");
      term.text = value.text;
      if (term.text.size() > limits::kRunTagValueBytes)
        lexer_.Fail(value.position,
                    "a string of at most " + std::to_string(limits::kRunTagValueBytes) + " bytes");
    }
    ++at_;
    return node;
  }

  Lexer lexer_;
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
  std::size_t terms_ = 0;
  int depth_ = 0;
};

void CheckText(const std::string& text, const std::string& field) {
  if (text.size() > limits::kRunFilterBytes)
    throw Error(ErrorCode::kInvalidArgument,
                "at most " + std::to_string(limits::kRunFilterBytes) + " bytes", field);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\0')
      throw Error(ErrorCode::kInvalidArgument,
                  "at character " + std::to_string(i + 1) + ": NUL is not allowed", field);
  if (!IsValidUtf8(text))
    throw Error(ErrorCode::kInvalidArgument, "the text is not valid UTF-8", field);
}

}  // namespace

FilterNode ParseFilter(const std::string& text, const std::string& field) {
  CheckText(text, field);
  return Parser(text, field).Filter();
}

OrderBy ParseOrderBy(const std::string& text, const std::string& field) {
  CheckText(text, field);
  return Parser(text, field).Order();
}

}  // namespace krige::service
