// `mgate heads` and `mgate history`: the alembic script directory, read without Python, printed
// as alembic prints it (or as JSON, docs/cli-json.md). Like alembic's own commands they need no
// configuration: --scripts names an alembic.ini or a directory; without it the configuration's
// alembic.scripts is used.

#include <filesystem>
#include <memory>
#include <optional>

#include "backend/alembic/listing.hpp"
#include "src/cli.hpp"

namespace mgate::cli {
namespace alembic = backend::alembic;
namespace {

struct ScriptsOptions {
  std::string scripts;
  bool json = false;
};

enum class Listing { kHeads, kHistory };

// --scripts, else alembic.scripts from the configuration (whose loader already printed why it
// failed, if it did).
std::optional<std::filesystem::path> scripts_path(const ScriptsOptions& opts, const GlobalOptions& global,
                                                  Io& io, ExitCode& exit) {
  if (!opts.scripts.empty()) return std::filesystem::path(opts.scripts);
  auto loaded = load_config(global, io);
  if (!loaded.loaded) {
    io.err << "mgate: without --scripts, the scripts come from the configuration's alembic.scripts\n";
    exit = loaded.exit;
    return std::nullopt;
  }
  return loaded.loaded->config.alembic.scripts;
}

ExitCode list(Listing what, const ScriptsOptions& opts, const GlobalOptions& global, Io& io) {
  ExitCode exit = ExitCode::kOk;
  const auto path = scripts_path(opts, global, io, exit);
  if (!path) return exit;
  auto directory = load_scripts(*path, io, exit);
  if (!directory) return exit;
  if (opts.json) {
    const auto json =
        what == Listing::kHeads ? alembic::heads_json(*directory) : alembic::history_json(*directory);
    io.out << json.dump(2) << "\n";
  } else {
    io.out << (what == Listing::kHeads ? alembic::heads_text(*directory->graph)
                                       : alembic::history_text(*directory->graph));
  }
  return ExitCode::kOk;
}

void add_listing(CLI::App& app, const char* name, const char* help, Listing what, const GlobalOptions& global,
                 Io& io, Runner* run) {
  auto opts = std::make_shared<ScriptsOptions>();
  auto* command = app.add_subcommand(name, help);
  command->add_option("--scripts", opts->scripts,
                      "an alembic.ini or a script directory (default: the configuration's alembic.scripts)");
  command->add_flag("--json", opts->json, "print JSON (docs/cli-json.md)");
  command->callback([&global, &io, run, opts, what] {
    *run = [&global, &io, opts, what] { return list(what, *opts, global, io); };
  });
}

}  // namespace

void add_alembic_commands(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  add_listing(app, "heads", "the alembic heads of the scripts, as `alembic heads` prints them",
              Listing::kHeads, global, io, run);
  add_listing(app, "history", "the alembic history, newest first, as `alembic history` prints it",
              Listing::kHistory, global, io, run);
}

}  // namespace mgate::cli
