// `mgate migrations`: each environment's version rows against the code's heads.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/alembic/relation.hpp"
#include "backend/db/postgres_version_store.hpp"
#include "src/cli.hpp"

namespace mgate::cli {
namespace {

namespace alembic = backend::alembic;
namespace db = backend::db;
using nlohmann::json;

// One environment's answer, or why it has none.
struct EnvMigrations {
  std::string env;
  std::string database;
  std::optional<db::VersionState> state;
  std::optional<alembic::Relation> relation;
  std::optional<backend::Error> error;
};

EnvMigrations read_env(const backend::config::Environment& env, const alembic::RevisionGraph& graph) {
  EnvMigrations m{env.name, {}, {}, {}, {}};
  auto store = db::open_postgres(env.database, env.name);
  if (!store) {
    m.error = store.error();
    return m;
  }
  m.database = (*store)->describe();
  auto state = (*store)->read();
  if (!state) {
    m.error = state.error();
    return m;
  }
  m.relation = alembic::relate(graph, state->rows);
  m.state = std::move(*state);
  return m;
}

std::string message_of(const alembic::RevisionGraph& graph, const std::string& id) {
  const auto* r = graph.find(id);
  return r == nullptr ? std::string() : r->script.message;
}

json to_json(const EnvMigrations& m, const alembic::RevisionGraph& graph) {
  json j = {{"env", m.env}, {"database", m.database}};
  if (m.error) {
    j["error"] = {{"code", backend::to_string(m.error->code)}, {"message", m.error->message},
                  {"detail", m.error->detail}};
    return j;
  }
  j["table_exists"] = m.state->table_exists;
  j["rows"] = m.state->rows;
  const auto& r = *m.relation;
  json pending = json::array();
  for (const auto& id : r.pending) pending.push_back({{"revision", id}, {"message", message_of(graph, id)}});
  j["relation"] = {{"kind", alembic::to_string(r.kind)}, {"sentence", r.sentence()}, {"heads", r.heads},
                   {"pending", pending}, {"unknown", r.unknown}};
  j["error"] = nullptr;
  return j;
}

void print_text(Io& io, const std::vector<EnvMigrations>& all, const alembic::RevisionGraph& graph) {
  io.out << fmt::format("{:<10}  {:<28}  {}\n", "ENV", "VERSION", "RELATION");
  for (const auto& m : all) {
    if (m.error) {
      io.out << fmt::format("{:<10}  {:<28}  {}\n", m.env, "?", "ERROR " + m.error->message);
      continue;
    }
    const std::string rows = m.state->table_exists ? (m.state->rows.empty() ? "(no rows)" : fmt::format("{}", fmt::join(m.state->rows, ",")))
                                                   : "(no version table)";
    io.out << fmt::format("{:<10}  {:<28}  {}\n", m.env, rows, m.relation->sentence());
    for (const auto& id : m.relation->pending)
      io.out << fmt::format("{:<10}    pending {}  {}\n", "", id, message_of(graph, id));
  }
  io.out << fmt::format("heads: {}\n", fmt::join(graph.heads(), ", "));
}

ExitCode show_migrations(const GlobalOptions& global, bool as_json, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const auto& config = loaded.loaded->config;
  ExitCode exit = ExitCode::kOk;
  auto scripts = load_scripts(config.alembic.scripts, io, exit);
  if (!scripts) return exit;
  std::vector<EnvMigrations> all;
  std::size_t failed = 0;
  for (const auto* env : selected_environments(config, global)) {
    all.push_back(read_env(*env, *scripts->graph));
    failed += all.back().error ? 1 : 0;
  }
  if (as_json) {
    json out = {{"heads", scripts->graph->heads()}, {"environments", json::array()}};
    for (const auto& m : all) out["environments"].push_back(to_json(m, *scripts->graph));
    io.out << out.dump(2) << "\n";
  } else {
    print_text(io, all, *scripts->graph);
  }
  for (const auto& m : all)
    if (m.error) print_error(io, *m.error);
  if (failed == 0) return ExitCode::kOk;
  return failed == all.size() ? ExitCode::kFailed : ExitCode::kPartial;
}

}  // namespace

void add_migrations_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("migrations", "each environment's alembic_version rows against the script heads");
  cmd->add_flag("--json", *as_json, "print JSON (docs/cli-json.md)");
  cmd->callback([&global, &io, run, as_json] {
    *run = [&global, &io, as_json] { return show_migrations(global, *as_json, io); };
  });
}

}  // namespace mgate::cli
