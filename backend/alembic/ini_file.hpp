#pragma once
// The part of Python's configparser that alembic.ini files use: sections, `key = value` and
// `key: value`, indented continuation lines, full-line comments, and BasicInterpolation
// (`%(here)s`, `%%`).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// An .ini file as configparser reads it (strict mode: a repeated section or key is an error).
class IniFile {
 public:
  /// Parses text; `defaults` act as the DEFAULT section (alembic passes `here`). `name` is used
  /// in error messages. Errors name the line.
  static Result<IniFile> parse(std::string_view text, std::map<std::string, std::string> defaults,
                               std::string_view name);

  /// True when the section exists.
  bool has_section(std::string_view section) const;

  /// The value of key in section (keys are case-insensitive), interpolated as configparser's
  /// BasicInterpolation does: `%(name)s` from the section or the defaults, `%%` for `%`.
  /// Nothing when the key is absent; an error for a broken interpolation.
  Result<std::optional<std::string>> get(std::string_view section, std::string_view key) const;

  /// The line a key was set on (for messages); 0 when absent.
  int line_of(std::string_view section, std::string_view key) const;

 private:
  struct Entry {
    std::string value;
    int line = 0;
  };
  using Section = std::map<std::string, Entry, std::less<>>;

  const Entry* find(std::string_view section, std::string_view key) const;
  Result<std::string> interpolate(std::string_view section, std::string_view value, int depth) const;

  std::string name_;
  Section defaults_;
  std::map<std::string, Section, std::less<>> sections_;
};

}  // namespace mgate::backend::alembic
