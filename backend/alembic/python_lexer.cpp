#include "backend/alembic/python_lexer.hpp"

#include <array>
#include <cstdint>

namespace mgate::backend::alembic {
namespace {

// Longest first: the lexer takes the first that matches.
constexpr std::array<std::string_view, 26> kOperators = {
    "**=", "//=", ">>=", "<<=", "...", "==", "!=", "<=", ">=", ":=", "->", "+=", "-=",
    "*=",  "/=",  "%=",  "&=",  "|=",  "^=", "@=", "**", "//", "<<", ">>", "<>", "=",
};

// Enough for the statements a revision file has at module level.
constexpr std::size_t kTokensPerLine = 16;

// ASCII tests without the locale lookups of <cctype>: this runs on every byte of every file.
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
  return is_name_start(c) || is_digit(c);
}
char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  void run(const std::function<void(const LogicalLine&)>& on_line) {
    LogicalLine cur;  // reused: its tokens keep their capacity from line to line
    cur.tokens.reserve(kTokensPerLine);
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\n') {
        newline(pos_ + 1);
        if (depth_ == 0 && !cur.tokens.empty()) {
          on_line(cur);
          cur.tokens.clear();
        }
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
        ++pos_;
        continue;
      }
      if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
        newline(pos_ + 2);
        continue;
      }
      if (cur.tokens.empty()) {
        cur.indent = static_cast<int>(pos_ - line_start_);
        // An indented logical line is inside a block: it can assign no module attribute, so it
        // is only scanned for where it ends. Function bodies are most of a revision file.
        if (cur.indent > 0 && depth_ == 0) {
          skip_logical_line();
          continue;
        }
      }
      cur.tokens.push_back(token());
    }
    if (!cur.tokens.empty()) on_line(cur);
  }

  std::string problem;
  int problem_line = 0;

 private:
  void newline(std::size_t next) {
    ++line_;
    pos_ = next;
    line_start_ = next;
  }

  // Scans to the end of the current logical line (strings, brackets and continuations
  // included) without making tokens. A string prefix needs no care here: raw or not, a
  // backslash keeps the next character inside the literal.
  void skip_logical_line() {
    PyToken scratch;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      switch (c) {
        case '\n':
          newline(pos_ + 1);
          if (depth_ == 0) return;
          break;
        case '#':
          while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
          break;
        case '\\':
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n')
            newline(pos_ + 2);
          else
            ++pos_;
          break;
        case '"':
        case '\'':
          string_literal(scratch, {}, false);
          break;
        case '(':
        case '[':
        case '{':
          ++depth_;
          ++pos_;
          break;
        case ')':
        case ']':
        case '}':
          if (depth_ > 0) --depth_;
          ++pos_;
          break;
        default:
          ++pos_;
      }
    }
  }

  void note(std::string what) {
    if (problem.empty()) problem = std::move(what), problem_line = line_;
  }

  PyToken token() {
    PyToken t;
    t.line = line_;
    t.begin = pos_;
    const auto c = static_cast<unsigned char>(s_[pos_]);
    if (c == '"' || c == '\'') {
      string_literal(t, {});
    } else if (is_name_start(c)) {
      std::size_t end = pos_;
      while (end < s_.size() && is_name_char(static_cast<unsigned char>(s_[end]))) ++end;
      const std::string_view word = s_.substr(pos_, end - pos_);
      if (end < s_.size() && (s_[end] == '"' || s_[end] == '\'') && is_prefix(word)) {
        pos_ = end;
        string_literal(t, word);
      } else {
        t.kind = PyToken::Kind::kName;
        t.text = std::string(word);
        pos_ = end;
      }
    } else if (is_digit(c) ||
               (c == '.' && pos_ + 1 < s_.size() && is_digit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      std::size_t end = pos_;
      while (end < s_.size() && (is_name_char(static_cast<unsigned char>(s_[end])) || s_[end] == '.')) ++end;
      t.kind = PyToken::Kind::kNumber;
      t.text = std::string(s_.substr(pos_, end - pos_));
      pos_ = end;
    } else {
      operator_token(t);
    }
    t.end = pos_;
    return t;
  }

  static bool is_prefix(std::string_view word) {
    if (word.empty() || word.size() > 2) return false;
    for (char ch : word) {
      const char l = ascii_lower(ch);
      if (l != 'r' && l != 'b' && l != 'u' && l != 'f') return false;
    }
    return true;
  }

  void operator_token(PyToken& t) {
    t.kind = PyToken::Kind::kOp;
    for (std::string_view op : kOperators) {
      if (op.front() == s_[pos_] && s_.substr(pos_, op.size()) == op) {
        t.text = std::string(op);
        pos_ += op.size();
        return;
      }
    }
    const char c = s_[pos_++];
    t.text = std::string(1, c);
    if (c == '(' || c == '[' || c == '{') ++depth_;
    if ((c == ')' || c == ']' || c == '}') && depth_ > 0) --depth_;
  }

  // Reads a string literal into t (decoded, unless keep is false: then it is only skipped).
  void string_literal(PyToken& t, std::string_view prefix, bool keep = true) {
    bool raw = false, bytes = false, formatted = false;
    for (char ch : prefix) {
      const char l = ascii_lower(ch);
      raw = raw || l == 'r';
      bytes = bytes || l == 'b';
      formatted = formatted || l == 'f';
    }
    t.kind = PyToken::Kind::kString;
    t.str = !bytes && !formatted;
    const char q = s_[pos_];
    const char quotes[3] = {q, q, q};
    const std::string_view closing(quotes, 3);
    const bool triple = s_.substr(pos_, 3) == closing;
    pos_ += triple ? 3 : 1;
    while (pos_ < s_.size()) {
      const char ch = s_[pos_];
      if (ch == '\\' && pos_ + 1 < s_.size()) {
        if (!keep) {
          if (s_[pos_ + 1] == '\n')
            newline(pos_ + 2);
          else
            pos_ += 2;
        } else if (raw) {
          t.text += ch;
          t.text += s_[pos_ + 1];
          if (s_[pos_ + 1] == '\n')
            newline(pos_ + 2);
          else
            pos_ += 2;
        } else {
          escape(t.text, bytes);
        }
        continue;
      }
      if (ch == q && (!triple || s_.substr(pos_, 3) == closing)) {
        pos_ += triple ? 3 : 1;
        return;
      }
      if (ch == '\n') {
        if (!triple) {
          note("unterminated string literal");
          return;
        }
        if (keep) t.text += ch;
        newline(pos_ + 1);
        continue;
      }
      if (keep) {
        // Copy the run of ordinary characters at once.
        std::size_t end = pos_ + 1;
        while (end < s_.size() && s_[end] != q && s_[end] != '\\' && s_[end] != '\n') ++end;
        t.text.append(s_.data() + pos_, end - pos_);
        pos_ = end;
      } else {
        ++pos_;
      }
    }
    note(triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
  }

  // Decodes the escape at pos_ (a backslash) as Python does in a non-raw literal.
  void escape(std::string& out, bool bytes) {
    const char e = s_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '\n':
        newline(pos_);
        return;
      case '\\':
        out += '\\';
        return;
      case '\'':
        out += '\'';
        return;
      case '"':
        out += '"';
        return;
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'v':
        out += '\v';
        return;
      default:
        break;
    }
    if (e >= '0' && e <= '7') {
      std::uint32_t v = static_cast<std::uint32_t>(e - '0');
      for (int i = 0; i < 2 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7'; ++i)
        v = v * 8 + static_cast<std::uint32_t>(s_[pos_++] - '0');
      append_utf8(out, v);
      return;
    }
    const int width = e == 'x' ? 2 : (!bytes && e == 'u') ? 4 : (!bytes && e == 'U') ? 8 : 0;
    if (width > 0 && pos_ + static_cast<std::size_t>(width) <= s_.size()) {
      std::uint32_t v = 0;
      bool ok = true;
      for (int i = 0; i < width; ++i) {
        const int h = hex_value(s_[pos_ + static_cast<std::size_t>(i)]);
        ok = ok && h >= 0;
        v = v * 16 + static_cast<std::uint32_t>(h < 0 ? 0 : h);
      }
      if (ok) {
        pos_ += static_cast<std::size_t>(width);
        append_utf8(out, v);
        return;
      }
    }
    // Unknown escapes (and \N{...}, whose names need Unicode tables) stay as written, as
    // Python keeps an unknown escape.
    out += '\\';
    out += e;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
  int depth_ = 0;
};

}  // namespace

LexProblem for_each_logical_line(std::string_view source,
                                 const std::function<void(const LogicalLine&)>& on_line) {
  Lexer lexer(source);
  lexer.run(on_line);
  return LexProblem{lexer.problem, lexer.problem_line};
}

}  // namespace mgate::backend::alembic
