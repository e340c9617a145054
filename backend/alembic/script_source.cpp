#include "backend/alembic/script_source.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "backend/alembic/ini_file.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kSection = "alembic";

Error usage(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// alembic's coerce_resource_to_filename takes "package:path" as a Python package resource.
bool is_package_resource(std::string_view location) {
  return !location.starts_with('/') && location.find(':') != std::string_view::npos;
}

Result<fs::path> resolve(const fs::path& base, std::string_view location, std::string_view key,
                         const fs::path& ini) {
  if (is_package_resource(location)) {
    return usage(
        fmt::format("{}: {} `{}` names a Python package resource; mgate needs a file-system "
                    "path (use %(here)s/...)",
                    ini.string(), key, location));
  }
  const fs::path p(location);
  return (p.is_absolute() ? p : base / p).lexically_normal();
}

Result<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return usage(fmt::format("cannot read {}", file.string()));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

Result<std::vector<std::string>> split_version_locations(std::string_view value,
                                                         const std::optional<std::string>& separator) {
  std::vector<std::string> out;
  auto keep = [&out](std::string_view piece) {
    piece = trim(piece);
    if (!piece.empty()) out.emplace_back(piece);
  };
  if (!separator) {
    // The legacy rule: re.split(r", *|(?: +)") — commas and runs of spaces both separate.
    std::string piece;
    for (char c : value) {
      if (c == ',' || c == ' ') {
        keep(piece);
        piece.clear();
      } else {
        piece += c;
      }
    }
    keep(piece);
    return out;
  }
  char sep = 0;
  if (*separator == "os" || *separator == ":")
    sep = ':';
  else if (*separator == "space")
    sep = ' ';
  else if (*separator == ";")
    sep = ';';
  else if (*separator == "newline")
    sep = '\n';
  else {
    return usage(
        fmt::format("'{}' is not a valid value for version_path_separator; expected 'space', "
                    "'newline', 'os', ':', ';'",
                    *separator));
  }
  for (const auto& piece : split(value, sep)) keep(piece);
  return out;
}

Result<ScriptSource> read_alembic_ini(const fs::path& ini_path) {
  const fs::path ini = fs::absolute(ini_path).lexically_normal();
  auto text = read_text(ini);
  if (!text) return text.error();
  const fs::path here = ini.parent_path();
  auto parsed = IniFile::parse(*text, {{"here", here.string()}}, ini.string());
  if (!parsed) return parsed.error();
  if (!parsed->has_section(kSection)) {
    return usage(fmt::format("{}: no [alembic] section: not an alembic.ini", ini.string()));
  }
  auto get = [&](std::string_view key) { return parsed->get(kSection, key); };
  auto location = get("script_location");
  if (!location) return location.error();
  if (!*location) return usage(fmt::format("{}: no 'script_location' key found in [alembic]", ini.string()));

  ScriptSource source;
  source.origin = ini_path;
  source.ini = ini;
  auto script_dir = resolve(here, **location, "script_location", ini);
  if (!script_dir) return script_dir.error();
  source.script_location = *script_dir;
  if (!is_dir(source.script_location)) {
    return usage(fmt::format("{}:{}: script_location {} is not a directory", ini.string(),
                             parsed->line_of(kSection, "script_location"), source.script_location.string()));
  }
  auto recursive = get("recursive_version_locations");
  if (!recursive) return recursive.error();
  source.recursive = *recursive && **recursive == "true";  // alembic compares with "true" exactly

  auto locations = get("version_locations");
  if (!locations) return locations.error();
  if (!*locations || (*locations)->empty()) {
    source.version_locations.push_back(source.script_location / "versions");
    return source;
  }
  auto separator = get("version_path_separator");
  if (!separator) return separator.error();
  auto pieces = split_version_locations(**locations, *separator);
  if (!pieces) return usage(fmt::format("{}: {}", ini.string(), pieces.error().message));
  source.explicit_locations = true;
  for (const auto& piece : *pieces) {
    auto p = resolve(here, piece, "version_locations", ini);
    if (!p) return p.error();
    source.version_locations.push_back(*p);
  }
  return source;
}

Result<ScriptSource> locate_scripts(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return usage(fmt::format("{} does not exist", path.string()));
  if (fs::is_regular_file(status)) return read_alembic_ini(path);
  if (!fs::is_directory(status)) {
    return usage(fmt::format("{} is neither an alembic.ini nor a directory", path.string()));
  }
  if (path_exists(path / "alembic.ini")) {
    auto source = read_alembic_ini(path / "alembic.ini");
    if (source) source->origin = path;
    return source;
  }
  ScriptSource source;
  source.origin = path;
  const fs::path dir = fs::absolute(path).lexically_normal();
  if (is_dir(dir / "versions")) {
    source.script_location = dir;
    source.version_locations.push_back(dir / "versions");
  } else {
    source.version_locations.push_back(dir);
  }
  return source;
}

}  // namespace mgate::backend::alembic
