// YAML spec files are read into the same JSON document the REST API takes, so there is one
// decoder (SpecFromJson) and one set of error messages for both.
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

#include "krige/codec.hpp"

namespace krige {
namespace {

// std::regex recurses per character: a long scalar would overflow the stack. No number is
// this long; a longer scalar is a string.
constexpr std::size_t kMaxNumberChars = 400;
// Aliases may expand exponentially (a billion laughs): at most this many nodes are converted.
constexpr std::size_t kMaxNodes = 1000000;

Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text.size() > kMaxNumberChars) return text;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (std::regex_match(text, kInt)) {
    errno = 0;
    const long long v = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == 0) return static_cast<std::int64_t>(v);
  }
  if (std::regex_match(text, kFloat)) return std::strtod(text.c_str(), nullptr);
  return text;
}

// Deeper than any spec (whose bound is 32 levels): also what stops a recursive alias
// (`&a [*a]`), which yaml-cpp loads as a node that contains itself.
constexpr int kMaxDepth = 64;

Json NodeToJson(const YAML::Node& node, std::size_t& nodes, int depth = 0) {
  if (++nodes > kMaxNodes)
    throw Error(ErrorCode::kInvalidArgument, "malformed YAML: more than " +
                                                 std::to_string(kMaxNodes) +
                                                 " values once its aliases are expanded");
  if (depth > kMaxDepth)
    throw Error(ErrorCode::kInvalidArgument, "malformed YAML: nested more than " +
                                                 std::to_string(kMaxDepth) +
                                                 " levels deep (or an alias that contains itself)");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item, nodes, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node)
        out[item.first.as<std::string>()] = NodeToJson(item.second, nodes, depth + 1);
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Json YamlToJson(const std::string& yaml_text) {
  try {
    std::size_t nodes = 0;
    return NodeToJson(YAML::Load(yaml_text), nodes);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                "malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace krige
