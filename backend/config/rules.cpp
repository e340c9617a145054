// The text rules the loader applies to single values: job-name and tag patterns, Kubernetes
// label selectors, DNS-1123 names and image tags. No YAML here, so other modules can reuse them.

#include <fmt/format.h>

#include <cctype>
#include <string>
#include <vector>

#include "backend/config/config.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::config {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// A label name or value: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (const auto& part : split(s, '.')) {
    if (!is_dns1123_label(part)) return false;
  }
  return true;
}

std::optional<std::string> label_key_error(std::string_view key) {
  const std::size_t slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    const std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!is_dns1123_subdomain(prefix)) {
      return fmt::format("the prefix of label key '{}' is not a DNS subdomain", key);
    }
  }
  if (!is_label_name(name)) {
    return fmt::format(
        "'{}' is not a label key (at most 63 letters, digits, '-', '_' or '.', "
        "starting and ending with a letter or digit, after an optional 'prefix/')",
        key);
  }
  return std::nullopt;
}

std::optional<std::string> label_value_error(std::string_view value) {
  if (value.empty() || is_label_name(value)) return std::nullopt;
  return fmt::format(
      "'{}' is not a label value (at most 63 letters, digits, '-', '_' or '.', "
      "starting and ending with a letter or digit)",
      value);
}

// The tokens of a label selector, as the Kubernetes lexer cuts them.
struct Token {
  enum class Kind { kWord, kOp, kComma, kOpen, kClose, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  std::size_t column = 0;  // 1-based, for the message
};

bool is_special(char c) {
  return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>';
}

std::vector<Token> lex_selector(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.column = i + 1;
    if (c == ',' || c == '(' || c == ')') {
      t.kind = c == ',' ? Token::Kind::kComma : c == '(' ? Token::Kind::kOpen : Token::Kind::kClose;
      t.text = std::string(1, c);
      ++i;
    } else if (is_special(c)) {
      t.kind = Token::Kind::kOp;
      const bool two = (c == '=' || c == '!') && i + 1 < s.size() && s[i + 1] == '=';
      t.text = std::string(s.substr(i, two ? 2 : 1));
      i += t.text.size();
    } else {
      t.kind = Token::Kind::kWord;
      const std::size_t start = i;
      while (i < s.size() && !is_special(s[i]) && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      t.text = std::string(s.substr(start, i - start));
    }
    out.push_back(std::move(t));
  }
  out.push_back(Token{Token::Kind::kEnd, "", s.size() + 1});
  return out;
}

// A recursive-descent reader over the tokens; each method returns the first error.
class SelectorParser {
 public:
  explicit SelectorParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  std::optional<std::string> parse() {
    while (true) {
      if (auto e = requirement()) return e;
      const Token& t = next();
      if (t.kind == Token::Kind::kEnd) return std::nullopt;
      if (t.kind != Token::Kind::kComma) return unexpected(t, "',' between requirements");
    }
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  static std::string unexpected(const Token& t, std::string_view expected) {
    if (t.kind == Token::Kind::kEnd) return fmt::format("expected {} at the end", expected);
    return fmt::format("expected {} at character {}, found '{}'", expected, t.column, t.text);
  }

  std::optional<std::string> requirement() {
    const Token& first = next();
    if (first.kind == Token::Kind::kOp && first.text == "!") {
      const Token& key = next();
      if (key.kind != Token::Kind::kWord) return unexpected(key, "a label key after '!'");
      return label_key_error(key.text);
    }
    if (first.kind != Token::Kind::kWord) return unexpected(first, "a label key");
    if (auto e = label_key_error(first.text)) return e;
    const Token& op = peek();
    if (op.kind == Token::Kind::kComma || op.kind == Token::Kind::kEnd) return std::nullopt;
    if (op.kind == Token::Kind::kWord && (op.text == "in" || op.text == "notin")) {
      next();
      return value_set();
    }
    if (op.kind != Token::Kind::kOp || op.text == "!") {
      return unexpected(op, "=, ==, !=, in, notin, > or <");
    }
    next();
    return operand(op.text);
  }

  // The value after =, ==, != (may be empty) or after > and < (an integer).
  std::optional<std::string> operand(const std::string& op) {
    const Token& value = peek();
    if (op == ">" || op == "<") {
      if (value.kind != Token::Kind::kWord) return unexpected(value, "an integer after " + op);
      next();
      for (char c : value.text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return fmt::format("expected an integer after '{}', found '{}'", op, value.text);
        }
      }
      return std::nullopt;
    }
    if (value.kind != Token::Kind::kWord) return std::nullopt;  // "key=" selects an empty value
    next();
    return label_value_error(value.text);
  }

  std::optional<std::string> value_set() {
    const Token& open = next();
    if (open.kind != Token::Kind::kOpen) return unexpected(open, "'(' after in / notin");
    while (true) {
      const Token& value = next();
      if (value.kind != Token::Kind::kWord) return unexpected(value, "a value in the set");
      if (auto e = label_value_error(value.text)) return e;
      const Token& sep = next();
      if (sep.kind == Token::Kind::kClose) return std::nullopt;
      if (sep.kind != Token::Kind::kComma) return unexpected(sep, "',' or ')' in the set");
    }
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string expand_pattern(std::string_view pattern, std::string_view sha, std::string_view env) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const std::size_t close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = pattern.substr(i + 1, close - i - 1);
        if (name == "sha" || name == "sha7" || name == "env") {
          out += name == "sha" ? sha : name == "env" ? env : sha.substr(0, 7);
          i = close + 1;
          continue;
        }
      }
    }
    out += pattern[i++];
  }
  return out;
}

std::optional<std::string> pattern_error(std::string_view pattern) {
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '}') return fmt::format("stray '}}' at character {}", i + 1);
    if (pattern[i] != '{') {
      ++i;
      continue;
    }
    const std::size_t close = pattern.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || pattern[close] != '}') {
      return fmt::format("unclosed '{{' at character {}", i + 1);
    }
    const std::string name(pattern.substr(i + 1, close - i - 1));
    if (name != "sha" && name != "sha7" && name != "env") {
      std::string message = fmt::format(
          "unknown placeholder '{{{}}}'; the placeholders are {{sha}}, {{sha7}} and {{env}}", name);
      if (auto guess = did_you_mean(name, {"sha", "sha7", "env"})) {
        message += fmt::format("; did you mean '{{{}}}'?", *guess);
      }
      return message;
    }
    i = close + 1;
  }
  return std::nullopt;
}

std::optional<std::string> label_selector_error(std::string_view selector) {
  if (trim(selector).empty()) return std::string("a label selector must not be empty");
  return SelectorParser(lex_selector(selector)).parse();
}

bool is_dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back())) return false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_image_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  if (!is_alnum(tag.front()) && tag.front() != '_') return false;
  for (char c : tag) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace mgate::backend::config
