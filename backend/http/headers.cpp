#include "backend/http/headers.hpp"

namespace mgate::backend::http {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::append_to_last(std::string_view text) {
  if (fields_.empty()) return;
  std::string& value = fields_.back().second;
  if (!value.empty() && !text.empty()) value += ' ';
  value += text;
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name)) out.push_back(value);
  }
  return out;
}

bool Headers::contains(std::string_view name) const {
  return get(name).has_value();
}

}  // namespace mgate::backend::http
