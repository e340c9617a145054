// Loading the alembic scripts for a command: diagnostics printed, exit code decided.

#include <fmt/format.h>

#include "src/cli.hpp"

namespace mgate::cli {

std::optional<backend::alembic::ScriptDirectory> load_scripts(const std::filesystem::path& path, Io& io,
                                                              ExitCode& exit) {
  namespace alembic = backend::alembic;
  auto directory = alembic::load_script_directory(path);
  if (!directory) {
    print_error(io, directory.error());
    exit = backend::exit_code_for(directory.error());
    return std::nullopt;
  }
  std::size_t errors = 0;
  for (const auto& d : directory->diagnostics) {
    io.err << d.format() << "\n";
    errors += d.severity == alembic::Diagnostic::Severity::kError ? 1 : 0;
  }
  if (!directory->ok()) {
    io.err << fmt::format("mgate: {} error{} in the alembic scripts at {}\n", errors, errors == 1 ? "" : "s",
                          path.string());
    exit = ExitCode::kFailed;
    return std::nullopt;
  }
  return std::move(*directory);
}

std::vector<const backend::config::Environment*> selected_environments(const backend::config::Config& config,
                                                                       const GlobalOptions& global) {
  std::vector<const backend::config::Environment*> envs;
  for (const auto& e : config.environments)
    if (global.env.empty() || e.name == global.env) envs.push_back(&e);
  return envs;
}

}  // namespace mgate::cli
