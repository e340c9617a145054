#pragma once
// Reads a revision file's `revision`, `down_revision`, `branch_labels`, `depends_on` and docstring
// without running Python: only literal values are understood, anything else is reported.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/alembic/diagnostic.hpp"
#include "backend/alembic/script.hpp"

namespace mgate::backend::alembic {

/// What parse_script found: the script when its id and parents could be read, and every
/// problem, located by file:line.
struct ParsedScript {
  std::optional<Script> script;         ///< absent when `revision` or `down_revision` is unreadable
  std::vector<Diagnostic> diagnostics;  ///< errors and warnings, in line order
};

/// Parses one revision file's text. Module-level assignments are read as Python runs them (the
/// last one wins), plain or annotated (`revision: str = "…"`), with a string, a tuple or list of
/// strings, or None. A value that is not such a literal is a warning for `branch_labels` and
/// `depends_on` (read as None), an error for `revision` and `down_revision`. Without a `revision`
/// assignment, a file named `<hex>.py` gives its id, as alembic's legacy rule does.
ParsedScript parse_script(std::string_view text, const std::string& path);

}  // namespace mgate::backend::alembic
