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

}  // namespace mgate::kubesim
