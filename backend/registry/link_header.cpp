#include "backend/registry/link_header.hpp"

#include "backend/core/strings.hpp"
#include "backend/http/headers.hpp"

namespace mgate::backend::registry {
namespace {

// The value of a link-param starting at pos (just after '='): quoted, or up to ';' or ','.
std::string read_param_value(std::string_view s, std::size_t& pos) {
  std::string out;
  if (pos < s.size() && s[pos] == '"') {
    ++pos;
    while (pos < s.size() && s[pos] != '"') {
      if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
      out += s[pos++];
    }
    if (pos < s.size()) ++pos;
    return out;
  }
  const std::size_t start = pos;
  while (pos < s.size() && s[pos] != ';' && s[pos] != ',') ++pos;
  return std::string(trim(s.substr(start, pos - start)));
}

bool rel_matches(std::string_view rels, std::string_view rel) {
  // rel may list several relation types separated by spaces ("next last").
  for (const std::string& one : split(trim(rels), ' ')) {
    if (http::iequals(one, rel)) return true;
  }
  return false;
}

// Reads the params after a link's '>' up to the next ',' outside quotes; true when rel matches.
bool read_params(std::string_view s, std::size_t& pos, std::string_view rel) {
  bool matched = false;
  while (pos < s.size() && s[pos] != ',') {
    if (s[pos] == ';' || s[pos] == ' ' || s[pos] == '\t') {
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] != '=' && s[pos] != ';' && s[pos] != ',') ++pos;
    const std::string_view name = trim(s.substr(start, pos - start));
    if (pos < s.size() && s[pos] == '=') {
      ++pos;
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      const std::string value = read_param_value(s, pos);
      if (http::iequals(name, "rel") && rel_matches(value, rel)) matched = true;
    }
  }
  return matched;
}

}  // namespace

std::optional<std::string> find_link(const std::vector<std::string>& header_values, std::string_view rel) {
  for (const std::string& value : header_values) {
    std::size_t pos = 0;
    while (true) {
      const std::size_t open = value.find('<', pos);
      if (open == std::string::npos) break;
      const std::size_t close = value.find('>', open + 1);
      if (close == std::string::npos) break;
      std::string target = value.substr(open + 1, close - open - 1);
      pos = close + 1;
      if (read_params(value, pos, rel)) return target;
    }
  }
  return std::nullopt;
}

}  // namespace mgate::backend::registry
