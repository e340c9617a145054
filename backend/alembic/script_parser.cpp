#include "backend/alembic/script_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

#include "backend/alembic/python_lexer.hpp"

namespace mgate::backend::alembic {
namespace {

using Tokens = std::vector<PyToken>;

constexpr std::array<std::string_view, 4> kAttributes = {"revision", "down_revision", "branch_labels",
                                                         "depends_on"};
constexpr std::size_t kSnippetLength = 60;

// A literal value as alembic's util.to_tuple sees it.
struct Value {
  enum class Kind { kNone, kString, kSequence, kNotLiteral };
  Kind kind = Kind::kNotLiteral;
  std::vector<std::string> items;  // one for kString
};

// The last module-level assignment of one attribute: Python keeps the last value.
struct Assignment {
  Value value;
  int line = 0;
  std::size_t begin = 0, end = 0;  // the value's bytes in the source, for messages
};

// The four attributes' assignments, by their index in kAttributes.
using Found = std::array<std::optional<Assignment>, kAttributes.size()>;

int attribute_index(std::string_view name) {
  for (std::size_t i = 0; i < kAttributes.size(); ++i)
    if (name == kAttributes[i]) return static_cast<int>(i);
  return -1;
}

// Operators are compared by length and first byte before the rest: this runs on every token.
bool is_op(const PyToken& t, std::string_view op) {
  return t.kind == PyToken::Kind::kOp && t.text.size() == op.size() && t.text[0] == op[0] && t.text == op;
}

bool single(const PyToken& t, char c) {
  return t.kind == PyToken::Kind::kOp && t.text.size() == 1 && t.text[0] == c;
}
bool opens(const PyToken& t) {
  return single(t, '(') || single(t, '[') || single(t, '{');
}
bool closes(const PyToken& t) {
  return single(t, ')') || single(t, ']') || single(t, '}');
}

// The index of the token closing the bracket at b, or e when it is not closed before e.
std::size_t matching(const Tokens& t, std::size_t b, std::size_t e) {
  int depth = 0;
  for (std::size_t i = b; i < e; ++i) {
    if (opens(t[i])) ++depth;
    if (closes(t[i]) && --depth == 0) return i;
  }
  return e;
}

// Tokens [b, e) cut at the separator when it is outside brackets.
std::vector<std::pair<std::size_t, std::size_t>> split_top(const Tokens& t, std::size_t b, std::size_t e,
                                                           std::string_view sep) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  int depth = 0;
  std::size_t start = b;
  for (std::size_t i = b; i < e; ++i) {
    if (opens(t[i])) ++depth;
    if (closes(t[i])) --depth;
    if (depth == 0 && is_op(t[i], sep)) {
      parts.emplace_back(start, i);
      start = i + 1;
    }
  }
  parts.emplace_back(start, e);
  return parts;
}

Value literal(const Tokens& t, std::size_t b, std::size_t e);

// The items of a tuple or list body; kNotLiteral unless every item is a string.
Value sequence(const Tokens& t, const std::vector<std::pair<std::size_t, std::size_t>>& parts) {
  Value out{Value::Kind::kSequence, {}};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto [pb, pe] = parts[i];
    if (pb == pe && i + 1 == parts.size() && i > 0) break;  // the trailing comma
    const Value item = literal(t, pb, pe);
    if (item.kind != Value::Kind::kString) return Value{};
    out.items.push_back(item.items.front());
  }
  return out;
}

Value literal(const Tokens& t, std::size_t b, std::size_t e) {
  if (b >= e) return Value{};
  const auto parts = split_top(t, b, e, ",");
  if (parts.size() > 1) return sequence(t, parts);  // `"a", "b"` is a tuple too
  if ((is_op(t[b], "(") || is_op(t[b], "[")) && matching(t, b, e) == e - 1) {
    if (b + 1 == e - 1) return Value{Value::Kind::kSequence, {}};
    const auto inner = split_top(t, b + 1, e - 1, ",");
    if (is_op(t[b], "(") && inner.size() == 1) return literal(t, b + 1, e - 1);  // ("a") is a str
    return sequence(t, inner);
  }
  if (e - b == 1 && t[b].kind == PyToken::Kind::kName && t[b].text == "None") {
    return Value{Value::Kind::kNone, {}};
  }
  std::string joined;  // adjacent literals concatenate, as in Python
  for (std::size_t i = b; i < e; ++i) {
    if (t[i].kind != PyToken::Kind::kString || !t[i].str) return Value{};
    joined += t[i].text;
  }
  return Value{Value::Kind::kString, {std::move(joined)}};
}

// The value as written, on one line and shortened, for a message.
std::string snippet(std::string_view source, const Assignment& a) {
  std::string out;
  bool space = false;
  for (char c : source.substr(a.begin, a.end - a.begin)) {
    const bool ws = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > kSnippetLength) out = out.substr(0, kSnippetLength) + "...";
  return out;
}

bool tracked(const PyToken& t) {
  return t.kind == PyToken::Kind::kName && attribute_index(t.text) >= 0;
}

// Records the attributes one simple statement [b, e) assigns: `x = v`, `x: T = v`, `x = y = v`.
void read_statement(const Tokens& t, std::size_t b, std::size_t e, Found& found) {
  if (e - b < 3 || !tracked(t[b])) return;
  std::vector<std::string> names;
  std::size_t value_begin = e;
  if (is_op(t[b + 1], ":")) {
    const auto parts = split_top(t, b + 2, e, "=");
    if (parts.size() < 2) return;  // an annotation alone assigns nothing
    names.push_back(t[b].text);
    value_begin = parts[1].first;
  } else {
    const auto parts = split_top(t, b, e, "=");
    if (parts.size() < 2) return;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const auto [pb, pe] = parts[i];
      if (pe - pb != 1 || t[pb].kind != PyToken::Kind::kName) return;  // `x.y = …`, `x[0] = …`
      names.push_back(t[pb].text);
    }
    value_begin = parts.back().first;
  }
  const std::size_t from = value_begin < e ? t[value_begin].begin : 0;
  const std::size_t to = value_begin < e ? t[e - 1].end : 0;
  for (const auto& name : names) {
    const int i = attribute_index(name);
    if (i >= 0)
      found[static_cast<std::size_t>(i)] = Assignment{literal(t, value_begin, e), t[b].line, from, to};
  }
}

std::string_view python_strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f\x1c\x1d\x1e\x1f";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

void read_docstring(std::string_view doc, Script& script) {
  const std::string_view stripped = python_strip(doc);
  script.message = std::string(stripped.substr(0, stripped.find("\n\n")));
  std::size_t pos = 0;
  while (pos <= doc.size()) {
    auto end = doc.find('\n', pos);
    if (end == std::string_view::npos) end = doc.size();
    std::string_view line = doc.substr(pos, end - pos);
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line.substr(first).starts_with("Create Date:")) {
      script.create_date = std::string(python_strip(line.substr(first + 12)));
      return;
    }
    pos = end + 1;
  }
}

bool legacy_id(const std::string& file_name, std::string& id) {
  if (file_name.size() <= 3 || !file_name.ends_with(".py")) return false;
  id = file_name.substr(0, file_name.size() - 3);
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Python reads "\r\n" and "\r" as "\n" and ignores a UTF-8 byte order mark. Most files need
// neither fix, so the copy is made only when one is needed.
std::string_view normalized(std::string_view text, std::string& storage) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (text.find('\r') == std::string_view::npos) return text;
  std::string& out = storage;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

class ScriptReader {
 public:
  ScriptReader(const std::string& path, ParsedScript& out) : file_(path), out_(out) {}

  void read(std::string_view source) {
    source_ = source;
    Found found;
    bool first_statement = true;
    Script script;
    script.path = file_;
    const LexProblem problem = for_each_logical_line(source, [&](const LogicalLine& line) {
      for (const auto& [b, e] : split_top(line.tokens, 0, line.tokens.size(), ";")) {
        if (b == e) continue;
        if (first_statement) docstring(line.tokens, b, e, script);
        first_statement = false;
        if (line.indent == 0) read_statement(line.tokens, b, e, found);
      }
    });
    if (!problem.what.empty()) {
      out_.diagnostics.push_back(
          warning_at(file_, problem.line, problem.what + "; the rest of the file may be misread"));
    }
    finish(found, script);
  }

 private:
  static void docstring(const Tokens& t, std::size_t b, std::size_t e, Script& script) {
    std::string doc;
    for (std::size_t i = b; i < e; ++i) {
      if (t[i].kind != PyToken::Kind::kString || !t[i].str) return;
      doc += t[i].text;
    }
    read_docstring(doc, script);
  }

  void finish(Found& found, Script& script) {
    const bool have_id = revision(found, script);
    const bool have_down = down_revision(found, script);
    script.branch_labels = optional_list(found, "branch_labels", script.branch_labels_line);
    script.depends_on = optional_list(found, "depends_on", script.depends_on_line);
    std::sort(out_.diagnostics.begin(), out_.diagnostics.end(),
              [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    if (have_id && have_down) out_.script = std::move(script);
  }

  bool revision(Found& found, Script& script) {
    const auto& it = found[0];
    if (!it) {
      if (legacy_id(file_.substr(file_.rfind('/') + 1), script.revision)) return true;
      out_.diagnostics.push_back(error_at(
          file_, 0, "no module-level `revision = \"…\"` assignment, and the file name is not <hex id>.py"));
      return false;
    }
    const Assignment& a = *it;
    script.revision_line = a.line;
    if (a.value.kind == Value::Kind::kNotLiteral) {
      out_.diagnostics.push_back(error_at(
          file_, a.line,
          fmt::format(
              "revision is not a string literal (`{}`): mgate reads revision files without running them",
              snippet(source_, a))));
      return false;
    }
    if (a.value.kind != Value::Kind::kString) {
      out_.diagnostics.push_back(
          error_at(file_, a.line, fmt::format("revision must be a string, not `{}`", snippet(source_, a))));
      return false;
    }
    script.revision = a.value.items.front();
    return true;
  }

  bool down_revision(Found& found, Script& script) {
    const auto& it = found[1];
    if (!it) {
      out_.diagnostics.push_back(error_at(file_, 0, "no module-level `down_revision = …` assignment"));
      return false;
    }
    const Assignment& a = *it;
    script.down_revision_line = a.line;
    if (a.value.kind == Value::Kind::kNotLiteral) {
      out_.diagnostics.push_back(error_at(
          file_, a.line,
          fmt::format(
              "down_revision is not a literal (`{}`): mgate reads revision files without running them",
              snippet(source_, a))));
      return false;
    }
    // alembic reads "" and () as None: a base.
    for (auto& item : a.value.items)
      if (!(a.value.kind == Value::Kind::kString && item.empty())) script.down_revisions.push_back(item);
    return true;
  }

  std::vector<std::string> optional_list(Found& found, const std::string& name, int& line) {
    const auto& it = found[static_cast<std::size_t>(attribute_index(name))];
    if (!it) return {};
    const Assignment& a = *it;
    line = a.line;
    if (a.value.kind == Value::Kind::kNotLiteral) {
      out_.diagnostics.push_back(
          warning_at(file_, a.line,
                     fmt::format("{} is not a literal (`{}`); read as None, since mgate does not run Python",
                                 name, snippet(source_, a))));
      return {};
    }
    std::vector<std::string> items;
    for (auto& item : a.value.items)
      if (!item.empty()) items.push_back(item);
    return items;
  }

  std::string file_;
  std::string_view source_;
  ParsedScript& out_;
};

}  // namespace

ParsedScript parse_script(std::string_view text, const std::string& path) {
  ParsedScript out;
  std::string storage;
  ScriptReader(path, out).read(normalized(text, storage));
  return out;
}

}  // namespace mgate::backend::alembic
