#include "tests/sandbox/kubesim/selector.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace mgate::kubesim {

// ---------------------------------------------------------------------------------------------
// Name syntax (apimachinery pkg/util/validation). The messages are the real ones word for word:
// clients and tests compare them.

namespace names {
namespace {

constexpr std::size_t kQualifiedNameMaxLength = 63;
constexpr std::size_t kLabelValueMaxLength = 63;
constexpr std::size_t kDns1123SubdomainMaxLength = 253;
constexpr std::size_t kDns1123LabelMaxLength = 63;

constexpr const char* kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr const char* kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr const char* kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr const char* kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr const char* kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr const char* kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr const char* kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr const char* kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr const char* kEnvVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
constexpr const char* kEnvVarNameErrMsg =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
    "or '.', and must not start with a digit";

// validation.RegexError: the examples are joined with "', " + " or ", hence the double space.
std::string regex_error(const std::string& msg, const std::string& format,
                        const std::vector<std::string>& examples) {
  std::string out = msg;
  if (examples.empty()) return out + " (regex used for validation is '" + format + "')";
  out += " (e.g. ";
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) out += " or ";
    out += "'" + examples[i] + "', ";
  }
  return out + "regex used for validation is '" + format + "')";
}

std::string max_len_error(std::size_t n) {
  return fmt::format("must be no more than {} characters", n);
}

bool full_match(const std::string& value, const char* format) {
  // One compiled regex per format: they are constants and std::regex is costly to build.
  static std::map<const char*, std::regex> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(format);
  if (it == cache.end()) it = cache.emplace(format, std::regex(format)).first;
  return std::regex_match(value, it->second);
}

}  // namespace

std::vector<std::string> dns1123_subdomain_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(max_len_error(kDns1123SubdomainMaxLength));
  }
  if (!full_match(value, kDns1123SubdomainFmt)) {
    errs.push_back(regex_error(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> dns1123_label_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(max_len_error(kDns1123LabelMaxLength));
  if (!full_match(value, kDns1123LabelFmt)) {
    errs.push_back(regex_error(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> qualified_name_errors(const std::string& value) {
  std::vector<std::string> errs;
  const std::vector<std::string> examples = {"MyName", "my.name", "123-abc"};
  std::string name = value;
  const auto slash = value.find('/');
  if (slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      errs.push_back("a qualified name " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt, examples) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    const std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + max_len_error(kQualifiedNameMaxLength));
  }
  if (!full_match(name, kQualifiedNameFmt)) {
    errs.push_back("name part " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt, examples));
  }
  return errs;
}

std::vector<std::string> label_value_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(max_len_error(kLabelValueMaxLength));
  if (!full_match(value, kLabelValueFmt)) {
    errs.push_back(regex_error(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> env_var_name_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (!full_match(value, kEnvVarNameFmt)) {
    errs.push_back(
        regex_error(kEnvVarNameErrMsg, kEnvVarNameFmt, {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
  }
  // validation.hasChDirPrefix: "." and ".." would change directory in a shell.
  if (value == ".") {
    errs.push_back("must not be '.'");
  } else if (value == "..") {
    errs.push_back("must not be '..'");
  } else if (value.rfind("..", 0) == 0) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::string go_quote(const std::string& value) {
  std::string out = "\"";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

}  // namespace names

// ---------------------------------------------------------------------------------------------
// Label selector parsing: a port of the labels.Parse lexer and parser, because the messages
// name the token found ("found ',', expected: identifier after ','") and kubectl shows them.

namespace {

// The parser's refusals; parse() turns them into the 400 the server answers.
struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Tok {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kNot,
  kDoubleEquals,
  kEquals,
  kGreater,
  kIdentifier,
  kIn,
  kLess,
  kNotEquals,
  kNotIn,
  kOpenPar
};

struct Item {
  Tok tok;
  std::string lit;
};

std::optional<Tok> keyword(const std::string& s) {
  static const std::map<std::string, Tok> kTokens = {
      {")", Tok::kClosedPar},  {",", Tok::kComma},     {"!", Tok::kNot},    {"==", Tok::kDoubleEquals},
      {"=", Tok::kEquals},     {">", Tok::kGreater},   {"in", Tok::kIn},    {"<", Tok::kLess},
      {"!=", Tok::kNotEquals}, {"notin", Tok::kNotIn}, {"(", Tok::kOpenPar}};
  auto it = kTokens.find(s);
  if (it == kTokens.end()) return std::nullopt;
  return it->second;
}

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

std::vector<Item> lex(const std::string& s) {
  std::vector<Item> items;
  std::size_t pos = 0;
  while (true) {
    while (pos < s.size() && is_whitespace(s[pos])) ++pos;
    if (pos >= s.size()) break;
    std::string buffer;
    if (is_special(s[pos])) {
      std::optional<Item> last;
      while (pos < s.size() && is_special(s[pos])) {
        buffer += s[pos];
        if (auto t = keyword(buffer)) {
          last = Item{*t, buffer};
        } else if (last) {
          buffer.pop_back();
          break;
        }
        ++pos;
      }
      items.push_back(last ? *last
                           : Item{Tok::kError, fmt::format("error expected: keyword found '{}'", buffer)});
      continue;
    }
    while (pos < s.size() && !is_special(s[pos]) && !is_whitespace(s[pos])) buffer += s[pos++];
    auto t = keyword(buffer);
    items.push_back(Item{t ? *t : Tok::kIdentifier, buffer});
  }
  items.push_back(Item{Tok::kEnd, ""});
  return items;
}

using Op = LabelSelector::Op;
using Requirement = LabelSelector::Requirement;

// Go's %#v of a []string, the bad value NewRequirement reports for a wrong value count.
std::string go_string_slice(const std::vector<std::string>& values, bool nil) {
  if (nil) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += names::go_quote(values[i]);
  }
  return out + "}";
}

// utilerrors.Aggregate.Error(): one message bare, several (deduplicated) in brackets.
std::string aggregate(const std::vector<std::string>& errs) {
  std::vector<std::string> seen;
  for (const auto& e : errs) {
    if (std::find(seen.begin(), seen.end(), e) == seen.end()) seen.push_back(e);
  }
  if (seen.size() == 1) return seen.front();
  std::string out;
  for (const auto& e : seen) out += (out.empty() ? "" : ", ") + e;
  return "[" + out + "]";
}

bool parses_as_int64(const std::string& v) {
  std::string digits = v;
  if (!digits.empty() && digits[0] == '+') digits.erase(0, 1);
  long long n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
}

// labels.NewRequirement's checks; path-less, as the parser and LabelSelectorAsSelector call it.
Requirement new_requirement(const std::string& key, Op op, std::vector<std::string> values, bool nil_values) {
  std::vector<std::string> errs;
  if (auto key_errs = names::qualified_name_errors(key); !key_errs.empty()) {
    std::string joined;
    for (const auto& m : key_errs) joined += (joined.empty() ? "" : "; ") + m;
    errs.push_back("key: Invalid value: " + names::go_quote(key) + ": " + joined);
  }
  const std::string bad = go_string_slice(values, nil_values);
  switch (op) {
    case Op::kIn:
    case Op::kNotIn:
      if (values.empty()) {
        errs.push_back("values: Invalid value: " + bad +
                       ": for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case Op::kEquals:
    case Op::kDoubleEquals:
    case Op::kNotEquals:
      if (values.size() != 1) {
        errs.push_back("values: Invalid value: " + bad +
                       ": exact-match compatibility requires one single value");
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back("values: Invalid value: " + bad +
                       ": values set must be empty for exists and does not exist");
      }
      break;
    case Op::kGreaterThan:
    case Op::kLessThan:
      if (values.size() != 1) {
        errs.push_back("values: Invalid value: " + bad +
                       ": for 'Gt', 'Lt' operators, exactly one value is required");
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!parses_as_int64(values[i])) {
          errs.push_back(
              fmt::format("values[{}]: Invalid value: {}: for 'Gt', 'Lt' operators, "
                          "the value must be an integer",
                          i, names::go_quote(values[i])));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto value_errs = names::label_value_errors(values[i]);
    if (value_errs.empty()) continue;
    std::string joined;
    for (const auto& m : value_errs) joined += (joined.empty() ? "" : "; ") + m;
    errs.push_back(
        fmt::format("values[{}][{}]: Invalid value: {}: {}", i, key, names::go_quote(values[i]), joined));
  }
  if (!errs.empty()) throw SyntaxError(aggregate(errs));
  return Requirement{key, op, std::move(values)};
}

// The recursive-descent parser of labels.Parse. Errors inside one requirement get the
// "unable to parse requirement: " prefix; errors between requirements do not.
class Parser {
 public:
  explicit Parser(const std::string& text) : items_(lex(text)) {}

  std::vector<Requirement> parse() {
    std::vector<Requirement> out;
    while (true) {
      auto [tok, lit] = lookahead(true);
      if (tok == Tok::kEnd) return out;
      if (tok != Tok::kIdentifier && tok != Tok::kNot) {
        throw SyntaxError(fmt::format("found '{}', expected: !, identifier, or 'end of string'", lit));
      }
      try {
        out.push_back(parse_requirement());
      } catch (const SyntaxError& e) {
        throw SyntaxError(std::string("unable to parse requirement: ") + e.what());
      }
      auto [t, l] = consume(true);
      if (t == Tok::kEnd) return out;
      if (t != Tok::kComma) {
        throw SyntaxError(fmt::format("found '{}', expected: ',' or 'end of string'", l));
      }
      auto [t2, l2] = lookahead(true);
      if (t2 != Tok::kIdentifier && t2 != Tok::kNot) {
        throw SyntaxError(fmt::format("found '{}', expected: identifier after ','", l2));
      }
    }
  }

 private:
  // In the values context "in" and "notin" are plain identifiers ("x in (in)").
  Item at(std::size_t i, bool values) const {
    Item item = items_[std::min(i, items_.size() - 1)];
    if (values && (item.tok == Tok::kIn || item.tok == Tok::kNotIn)) item.tok = Tok::kIdentifier;
    return item;
  }
  Item lookahead(bool values) const { return at(pos_, values); }
  Item consume(bool values) { return at(pos_++, values); }

  Requirement parse_requirement() {
    std::optional<Op> op;
    Item first = consume(true);
    if (first.tok == Tok::kNot) {
      op = Op::kDoesNotExist;
      first = consume(true);
    }
    const std::string key = first.lit;
    if (first.tok != Tok::kIdentifier) {
      throw SyntaxError(fmt::format("found '{}', expected: identifier", key));
    }
    if (auto errs = names::qualified_name_errors(key); !errs.empty()) {
      std::string joined;
      for (const auto& m : errs) joined += (joined.empty() ? "" : "; ") + m;
      // The parser validates the key with a nil field path, which Go prints as "<nil>".
      throw SyntaxError("<nil>: Invalid value: " + names::go_quote(key) + ": " + joined);
    }
    const Tok next = lookahead(true).tok;
    if (next == Tok::kEnd || next == Tok::kComma) {
      if (!op) op = Op::kExists;
    }
    if (op) return new_requirement(key, *op, {}, false);
    const Op binary = parse_operator();
    std::set<std::string> values;
    if (binary == Op::kIn || binary == Op::kNotIn) {
      values = parse_values();
    } else {
      values = parse_exact_value();
    }
    return new_requirement(key, binary, {values.begin(), values.end()}, false);
  }

  Op parse_operator() {
    auto [tok, lit] = consume(false);
    switch (tok) {
      case Tok::kIn:
        return Op::kIn;
      case Tok::kEquals:
        return Op::kEquals;
      case Tok::kDoubleEquals:
        return Op::kDoubleEquals;
      case Tok::kGreater:
        return Op::kGreaterThan;
      case Tok::kLess:
        return Op::kLessThan;
      case Tok::kNotIn:
        return Op::kNotIn;
      case Tok::kNotEquals:
        return Op::kNotEquals;
      default:
        throw SyntaxError(fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", lit));
    }
  }

  std::set<std::string> parse_values() {
    const Item open = consume(true);
    if (open.tok != Tok::kOpenPar) {
      throw SyntaxError(fmt::format("found '{}' expected: '('", open.lit));
    }
    const auto [tok, lit] = lookahead(true);
    if (tok == Tok::kIdentifier || tok == Tok::kComma) {
      auto s = parse_identifiers_list();
      // Go reports the literal seen before the list here, not the offending one.
      if (consume(true).tok != Tok::kClosedPar) {
        throw SyntaxError(fmt::format("found '{}', expected: ')'", lit));
      }
      return s;
    }
    if (tok == Tok::kClosedPar) {
      consume(true);
      return {""};
    }
    throw SyntaxError(fmt::format("found '{}', expected: ',', ')' or identifier", lit));
  }

  std::set<std::string> parse_identifiers_list() {
    std::set<std::string> s;
    while (true) {
      auto [tok, lit] = consume(true);
      if (tok == Tok::kIdentifier) {
        s.insert(lit);
        auto next = lookahead(true);
        if (next.tok == Tok::kComma) continue;
        if (next.tok == Tok::kClosedPar) return s;
        throw SyntaxError(fmt::format("found '{}', expected: ',' or ')'", next.lit));
      }
      if (tok != Tok::kComma) {
        throw SyntaxError(fmt::format("found '{}', expected: ',', or identifier", lit));
      }
      if (s.empty()) s.insert("");  // "(,"
      const Tok next = lookahead(true).tok;
      if (next == Tok::kClosedPar) {
        s.insert("");  // ",)"
        return s;
      }
      if (next == Tok::kComma) s.insert("");  // ",,"
    }
  }

  std::set<std::string> parse_exact_value() {
    const Tok next = lookahead(true).tok;
    if (next == Tok::kEnd || next == Tok::kComma) return {""};
    auto [tok, lit] = consume(true);
    if (tok == Tok::kIdentifier) return {lit};
    throw SyntaxError(fmt::format("found '{}', expected: identifier", lit));
  }

  std::vector<Item> items_;
  std::size_t pos_ = 0;
};

void sort_by_key(std::vector<Requirement>& reqs) {
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

const std::string* label_value(const Json& labels, const std::string& key, std::string& scratch) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  if (it == labels.end()) return nullptr;
  if (it->is_string()) return &it->get_ref<const std::string&>();
  scratch = it->dump();
  return &scratch;
}

bool requirement_matches(const Requirement& r, const Json& labels) {
  std::string scratch;
  const std::string* value = label_value(labels, r.key, scratch);
  const auto has = [&](const std::string& v) {
    return std::find(r.values.begin(), r.values.end(), v) != r.values.end();
  };
  switch (r.op) {
    case Op::kIn:
    case Op::kEquals:
    case Op::kDoubleEquals:
      return value != nullptr && has(*value);
    case Op::kNotIn:
    case Op::kNotEquals:
      return value == nullptr || !has(*value);
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGreaterThan:
    case Op::kLessThan: {
      if (value == nullptr || r.values.size() != 1) return false;
      if (!parses_as_int64(*value) || !parses_as_int64(r.values[0])) return false;
      const long long have = std::stoll(*value);
      const long long want = std::stoll(r.values[0]);
      return r.op == Op::kGreaterThan ? have > want : have < want;
    }
  }
  return false;
}

}  // namespace

LabelSelector LabelSelector::parse(const std::string& text) {
  LabelSelector out;
  try {
    out.requirements_ = Parser(text).parse();
  } catch (const SyntaxError& e) {
    throw bad_request(e.what());
  }
  sort_by_key(out.requirements_);
  return out;
}

LabelSelector LabelSelector::from_json(const Json& selector) {
  LabelSelector out;
  if (selector.is_null()) {
    out.nothing_ = true;
    return out;
  }
  const Json empty_object = Json::object();
  const Json empty_array = Json::array();
  const Json& match_labels = selector.contains("matchLabels") && selector["matchLabels"].is_object()
                                 ? selector["matchLabels"]
                                 : empty_object;
  const Json& expressions = selector.contains("matchExpressions") && selector["matchExpressions"].is_array()
                                ? selector["matchExpressions"]
                                : empty_array;
  try {
    for (const auto& [key, value] : match_labels.items()) {
      out.requirements_.push_back(new_requirement(
          key, Op::kEquals, {value.is_string() ? value.get<std::string>() : value.dump()}, false));
    }
    static const std::map<std::string, Op> kOps = {
        {"In", Op::kIn}, {"NotIn", Op::kNotIn}, {"Exists", Op::kExists}, {"DoesNotExist", Op::kDoesNotExist}};
    for (const auto& expr : expressions) {
      const std::string op_name = expr.value("operator", "");
      auto op = kOps.find(op_name);
      if (op == kOps.end()) {
        throw SyntaxError(names::go_quote(op_name) + " is not a valid label selector operator");
      }
      std::vector<std::string> values;
      const bool nil = !expr.contains("values") || !expr["values"].is_array() || expr["values"].empty();
      if (!nil) {
        for (const auto& v : expr["values"]) values.push_back(v.get<std::string>());
      }
      out.requirements_.push_back(new_requirement(expr.value("key", ""), op->second, std::move(values), nil));
    }
  } catch (const SyntaxError& e) {
    throw bad_request(e.what());
  }
  sort_by_key(out.requirements_);
  return out;
}

bool LabelSelector::matches(const Json& labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return requirement_matches(r, labels); });
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ",";
    if (r.op == Op::kDoesNotExist) out += "!";
    out += r.key;
    switch (r.op) {
      case Op::kEquals:
        out += "=";
        break;
      case Op::kDoubleEquals:
        out += "==";
        break;
      case Op::kNotEquals:
        out += "!=";
        break;
      case Op::kIn:
        out += " in ";
        break;
      case Op::kNotIn:
        out += " notin ";
        break;
      case Op::kGreaterThan:
        out += ">";
        break;
      case Op::kLessThan:
        out += "<";
        break;
      case Op::kExists:
      case Op::kDoesNotExist:
        continue;
    }
    const bool set_based = r.op == Op::kIn || r.op == Op::kNotIn;
    std::vector<std::string> values = r.values;
    std::sort(values.begin(), values.end());
    std::string joined;
    for (std::size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + values[i];
    out += set_based ? "(" + joined + ")" : joined;
  }
  return out;
}

std::optional<std::string> LabelSelector::requires_exact_match(const std::string& key) const {
  for (const auto& r : requirements_) {
    if (r.key != key) continue;
    const bool exact = r.op == Op::kEquals || r.op == Op::kDoubleEquals || r.op == Op::kIn;
    if (exact && r.values.size() == 1) return r.values[0];
    return std::nullopt;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

namespace {

// The kinds with a field-label conversion registered in the scheme, and the labels each
// accepts (pkg/apis/core/v1/conversion.go, pkg/apis/batch/v1/conversion.go, ...). Any other
// built-in kind falls back to runtime.DefaultMetaV1FieldSelectorConversion.
const std::map<std::string, std::set<std::string>>& conversion_tables() {
  static const std::map<std::string, std::set<std::string>> kTables = {
      {"pods",
       {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
        "status.nominatedNodeName", "spec.host"}},
      {"events",
       {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
        "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
        "source", "type"}},
      {"secrets", {"metadata.name", "metadata.namespace", "type"}},
      {"namespaces", {"metadata.name", "status.phase"}},
      {"services", {"metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"}},
      {"nodes", {"metadata.name", "spec.unschedulable"}},
      {"replicationcontrollers", {"metadata.name", "metadata.namespace", "status.replicas"}},
      {"replicasets.apps", {"metadata.name", "metadata.namespace", "status.replicas"}},
      {"jobs.batch", {"metadata.name", "metadata.namespace", "status.successful"}},
  };
  return kTables;
}

// Custom resources: the apiextensions server's converter answers like a registered one.
bool is_custom_resource(const std::string& resource_key) {
  const auto dot = resource_key.find('.');
  if (dot == std::string::npos) return false;
  const std::string group = resource_key.substr(dot + 1);
  if (group.find('.') == std::string::npos) return false;  // apps, batch, policy, ...
  const std::string k8s = "k8s.io";
  return !(group.size() >= k8s.size() && group.compare(group.size() - k8s.size(), k8s.size(), k8s) == 0);
}

// scheme.ConvertFieldLabel: the label to use, or the 400 the request gets.
std::string convert_field_label(const std::string& resource_key, const std::string& label) {
  const auto& tables = conversion_tables();
  if (auto it = tables.find(resource_key); it != tables.end()) {
    if (!it->second.count(label)) throw bad_request("field label not supported: " + label);
    return label == "spec.host" ? "spec.nodeName" : label;  // old v1 clients' spelling
  }
  if (is_custom_resource(resource_key)) {
    if (label != "metadata.name" && label != "metadata.namespace") {
      throw bad_request("field label not supported: " + label);
    }
    return label;
  }
  if (label != "metadata.name" && label != "metadata.namespace") {
    throw bad_request(names::go_quote(label) +
                      " is not a known field selector: only \"metadata.name\", "
                      "\"metadata.namespace\"");
  }
  return label;
}

// fields.splitTerms: commas split terms unless backslash-escaped.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> terms;
  if (text.empty()) return terms;
  std::size_t start = 0;
  bool in_slash = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (text[i] == '\\') {
      in_slash = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

// fields.UnescapeValue.
std::string unescape_value(const std::string& s) {
  std::string out;
  bool in_slash = false;
  for (const char c : s) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=') {
        throw bad_request(std::string("invalid field selector: invalid escape sequence: \\") + c);
      }
      out += c;
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v: its code point as a number.
      throw bad_request(
          fmt::format("invalid field selector: unescaped character in value: {}", static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (in_slash) throw bad_request("invalid field selector: invalid escape sequence: \\");
  return out;
}

std::string escape_value(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

// A dotted path's scalar as a string: strings as is, numbers and booleans printed.
std::string scalar_at(const Json& object, const std::string& dotted) {
  const Json* node = &object;
  std::size_t start = 0;
  while (true) {
    const auto dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object()) return "";
    auto it = node->find(part);
    if (it == node->end()) return "";
    node = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_boolean() || node->is_number()) return node->dump();
  return "";
}

}  // namespace

std::string selectable_field(const std::string& resource_key, const Json& object, const std::string& field) {
  if (resource_key == "pods") {
    if (field == "spec.hostNetwork") {
      return object.contains("spec") && object["spec"].value("hostNetwork", false) ? "true" : "false";
    }
    if (field == "status.podIP") {
      // The internal pod keeps podIPs only; podIP is its first entry.
      const Json ips = object.contains("status") ? object["status"].value("podIPs", Json()) : Json();
      if (ips.is_array() && !ips.empty()) return scalar_at(ips[0], "ip");
      return scalar_at(object, "status.podIP");
    }
  }
  if (resource_key == "jobs.batch" && field == "status.successful") {
    const std::string n = scalar_at(object, "status.succeeded");
    return n.empty() ? "0" : n;
  }
  if (resource_key == "events" && field == "source") {
    const std::string component = scalar_at(object, "source.component");
    return component.empty() ? scalar_at(object, "reportingComponent") : component;
  }
  if (field == "status.replicas") {
    const std::string n = scalar_at(object, field);
    return n.empty() ? "0" : n;
  }
  if (field == "spec.unschedulable") {
    return scalar_at(object, field) == "true" ? "true" : "false";
  }
  return scalar_at(object, field);
}

FieldSelector FieldSelector::parse(const std::string& text, const std::string& resource_key) {
  FieldSelector out;
  out.resource_key_ = resource_key;
  auto parts = split_terms(text);
  std::sort(parts.begin(), parts.end());
  for (const auto& part : parts) {
    if (part.empty()) continue;
    // fields.splitTerm: the first operator from the left, trying "!=", "==", "=" at each index.
    std::optional<Term> term;
    for (std::size_t i = 0; i < part.size() && !term; ++i) {
      for (const std::string op : {"!=", "==", "="}) {
        if (part.compare(i, op.size(), op) == 0) {
          term = Term{part.substr(0, i), unescape_value(part.substr(i + op.size())), op != "!="};
          break;
        }
      }
    }
    if (!term) {
      throw bad_request(fmt::format("invalid selector: '{}'; can't understand '{}'", text, part));
    }
    out.terms_.push_back(*term);
  }
  // The conversion runs after the whole selector parsed, in sorted term order.
  for (auto& t : out.terms_) t.field = convert_field_label(resource_key, t.field);
  return out;
}

bool FieldSelector::matches(const Json& object) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& t) {
    return (selectable_field(resource_key_, object, t.field) == t.value) == t.equal;
  });
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (const auto& t : terms_) {
    if (!out.empty()) out += ",";
    out += t.field + (t.equal ? "=" : "!=") + escape_value(t.value);
  }
  return out;
}

std::optional<std::string> FieldSelector::requires_exact_match(const std::string& field) const {
  for (const auto& t : terms_) {
    if (t.field == field && t.equal) return t.value;
  }
  return std::nullopt;
}

}  // namespace mgate::kubesim
