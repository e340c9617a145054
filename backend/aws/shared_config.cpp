#include "backend/aws/shared_config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "backend/core/strings.hpp"

namespace mgate::backend::aws {
namespace {

Error line_error(const std::string& path, int line, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", path, line, why));
}

bool is_indented(std::string_view line) {
  return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

std::string config_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Result<IniFile> parse_ini(std::string_view text, const std::string& path) {
  IniFile file{path, {}};
  // Messages name file:line and never the line's text or key: a mangled line may be a secret.
  IniSection* section = nullptr;
  std::string* last_value = nullptr;  // the key a continuation line belongs to
  int number = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++number;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view stripped = trim(line);
    if (stripped.empty() || stripped.front() == '#' || stripped.front() == ';') continue;
    // configparser: an indented line after a key continues its value; botocore reads a value
    // that starts on the next line as a nested block (`s3 =` settings), which we do not need.
    if (is_indented(line) && last_value != nullptr) {
      *last_value += "\n";
      *last_value += stripped;
      continue;
    }
    if (stripped.front() == '[') {
      if (stripped.back() != ']') return line_error(path, number, "section header without ']'");
      const std::string name(trim(stripped.substr(1, stripped.size() - 2)));
      if (file.sections.count(name) != 0) {
        return line_error(path, number, fmt::format("section [{}] appears twice", name));
      }
      section = &file.sections[name];
      last_value = nullptr;
      continue;
    }
    const std::size_t delim = stripped.find_first_of("=:");
    if (delim == std::string_view::npos) {
      return line_error(path, number, "expected `[section]` or `key = value`");
    }
    const std::string key = config_lower(trim(stripped.substr(0, delim)));
    if (key.empty()) return line_error(path, number, "a value without a key");
    if (section == nullptr) {
      return line_error(path, number, "a key before any [section]");
    }
    if (section->count(key) != 0) {
      return line_error(path, number, "a key repeated in its section");
    }
    last_value = &((*section)[key] = std::string(trim(stripped.substr(delim + 1))));
  }
  return file;
}

Result<std::optional<IniFile>> load_ini(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<IniFile>{};
    return make_error(ErrorCode::kIo, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_ini(text.str(), path);
  if (!parsed) return parsed.error();
  return std::optional<IniFile>(std::move(parsed).value());
}

const IniSection* SharedConfig::config_profile(const std::string& name) const {
  if (!config) return nullptr;
  // botocore reads `[profile NAME]`; for the default profile `[default]` is the usual spelling.
  const auto prefixed = config->sections.find("profile " + name);
  if (prefixed != config->sections.end()) return &prefixed->second;
  if (name == "default") {
    const auto plain = config->sections.find("default");
    if (plain != config->sections.end()) return &plain->second;
  }
  return nullptr;
}

const IniSection* SharedConfig::credentials_profile(const std::string& name) const {
  if (!credentials) return nullptr;
  const auto it = credentials->sections.find(name);
  return it == credentials->sections.end() ? nullptr : &it->second;
}

bool SharedConfig::has_profile(const std::string& name) const {
  return config_profile(name) != nullptr || credentials_profile(name) != nullptr;
}

IniSection SharedConfig::merged_profile(const std::string& name) const {
  IniSection merged;
  if (const IniSection* c = config_profile(name)) merged = *c;
  if (const IniSection* c = credentials_profile(name)) {
    for (const auto& [key, value] : *c) merged[key] = value;
  }
  return merged;
}

Result<SharedConfig> load_shared_config(const std::string& config_path, const std::string& credentials_path) {
  SharedConfig shared;
  auto config = load_ini(config_path);
  if (!config) return config.error();
  auto credentials = load_ini(credentials_path);
  if (!credentials) return credentials.error();
  shared.config = std::move(config).value();
  shared.credentials = std::move(credentials).value();
  return shared;
}

}  // namespace mgate::backend::aws
