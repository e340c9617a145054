#include "backend/kube/manifest.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

#include <fmt/format.h>

namespace mgate::backend::kube {
namespace {

using Json = nlohmann::json;

struct ManifestError {
  Error error;
};

std::string where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source;
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

/// A plain scalar as YAML 1.2's core schema reads it.
Json plain_scalar(const std::string& text) {
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (std::regex_match(text, kInt)) {
    long long value = 0;
    const char* first = text.data() + (text[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
    return text;  // out of range: kept as written
  }
  if (std::regex_match(text, kFloat)) return std::stod(text);
  return text;
}

Json to_json(const YAML::Node& node, const std::string& source) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // "!" is the tag of a quoted scalar: always a string.
      return node.Tag() == "!" ? Json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(to_json(item, source));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          throw ManifestError{make_error(ErrorCode::kInvalidArgument,
                                         where(source, kv.first.Mark()) + ": a mapping key must be a scalar")};
        }
        out[kv.first.Scalar()] = to_json(kv.second, source);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Result<Json> parse_manifest(std::string_view text, const std::string& source) {
  try {
    const std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    std::vector<YAML::Node> objects;
    for (const auto& d : docs) {
      if (!d.IsNull()) objects.push_back(d);
    }
    if (objects.size() != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: expected one Kubernetes object, found {} documents", source, objects.size()));
    }
    const YAML::Node& root = objects.front();
    if (!root.IsMap()) {
      return make_error(ErrorCode::kInvalidArgument, where(source, root.Mark()) + ": expected a mapping (a Kubernetes object)");
    }
    Json out = to_json(root, source);
    for (const char* key : {"apiVersion", "kind"}) {
      if (!out.contains(key) || !out[key].is_string()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: the object has no {}", where(source, root.Mark()), key));
      }
    }
    return out;
  } catch (const ManifestError& e) {
    return e.error;
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, where(source, e.mark) + ": not valid YAML: " + e.msg);
  }
}

}  // namespace mgate::backend::kube
