#pragma once
// Reading API JSON into views without throwing: a Fields reader remembers the first malformed field
// (by its dotted path, "metadata.name") so a parser reads every field in a straight line and checks
// once at the end.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::kube {

/// Reads fields of one JSON object; absent and null fields read as "not there", a field of the
/// wrong type is an error (kProtocol naming the field), and the first error is kept for all readers
/// derived from the same root.
class Fields {
 public:
  /// A reader over `object` (an API object of kind `kind`, named in errors).
  Fields(const nlohmann::json& object, std::string kind);

  /// A reader over the sub-object at dotted `path`; an empty object when it is absent.
  Fields object(std::string_view path) const;
  /// The elements of the array at `path` as readers (objects only); none when absent.
  std::vector<Fields> objects(std::string_view path) const;

  /// The string at `path`; an error naming it when it is absent or empty.
  std::string required_string(std::string_view path) const;
  /// The string at `path`, "" when absent.
  std::string string(std::string_view path) const;
  /// The string at `path`, nothing when absent.
  std::optional<std::string> optional_string(std::string_view path) const;
  /// The integer at `path`, nothing when absent.
  std::optional<std::int64_t> optional_int(std::string_view path) const;
  /// The integer at `path`, `fallback` when absent.
  std::int64_t integer(std::string_view path, std::int64_t fallback = 0) const;
  /// The boolean at `path`, `fallback` when absent.
  bool boolean(std::string_view path, bool fallback = false) const;
  /// The RFC 3339 time at `path`, nothing when absent; an error when unreadable.
  std::optional<Clock::time_point> optional_time(std::string_view path) const;
  /// The string → string object at `path` (labels, annotations); empty when absent.
  std::map<std::string, std::string> string_map(std::string_view path) const;
  /// The array of strings at `path`; empty when absent.
  std::vector<std::string> strings(std::string_view path) const;
  /// True when `path` holds a non-null value.
  bool has(std::string_view path) const;

  /// The first error any reader of this root met, if any.
  const std::optional<Error>& error() const { return *error_; }

 private:
  Fields(const nlohmann::json* node, std::string prefix, std::string kind,
         std::shared_ptr<std::optional<Error>> error);
  /// The value at `path`, or nullptr when it (or an object on the way) is absent or null.
  const nlohmann::json* find(std::string_view path) const;
  /// Records "<kind>: <field> <problem>" unless an earlier error is kept.
  void fail(std::string_view path, std::string_view problem) const;
  std::string full(std::string_view path) const;

  const nlohmann::json* node_;
  std::string prefix_;
  std::string kind_;
  std::shared_ptr<std::optional<Error>> error_;
};

/// The tag of an image reference ("repo/app:tag@sha256:…" → "tag"); "" when it has none.
std::string_view image_tag(std::string_view image);

/// The reference without its tag and digest ("host:5000/app:v1" → "host:5000/app").
std::string_view image_name(std::string_view image);

}  // namespace mgate::backend::kube
