#pragma once
// Reading the Go structs' JSON the way Go reads them: a null member counts as absent.

#include <string>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// The member `key` of an object, or nullptr when it is absent, null, or obj is no object.
inline const Json* member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

/// The string member `key`, or "" when it is absent or not a string.
inline std::string str_member(const Json& obj, const char* key) {
  const Json* v = member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace mgate::kubesim
