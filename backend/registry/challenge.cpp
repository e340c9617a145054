#include "backend/registry/challenge.hpp"

#include <cctype>

#include "backend/http/headers.hpp"

namespace mgate::backend::registry {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Walks one header value: tokens (no white space, ',', '=' or '"'), quoted strings, bare values.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!done() && is_space(text_[pos_])) ++pos_;
  }
  void skip_separators() {
    while (!done() && (is_space(text_[pos_]) || text_[pos_] == ',')) ++pos_;
  }
  void advance() { ++pos_; }

  std::string_view token() {
    const std::size_t start = pos_;
    while (!done() && !is_space(text_[pos_]) && text_[pos_] != ',' && text_[pos_] != '=' &&
           text_[pos_] != '"') {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // A quoted-string without its quotes and with its backslash escapes undone; an unterminated
  // one runs to the end of the text.
  std::string quoted() {
    std::string out;
    ++pos_;  // the opening quote
    while (!done() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (!done()) ++pos_;  // the closing quote
    return out;
  }

  // A bare value runs to the next separator; '=' is allowed in it (token68 padding).
  std::string bare() {
    const std::size_t start = pos_;
    while (!done() && !is_space(text_[pos_]) && text_[pos_] != ',') ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string Challenge::param(const std::string& name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view header_value) {
  std::vector<Challenge> out;
  Cursor cur(header_value);
  while (true) {
    cur.skip_separators();
    if (cur.done()) break;
    const std::string_view name = cur.token();
    if (name.empty()) break;  // a stray '=' or '"': nothing readable follows
    cur.skip_space();
    if (cur.peek() != '=') {
      out.push_back(Challenge{lower(name), {}});
      continue;
    }
    cur.advance();
    cur.skip_space();
    std::string value = cur.peek() == '"' ? cur.quoted() : cur.bare();
    // A parameter before any scheme has no challenge to belong to.
    if (!out.empty()) out.back().params[lower(name)] = std::move(value);
  }
  return out;
}

std::optional<Challenge> find_challenge(const std::vector<std::string>& header_values,
                                        std::string_view scheme) {
  for (const std::string& value : header_values) {
    for (Challenge& challenge : parse_challenges(value)) {
      if (http::iequals(challenge.scheme, scheme)) return std::move(challenge);
    }
  }
  return std::nullopt;
}

}  // namespace mgate::backend::registry
