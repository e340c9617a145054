#pragma once
// What every subcommand shares: the global options and the way it ends.

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "backend/alembic/script_directory.hpp"
#include "backend/config/config.hpp"
#include "backend/core/exit_code.hpp"

namespace mgate::cli {

using backend::ExitCode;

/// The options that come before any subcommand.
struct GlobalOptions {
  std::string config_file;   ///< --config; empty = the lookup order of config::locate
  std::string env;           ///< --env; empty = every environment
  bool read_only = false;    ///< --read-only
};

/// Output streams, so tests can run a command and read what it printed.
struct Io {
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
};

/// The loaded configuration, or the exit code and the message already printed.
struct ConfigOrExit {
  std::optional<backend::config::Loaded> loaded;
  ExitCode exit = ExitCode::kOk;
};

/// Locates and loads the configuration; on failure prints every diagnostic to
/// io.err and returns kUsage.
ConfigOrExit load_config(const GlobalOptions& global, Io& io);

/// Loads the alembic scripts at path, printing every diagnostic; on failure sets
/// exit (2 for an unusable path, 1 for broken revision files) and returns nothing.
std::optional<backend::alembic::ScriptDirectory> load_scripts(const std::filesystem::path& path, Io& io,
                                                              ExitCode& exit);

/// The environments a command works on: --env's, or all of them in file order.
std::vector<const backend::config::Environment*> selected_environments(const backend::config::Config& config,
                                                                       const GlobalOptions& global);

/// An error as the `--json` outputs carry it: {"code", "message", "detail"}.
nlohmann::json error_json(const backend::Error& error);

/// Prints an error as "mgate: message" with its detail on a second line.
void print_error(Io& io, const backend::Error& error);

/// Prints the error and returns the exit code its kind maps to (3 for a refusal).
ExitCode fail(Io& io, const backend::Error& error);

/// The subcommands. Each registers itself on the app and sets `*run` to the
/// function that executes it once parsing succeeded.
using Runner = std::function<ExitCode()>;
void add_config_commands(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_audit_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_alembic_commands(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_migrations_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_stamp_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_tags_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_promote_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_jobs_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_logs_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_describe_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_resubmit_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);
void add_status_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run);

}  // namespace mgate::cli
