#pragma once
// A problem found in an alembic script directory, located as a compiler locates one.

#include <string>
#include <vector>

namespace mgate::backend::alembic {

/// One problem in a revision file or an alembic.ini: an error stops the graph from being built,
/// a warning does not.
struct Diagnostic {
  /// Whether the graph can still be built.
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;  ///< error or warning
  std::string file;                      ///< the file (or directory) as mgate found it
  int line = 0;                          ///< 1-based; 0 = the file as a whole
  std::string message;                   ///< what is wrong, for a person

  /// "file:line: error: message", or "file: warning: message" when line is 0.
  std::string format() const;

  /// Field-wise equality.
  bool operator==(const Diagnostic&) const = default;
};

/// An error diagnostic in one expression.
Diagnostic error_at(std::string file, int line, std::string message);

/// A warning diagnostic in one expression.
Diagnostic warning_at(std::string file, int line, std::string message);

/// True when any diagnostic is an error.
bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace mgate::backend::alembic
