#pragma once
// Where the revision files are: an alembic.ini's `script_location` and `version_locations`, or a
// plain directory.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// The folders to read revision files from, and how.
struct ScriptSource {
  std::filesystem::path origin;              ///< what the caller named: an alembic.ini or a directory
  std::optional<std::filesystem::path> ini;  ///< the alembic.ini that was read, if any
  std::filesystem::path script_location;     ///< the script directory; empty for a bare versions folder
  /// The folders scanned, in this order. From `version_locations` only the existing ones count
  /// (alembic skips the others); the default `<script_location>/versions` must exist.
  std::vector<std::filesystem::path> version_locations;
  bool explicit_locations = false;  ///< true when `version_locations` was set
  bool recursive = false;           ///< `recursive_version_locations = true`: sub-folders too

  /// Field-wise equality.
  bool operator==(const ScriptSource&) const = default;
};

/// Resolves what the user named: an alembic.ini file; a directory holding an alembic.ini; a
/// script directory (it has a `versions/` folder); or else a folder of revision files itself.
/// An error (kInvalidArgument) when the path does not exist or the ini is unusable.
Result<ScriptSource> locate_scripts(const std::filesystem::path& ini_or_directory);

/// Reads an alembic.ini's [alembic] section as alembic 1.8 does: `%(here)s` is the ini's folder;
/// `script_location` and `version_locations` are split by `version_path_separator`. Relative
/// paths are taken from the ini's folder (alembic takes them from its working directory, which
/// is that folder when alembic is run as documented). A `package:path` resource is an error:
/// resolving it needs Python.
Result<ScriptSource> read_alembic_ini(const std::filesystem::path& ini);

/// Splits a `version_locations` value. `separator` is the `version_path_separator` value:
/// absent = the legacy split on commas and spaces; "os" (':' on POSIX), "space", ":", ";" as
/// alembic 1.8 accepts; "newline" as later alembic accepts. Empty pieces are dropped.
Result<std::vector<std::string>> split_version_locations(std::string_view value,
                                                         const std::optional<std::string>& separator);

}  // namespace mgate::backend::alembic
