#include "backend/kube/view_json.hpp"

#include <fmt/format.h>

namespace mgate::backend::kube {

using Json = nlohmann::json;

namespace {

const Json& empty_object() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

}  // namespace

Fields::Fields(const Json& object, std::string kind)
    : Fields(&object, "", std::move(kind), std::make_shared<std::optional<Error>>()) {
  if (!object.is_object()) fail("", "is not a JSON object");
}

Fields::Fields(const Json* node, std::string prefix, std::string kind,
               std::shared_ptr<std::optional<Error>> error)
    : node_(node), prefix_(std::move(prefix)), kind_(std::move(kind)), error_(std::move(error)) {}

std::string Fields::full(std::string_view path) const {
  if (prefix_.empty()) return std::string(path);
  if (path.empty()) return prefix_;
  return prefix_ + "." + std::string(path);
}

void Fields::fail(std::string_view path, std::string_view problem) const {
  if (error_->has_value()) return;
  const std::string field = full(path);
  *error_ = make_error(ErrorCode::kProtocol, field.empty() ? fmt::format("{} {}", kind_, problem)
                                                           : fmt::format("{}: {} {}", kind_, field, problem));
}

const Json* Fields::find(std::string_view path) const {
  const Json* at = node_;
  if (path.empty()) return at;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t dot = std::min(path.find('.', begin), path.size());
    if (!at->is_object()) {
      fail(path.substr(0, begin == 0 ? 0 : begin - 1), "is not an object");
      return nullptr;
    }
    const auto it = at->find(std::string(path.substr(begin, dot - begin)));
    if (it == at->end() || it->is_null()) return nullptr;
    at = &*it;
    if (dot == path.size()) return at;
    begin = dot + 1;
  }
}

bool Fields::has(std::string_view path) const {
  return find(path) != nullptr;
}

Fields Fields::object(std::string_view path) const {
  const Json* v = find(path);
  if (v == nullptr) return Fields(&empty_object(), full(path), kind_, error_);
  if (!v->is_object()) {
    fail(path, "is not an object");
    return Fields(&empty_object(), full(path), kind_, error_);
  }
  return Fields(v, full(path), kind_, error_);
}

std::vector<Fields> Fields::objects(std::string_view path) const {
  std::vector<Fields> out;
  const Json* v = find(path);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(path, "is not an array");
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string item = fmt::format("{}[{}]", full(path), i);
    if (!(*v)[i].is_object()) {
      fail(fmt::format("{}[{}]", path, i), "is not an object");
      continue;
    }
    out.push_back(Fields(&(*v)[i], item, kind_, error_));
  }
  return out;
}

std::optional<std::string> Fields::optional_string(std::string_view path) const {
  const Json* v = find(path);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(path, "is not a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::string Fields::string(std::string_view path) const {
  return optional_string(path).value_or("");
}

std::string Fields::required_string(std::string_view path) const {
  auto v = optional_string(path);
  if (!v || v->empty()) {
    if (!v && has(path)) return "";  // wrong type, already recorded
    fail(path, "is missing");
    return "";
  }
  return *v;
}

std::optional<std::int64_t> Fields::optional_int(std::string_view path) const {
  const Json* v = find(path);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    fail(path, "is not an integer");
    return std::nullopt;
  }
  return v->get<std::int64_t>();
}

std::int64_t Fields::integer(std::string_view path, std::int64_t fallback) const {
  return optional_int(path).value_or(fallback);
}

bool Fields::boolean(std::string_view path, bool fallback) const {
  const Json* v = find(path);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    fail(path, "is not a boolean");
    return fallback;
  }
  return v->get<bool>();
}

std::optional<Clock::time_point> Fields::optional_time(std::string_view path) const {
  const auto text = optional_string(path);
  if (!text || text->empty()) return std::nullopt;
  auto t = parse_rfc3339(*text);
  if (!t) {
    fail(path, fmt::format("is not an RFC 3339 time: {}", *text));
    return std::nullopt;
  }
  return *t;
}

std::map<std::string, std::string> Fields::string_map(std::string_view path) const {
  std::map<std::string, std::string> out;
  const Json* v = find(path);
  if (v == nullptr) return out;
  if (!v->is_object()) {
    fail(path, "is not an object");
    return out;
  }
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) {
      fail(fmt::format("{}.{}", path, key), "is not a string");
      continue;
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

std::vector<std::string> Fields::strings(std::string_view path) const {
  std::vector<std::string> out;
  const Json* v = find(path);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(path, "is not an array");
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      fail(fmt::format("{}[{}]", path, i), "is not a string");
      continue;
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

std::string_view image_name(std::string_view image) {
  const std::size_t at = image.find('@');
  if (at != std::string_view::npos) image = image.substr(0, at);
  const std::size_t colon = image.rfind(':');
  const std::size_t slash = image.rfind('/');
  // A colon before the last slash is a registry port ("host:5000/app"), not a tag.
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    image = image.substr(0, colon);
  }
  return image;
}

std::string_view image_tag(std::string_view image) {
  const std::size_t at = image.find('@');
  if (at != std::string_view::npos) image = image.substr(0, at);
  const std::string_view name = image_name(image);
  if (name.size() >= image.size()) return {};
  return image.substr(name.size() + 1);
}

}  // namespace mgate::backend::kube
