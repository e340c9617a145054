#include "backend/config/map_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <system_error>

#include "backend/core/strings.hpp"

namespace mgate::backend::config::detail {
namespace {

namespace fs = std::filesystem;

// Resolves a path as the file means it, or says why it cannot.
std::variant<fs::path, std::string> resolve_path(const Sink& sink, const std::string& raw) {
  fs::path p;
  if (raw == "~" || raw.starts_with("~/")) {
    if (sink.home().empty()) return std::string("cannot expand '~': $HOME is not set");
    p = fs::path(sink.home()) / raw.substr(raw.size() > 1 ? 2 : 1);
  } else if (raw.starts_with("~")) {
    // ~user needs a password-database lookup; a full path is clearer in a shared file anyway.
    return fmt::format("'~user' paths are not supported; write the full path or '~/…', got {}", quote(raw));
  } else {
    p = raw;
  }
  if (p.is_relative()) p = sink.base_dir() / p;
  p = p.lexically_normal();
  // lexically_normal keeps a trailing separator ("dir/"); drop it so equal paths compare equal.
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// Why the path does not satisfy `must`, or nothing.
std::optional<std::string> check_on_disk(const fs::path& p, PathMust must) {
  if (must == PathMust::kAnything) return std::nullopt;
  std::error_code ec;
  const auto status = fs::status(p, ec);
  if (!fs::exists(status)) return fmt::format("{} does not exist", p.string());
  const bool file = fs::is_regular_file(status);
  const bool dir = fs::is_directory(status);
  if (must == PathMust::kExistAsFile && !file) return fmt::format("{} is not a file", p.string());
  if (must == PathMust::kExistAsDirectory && !dir) {
    return fmt::format("{} is not a directory", p.string());
  }
  if (must == PathMust::kExistAsFileOrDirectory && !file && !dir) {
    return fmt::format("{} is neither a file nor a directory", p.string());
  }
  return std::nullopt;
}

std::string what_node_is(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    default:
      return "nothing";
  }
}

}  // namespace

Sink::Sink(std::string file, std::filesystem::path base_dir, std::string home)
    : file_(std::move(file)), base_dir_(std::move(base_dir)), home_(std::move(home)) {}

void Sink::error(const Mark& at, std::string path, std::string message) {
  diagnostics_.push_back(Diagnostic{Diagnostic::Severity::kError, at, std::move(path), std::move(message)});
}

void Sink::warning(const Mark& at, std::string path, std::string message) {
  diagnostics_.push_back(Diagnostic{Diagnostic::Severity::kWarning, at, std::move(path), std::move(message)});
}

Mark Sink::mark(const YAML::Mark& at) const {
  // yaml-cpp counts from 0 and uses -1 for "no position".
  if (at.line < 0 || at.column < 0) return Mark{file_, 0, 0};
  return Mark{file_, at.line + 1, at.column + 1};
}

bool Sink::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

std::vector<Diagnostic> Sink::sorted() const {
  std::vector<Diagnostic> out = diagnostics_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
  });
  return out;
}

std::string describe(const YAML::Node& node) {
  return what_node_is(node);
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 120;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (s.size() > kMax) out += "…";
  return out + "\"";
}

MapReader::MapReader(Sink& sink, std::string path, Mark where)
    : sink_(&sink), path_(std::move(path)), where_(std::move(where)) {}

MapReader::MapReader(Sink& sink, const YAML::Node& node, std::string path, Mark where, KeyList keys)
    : MapReader(sink, std::move(path), std::move(where)) {
  read_entries(node, false, keys);
}

MapReader MapReader::any_keys(Sink& sink, const YAML::Node& node, std::string path, Mark where) {
  MapReader reader(sink, std::move(path), std::move(where));
  reader.read_entries(node, true, {});
  return reader;
}

void MapReader::read_entries(const YAML::Node& node, bool any_key, KeyList keys) {
  if (!node.IsMap()) {
    const Mark at = node.IsNull() ? where_ : sink_->mark(node);
    sink_->error(at, path_, "expected a mapping, got " + describe(node));
    return;
  }
  valid_ = true;
  std::map<std::string, Mark, std::less<>> seen;
  for (const auto& pair : node) {
    // Copies: yaml-cpp's iterator hands out a proxy, and a reference into it would dangle.
    const YAML::Node key_node = pair.first;
    const Mark key_mark = sink_->mark(key_node);
    if (!key_node.IsScalar()) {
      sink_->error(key_mark, path_, "expected a key name, got " + describe(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    if (auto first = seen.find(key); first != seen.end()) {
      // yaml-cpp keeps both entries and its lookups return the first, so the first one counts.
      sink_->error(key_mark, child_path(key),
                   fmt::format("duplicate key '{}'; it is first set at line {}, column {}", key,
                               first->second.line, first->second.column));
      continue;
    }
    seen.emplace(key, key_mark);
    if (!any_key && std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string message = fmt::format("unknown key '{}'", key);
      const std::vector<std::string> valid(keys.begin(), keys.end());
      if (auto guess = did_you_mean(key, valid)) {
        message += fmt::format("; did you mean '{}'?", *guess);
        suggested_.push_back(*guess);
      } else {
        message += fmt::format("; expected one of: {}", join(valid, ", "));
      }
      sink_->error(key_mark, child_path(key), std::move(message));
      continue;
    }
    entries_.push_back(Entry{key, key_mark, pair.second});
  }
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

bool MapReader::has(std::string_view key) const {
  const Entry* e = find(key);
  return e != nullptr && !e->value.IsNull();
}

std::string MapReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void MapReader::missing(std::string_view key) const {
  if (std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end()) return;
  sink_->error(where_, path_, fmt::format("missing required key '{}'", key));
}

void MapReader::value_error(std::string_view key, std::string message) const {
  const Entry* e = find(key);
  if (e == nullptr) return missing(key);
  // A null value has no text of its own; yaml-cpp marks it at the next token, so use the key.
  const Mark at = e->value.IsNull() ? e->key_mark : sink_->mark(e->value);
  sink_->error(at, child_path(key), std::move(message));
}

void MapReader::value_warning(std::string_view key, std::string message) const {
  const Entry* e = find(key);
  if (e == nullptr) return;
  const Mark at = e->value.IsNull() ? e->key_mark : sink_->mark(e->value);
  sink_->warning(at, child_path(key), std::move(message));
}

void MapReader::key_error(std::string_view key, std::string message) const {
  const Entry* e = find(key);
  sink_->error(e != nullptr ? e->key_mark : where_, child_path(key), std::move(message));
}

const YAML::Node* MapReader::present(std::string_view key, Need need, std::string_view expected) const {
  const Entry* e = find(key);
  if (e == nullptr) {
    if (need == Need::kRequired) missing(key);
    return nullptr;
  }
  // `key:` or `key: ~` on an optional key means "not set"; on a required key it is a mistake.
  if (e->value.IsNull()) {
    if (need == Need::kRequired) value_error(key, fmt::format("expected {}, got nothing", expected));
    return nullptr;
  }
  return &e->value;
}

const YAML::Node* MapReader::scalar(std::string_view key, Need need, std::string_view expected) const {
  const YAML::Node* v = present(key, need, expected);
  if (v == nullptr) return nullptr;
  if (!v->IsScalar()) {
    value_error(key, fmt::format("expected {}, got {}", expected, describe(*v)));
    return nullptr;
  }
  return v;
}

std::optional<std::string> MapReader::text(std::string_view key, Need need) const {
  const YAML::Node* v = scalar(key, need, "a string");
  if (v == nullptr) return std::nullopt;
  if (v->Scalar().empty()) {
    value_error(key, "expected a non-empty string, got \"\"");
    return std::nullopt;
  }
  return v->Scalar();
}

std::optional<int> MapReader::integer(std::string_view key, int lo, int hi, Need need) const {
  const std::string expected = fmt::format("an integer from {} to {}", lo, hi);
  const YAML::Node* v = scalar(key, need, expected);
  if (v == nullptr) return std::nullopt;
  const std::string& s = v->Scalar();
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < lo || value > hi) {
    value_error(key, fmt::format("expected {}, got {}", expected, quote(s)));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
  const YAML::Node* v = scalar(key, Need::kOptional, "true or false");
  if (v == nullptr) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(*v, value)) {
    value_error(key, fmt::format("expected true or false, got {}", quote(v->Scalar())));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> MapReader::choice(std::string_view key, const std::vector<std::string>& choices,
                                             const std::vector<std::pair<std::string, std::string>>& aliases,
                                             Need need) const {
  const std::string expected = fmt::format("one of {}", join(choices, ", "));
  const YAML::Node* v = scalar(key, need, expected);
  if (v == nullptr) return std::nullopt;
  const std::string& s = v->Scalar();
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  std::vector<std::string> every = choices;
  for (const auto& [alias, canonical] : aliases) {
    if (alias == s) return canonical;
    every.push_back(alias);
  }
  std::string message = fmt::format("expected {}", expected);
  if (!aliases.empty()) {
    std::vector<std::string> names;
    names.reserve(aliases.size());
    for (const auto& [alias, canonical] : aliases)
      names.push_back(fmt::format("{} for {}", alias, canonical));
    message += fmt::format(" (or the alias {})", join(names, ", "));
  }
  message += fmt::format("; got {}", quote(s));
  if (auto guess = did_you_mean(s, every)) message += fmt::format("; did you mean '{}'?", *guess);
  value_error(key, std::move(message));
  return std::nullopt;
}

std::optional<std::filesystem::path> MapReader::path_value(std::string_view key, Need need,
                                                           PathMust must) const {
  const auto raw = text(key, need);
  if (!raw) return std::nullopt;
  auto resolved = resolve_path(*sink_, *raw);
  if (const auto* why = std::get_if<std::string>(&resolved)) {
    value_error(key, *why);
    return std::nullopt;
  }
  auto& p = std::get<fs::path>(resolved);
  if (auto why = check_on_disk(p, must)) {
    value_error(key, fmt::format("{} (from {}, relative paths start at {})", *why, quote(*raw),
                                 sink_->base_dir().string()));
    return std::nullopt;
  }
  return std::move(p);
}

std::optional<std::vector<std::string>> MapReader::text_list(std::string_view key) const {
  const YAML::Node* v = present(key, Need::kOptional, "a list of strings");
  if (v == nullptr) return std::nullopt;
  if (v->IsScalar()) {
    auto one = text(key, Need::kOptional);
    if (!one) return std::nullopt;
    return std::vector<std::string>{std::move(*one)};
  }
  if (!v->IsSequence()) {
    value_error(key, "expected a list of strings, got " + describe(*v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const YAML::Node item = (*v)[i];
    if (!item.IsScalar() || item.Scalar().empty()) {
      sink_->error(sink_->mark(item), fmt::format("{}[{}]", child_path(key), i),
                   "expected a non-empty string, got " + describe(item));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<MapReader> MapReader::map(std::string_view key, KeyList keys, Need need) const {
  const YAML::Node* v = present(key, need, "a mapping");
  if (v == nullptr) return std::nullopt;
  MapReader nested(*sink_, *v, child_path(key), find(key)->key_mark, keys);
  if (!nested.valid()) return std::nullopt;
  return nested;
}

}  // namespace mgate::backend::config::detail
