#include "backend/alembic/ini_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {
namespace {

// configparser's MAX_INTERPOLATION_DEPTH.
constexpr int kMaxDepth = 10;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::size_t indent_of(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string_view::npos ? line.size() : first;
}

// Lines without their end-of-line characters.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    out.push_back(line);
    pos = end + 1;
  }
  return out;
}

}  // namespace

Result<IniFile> IniFile::parse(std::string_view text, std::map<std::string, std::string> defaults,
                               std::string_view name) {
  IniFile ini;
  ini.name_ = std::string(name);
  for (auto& [k, v] : defaults) ini.defaults_[lower(k)] = Entry{std::move(v), 0};
  Section* current = nullptr;
  Entry* open = nullptr;  // the value continuation lines extend
  std::size_t open_indent = 0;
  int blank_run = 0;  // blank lines inside a value are kept when more of it follows
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    const std::string_view line = lines[i];
    const std::string_view stripped = trim(line);
    if (stripped.starts_with('#') || stripped.starts_with(';')) continue;
    if (stripped.empty()) {
      if (open != nullptr) ++blank_run;
      continue;
    }
    const std::size_t indent = indent_of(line);
    if (open != nullptr && indent > open_indent) {
      for (; blank_run > 0; --blank_run) open->value += "\n";
      open->value += "\n" + std::string(stripped);
      continue;
    }
    open = nullptr;
    blank_run = 0;
    if (stripped.starts_with('[') && stripped.find(']') != std::string_view::npos) {
      const std::string section(stripped.substr(1, stripped.rfind(']') - 1));
      if (section == "DEFAULT") {
        current = &ini.defaults_;
        continue;
      }
      if (ini.sections_.count(section) != 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}:{}: section [{}] appears twice", name, number, section));
      }
      current = &ini.sections_[section];
      continue;
    }
    const auto delim = stripped.find_first_of("=:");
    if (current == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}:{}: `{}` comes before any [section]", name, number, stripped));
    }
    if (delim == std::string_view::npos || delim == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}:{}: expected `key = value`, found `{}`", name, number, stripped));
    }
    const std::string key = lower(trim(stripped.substr(0, delim)));
    if (current->count(key) != 0 && current->at(key).line != 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}:{}: key `{}` appears twice in its section", name, number, key));
    }
    (*current)[key] = Entry{std::string(trim(stripped.substr(delim + 1))), number};
    open = &(*current)[key];
    open_indent = indent;
  }
  return ini;
}

bool IniFile::has_section(std::string_view section) const {
  return sections_.count(section) != 0;
}

const IniFile::Entry* IniFile::find(std::string_view section, std::string_view key) const {
  const std::string k = lower(key);
  if (auto s = sections_.find(section); s != sections_.end()) {
    if (auto e = s->second.find(k); e != s->second.end()) return &e->second;
  }
  if (auto e = defaults_.find(k); e != defaults_.end()) return &e->second;
  return nullptr;
}

int IniFile::line_of(std::string_view section, std::string_view key) const {
  const Entry* e = find(section, key);
  return e == nullptr ? 0 : e->line;
}

Result<std::optional<std::string>> IniFile::get(std::string_view section, std::string_view key) const {
  const Entry* e = find(section, key);
  if (e == nullptr) return std::optional<std::string>{};
  auto value = interpolate(section, e->value, 0);
  if (!value) return value.error();
  return std::optional<std::string>{std::move(*value)};
}

Result<std::string> IniFile::interpolate(std::string_view section, std::string_view value, int depth) const {
  if (depth > kMaxDepth) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: interpolation deeper than {} levels in [{}]", name_, kMaxDepth, section));
  }
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    const auto close = value.find(")s", i);
    if (i + 1 >= value.size() || value[i + 1] != '(' || close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: '%' must be followed by '%' or '(name)s' in `{}`", name_, value));
    }
    const std::string_view ref = value.substr(i + 2, close - i - 2);
    const Entry* e = find(section, ref);
    if (e == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: `%({})s` names no key of [{}]", name_, ref, section));
    }
    auto expanded = interpolate(section, e->value, depth + 1);
    if (!expanded) return expanded.error();
    out += *expanded;
    i = close + 1;
  }
  return out;
}

}  // namespace mgate::backend::alembic
