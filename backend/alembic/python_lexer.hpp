#pragma once
// Just enough of Python's tokenizer to read the top level of a revision file without running it:
// names, string literals (decoded), numbers, operators, grouped into logical lines.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mgate::backend::alembic {

/// One token of a Python source file.
struct PyToken {
  /// What the token is; operators are kept whole ("==", ":=", "**=").
  enum class Kind { kName, kString, kNumber, kOp };
  Kind kind = Kind::kOp;
  std::string text;       ///< the name, the operator, the number; for a string, its decoded value
  bool str = false;       ///< a string that is a plain `str` literal (not bytes, not an f-string)
  int line = 0;           ///< 1-based line where the token starts
  std::size_t begin = 0;  ///< byte offset of the token in the source
  std::size_t end = 0;    ///< byte offset just past the token
};

/// A logical line: what Python executes as one simple statement (brackets and backslashes join
/// physical lines), with the column of its first token.
struct LogicalLine {
  std::vector<PyToken> tokens;  ///< never empty
  int indent = 0;               ///< column of the first token: always 0, since indented lines are skipped
};

/// The first lexical problem of a source (an unterminated string), which does not stop the lexer.
struct LexProblem {
  std::string what;  ///< empty when there was none
  int line = 0;      ///< 1-based
};

/// Calls on_line with each logical line of the source, in order (the line object is reused from
/// call to call). Indented lines are skipped without being tokenized: inside a block, nothing
/// can assign a module attribute. Expects "\n" line ends.
LexProblem for_each_logical_line(std::string_view source,
                                 const std::function<void(const LogicalLine&)>& on_line);

}  // namespace mgate::backend::alembic
