#include "backend/alembic/diagnostic.hpp"

#include <algorithm>
#include <utility>

namespace mgate::backend::alembic {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  return out;
}

Diagnostic error_at(std::string file, int line, std::string message) {
  return Diagnostic{Diagnostic::Severity::kError, std::move(file), line, std::move(message)};
}

Diagnostic warning_at(std::string file, int line, std::string message) {
  return Diagnostic{Diagnostic::Severity::kWarning, std::move(file), line, std::move(message)};
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

}  // namespace mgate::backend::alembic
