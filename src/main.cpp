// mgate: the operations console for gated database migrations.
//
// main() parses the command line, runs one subcommand and turns its outcome
// into the stable exit codes of DESIGN.md §4. Only src/ and ui/term/ end the
// program.

#include <malloc.h>

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "mgate/version.hpp"
#include "src/cli.hpp"

namespace {

using mgate::cli::ExitCode;

int run(int argc, char** argv) {
  mgate::cli::GlobalOptions global;
  mgate::cli::Io io;
  CLI::App app{"mgate: operations console for gated database migrations (Kubernetes Jobs, alembic, registries)",
               "mgate"};
  app.set_version_flag("--version", std::string("mgate ") + mgate::kVersion);
  app.add_option("--config", global.config_file,
                 "configuration file (default: $MGATE_CONFIG, then $XDG_CONFIG_HOME/mgate/config.yaml)");
  app.add_option("--env", global.env, "work on this environment only");
  app.add_flag("--read-only", global.read_only, "disable every action");
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 refused by a guard, 4 partial data.\n"
      "Configuration keys: docs/configuration.md.");

  mgate::cli::Runner runner;
  mgate::cli::add_config_commands(app, global, io, &runner);
  mgate::cli::add_audit_command(app, global, io, &runner);
  mgate::cli::add_alembic_commands(app, global, io, &runner);
  mgate::cli::add_migrations_command(app, global, io, &runner);
  mgate::cli::add_stamp_command(app, global, io, &runner);
  mgate::cli::add_tags_command(app, global, io, &runner);
  mgate::cli::add_promote_command(app, global, io, &runner);
  mgate::cli::add_jobs_command(app, global, io, &runner);
  mgate::cli::add_logs_command(app, global, io, &runner);
  mgate::cli::add_describe_command(app, global, io, &runner);
  mgate::cli::add_resubmit_command(app, global, io, &runner);
  mgate::cli::add_status_command(app, global, io, &runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::kUsage);
  }
  if (!runner) {
    // The interactive console arrives with the ui issue; until then say what exists.
    io.err << app.help() << "\nmgate: the interactive console is not built yet; use a subcommand above.\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  return static_cast<int>(runner());
}

}  // namespace

int main(int argc, char** argv) {
  // A refresh runs every environment's sources on threads of their own. glibc gives each thread
  // an arena and keeps what a thread freed in that arena, so the process would peak at the sum
  // of the threads' peaks; with one arena the memory a source freed serves the next one. The
  // threads wait on the network, not on malloc (docs/performance.md, peak RSS).
  mallopt(M_ARENA_MAX, 1);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Backend code returns errors as values; reaching here is a bug, reported plainly.
    fmt::print(stderr, "mgate: internal error: {}\n", e.what());
    return static_cast<int>(ExitCode::kFailed);
  }
}
