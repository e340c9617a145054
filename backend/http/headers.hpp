#pragma once
// HTTP header fields: names compare case-insensitively and a name may repeat.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mgate::backend::http {

/// True when a and b are equal ignoring ASCII case (header names, methods, schemes).
bool iequals(std::string_view a, std::string_view b);

/// Response header fields in the order the server sent them. A name may appear
/// several times (Link, WWW-Authenticate, Set-Cookie); lookups ignore case, as
/// HTTP/2 servers send lower-case names and HTTP/1.1 servers usually do not.
class Headers {
 public:
  /// One field as received: the name as the server spelled it, and its value.
  using Field = std::pair<std::string, std::string>;

  /// Appends a field; earlier fields of the same name are kept.
  void add(std::string name, std::string value);
  /// Appends text to the value of the last field (an obsolete folded continuation line).
  void append_to_last(std::string_view text);
  /// Removes every field.
  void clear() { fields_.clear(); }

  /// The value of the first field called name, if any.
  std::optional<std::string> get(std::string_view name) const;
  /// The values of every field called name, in order. A server may also put
  /// several values in one field separated by commas; those are not split here.
  std::vector<std::string> get_all(std::string_view name) const;
  /// True when at least one field is called name.
  bool contains(std::string_view name) const;

  /// Every field, in order.
  const std::vector<Field>& fields() const { return fields_; }
  /// The number of fields.
  std::size_t size() const { return fields_.size(); }
  /// True when there is no field.
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace mgate::backend::http
