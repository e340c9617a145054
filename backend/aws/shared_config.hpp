#pragma once
// The AWS shared config and credentials files, read as botocore reads them.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backend/core/error.hpp"

namespace mgate::backend::aws {

/// One section's keys (lower-cased, as configparser stores them) and their values.
using IniSection = std::map<std::string, std::string>;

/// One parsed ini file: section name -> keys.
struct IniFile {
  std::string path;                            ///< where it was read from, for messages
  std::map<std::string, IniSection> sections;  ///< by the name between the brackets, trimmed
};

/// Parses the configparser dialect botocore uses: `[section]`, `key = value` or `key: value`,
/// full-line comments with `#` or `;`, and indented continuation lines (the nested `s3 =` blocks),
/// which are appended to the key's value and otherwise ignored.
/// A line that is none of these, a key before any section, or a repeated section or key is an
/// error naming `path:line`; the line's text is not repeated, as it may hold a secret.
Result<IniFile> parse_ini(std::string_view text, const std::string& path);

/// Reads and parses `path`; a file that does not exist is nothing, not an error.
Result<std::optional<IniFile>> load_ini(const std::string& path);

/// The two shared files; either may be absent.
struct SharedConfig {
  std::optional<IniFile> config;       ///< ~/.aws/config: `[default]` and `[profile NAME]`
  std::optional<IniFile> credentials;  ///< ~/.aws/credentials: `[NAME]`

  /// The profile's section in the config file (`[profile NAME]`, or `[default]` for default).
  const IniSection* config_profile(const std::string& name) const;
  /// The profile's section in the credentials file (`[NAME]`).
  const IniSection* credentials_profile(const std::string& name) const;
  /// True when either file has the profile.
  bool has_profile(const std::string& name) const;
  /// The profile as botocore sees it: the config file's keys, overridden by the credentials file's.
  IniSection merged_profile(const std::string& name) const;
};

/// Loads both files; a missing file is fine, an unreadable or malformed one is an error.
Result<SharedConfig> load_shared_config(const std::string& config_path, const std::string& credentials_path);

}  // namespace mgate::backend::aws
