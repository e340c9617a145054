// `mgate status [--env E] [--json]`: every environment's snapshot and gate, the same model the
// console draws (DESIGN.md §3).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/core/strings.hpp"
#include "backend/ops/refresher.hpp"
#include "src/cli.hpp"
#include "src/table.hpp"

namespace mgate::cli {
namespace {

namespace ops = backend::ops;
using nlohmann::json;

template <typename T>
std::string source_word(const char* name, const ops::Sourced<T>& s) {
  if (!s.error) return fmt::format("{} ok {}ms", name, s.took.count());
  return fmt::format("{} {} ({})", name, s.value ? "STALE" : "FAILED", s.error->message);
}

std::string mark(bool passed) { return passed ? "yes" : "no"; }

void print_env(Io& io, const ops::EnvSnapshot& s) {
  io.out << fmt::format("{}  (taken {})\n", s.env, backend::format_rfc3339(s.taken_at));
  if (const auto* gate = s.current_gate()) {
    io.out << fmt::format("  gate:     {} {}\n", backend::short_commit(gate->sha),
                          gate->blocked_at == ops::GateStep::kDone
                              ? std::string("deployed: every step passed")
                              : fmt::format("blocked at {}: {}", ops::to_string(gate->blocked_at), gate->blocking));
  } else {
    io.out << "  gate:     no commit has a built image\n";
  }
  io.out << "  database: " << (s.relation ? s.relation->sentence() : std::string("unknown")) << "\n";
  io.out << "  running:  " << s.deployed_image.value_or("unknown") << "\n";
  for (const auto& d : s.drift) io.out << "  drift:    " << d << "\n";
  io.out << "  sources:  "
         << backend::join({source_word("jobs", s.jobs), source_word("database", s.database), source_word("heads", s.heads),
                           source_word("tags", s.tags), source_word("deploy", s.deploy)},
                          " · ")
         << "\n";
  if (s.gates.empty()) return;
  std::vector<std::vector<std::string>> rows = {{"COMMIT", "BUILT", "JOB", "DB AT HEADS", "PROMOTED", "DEPLOYED", "BLOCKED AT"}};
  for (const auto& g : s.gates) {
    rows.push_back({backend::short_commit(g.sha), mark(g.built), g.job ? *g.job + " " + g.job_status : "-",
                    g.database_at_heads ? mark(*g.database_at_heads) : "?", mark(g.promoted), mark(g.deployed),
                    ops::to_string(g.blocked_at)});
  }
  print_table(io.out, rows, "  ");
}

ExitCode status(const GlobalOptions& global, bool as_json, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  ops::Refresher refresher(loaded.loaded->config, selected_environments(loaded.loaded->config, global));
  const auto snapshots = refresher.refresh();
  bool partial = false;
  if (as_json) {
    json out = {{"schema", ops::kStatusSchema}, {"environments", json::array()}};
    for (const auto& s : snapshots) out["environments"].push_back(ops::to_json(*s));
    io.out << out.dump(2) << "\n";
  } else {
    bool first = true;
    for (const auto& s : snapshots) {
      if (!first) io.out << "\n";
      first = false;
      print_env(io, *s);
    }
  }
  for (const auto& s : snapshots) partial = partial || s->partial();
  // Every source's failure is on its environment's sources line; the exit code says "partial".
  return partial ? ExitCode::kPartial : ExitCode::kOk;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "status", "every environment's snapshot and gate: jobs, database, heads, tags, what runs, what blocks the next step");
  cmd->add_flag("--json", *as_json, "print JSON (docs/cli-json.md, schema mgate.status/v1)");
  cmd->callback([&global, &io, run, as_json] {
    *run = [&global, &io, as_json] { return status(global, *as_json, io); };
  });
}

}  // namespace mgate::cli
