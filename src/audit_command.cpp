// `mgate audit`: the audit log, newest last, as a table or as JSON lines.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/ops/audit_log.hpp"
#include "src/cli.hpp"

namespace mgate::cli {
namespace {

struct AuditOptions {
  std::string action;
  std::size_t tail = 0;
  bool json = false;
};

std::string text_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool selected(const nlohmann::json& record, const GlobalOptions& global, const AuditOptions& opts) {
  if (!global.env.empty() && text_of(record, "env") != global.env) return false;
  if (!opts.action.empty() && text_of(record, "action") != opts.action) return false;
  return true;
}

ExitCode print_audit(const GlobalOptions& global, const AuditOptions& opts, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const backend::ops::AuditLog log(loaded.loaded->config.audit_log);
  auto records = log.read_all();
  if (!records) {
    print_error(io, records.error());
    return ExitCode::kFailed;
  }
  std::vector<nlohmann::json> shown;
  for (auto& r : *records)
    if (selected(r, global, opts)) shown.push_back(std::move(r));
  if (opts.tail > 0 && shown.size() > opts.tail)
    shown.erase(shown.begin(), shown.end() - static_cast<std::ptrdiff_t>(opts.tail));
  if (opts.json) {
    nlohmann::json out = shown;
    io.out << out.dump(2) << "\n";
    return ExitCode::kOk;
  }
  if (shown.empty()) {
    io.out << "no audit records in " << log.path().string() << "\n";
    return ExitCode::kOk;
  }
  io.out << fmt::format("{:<24}  {:<12}  {:<10}  {:<9}  {:<9}  {}\n", "TIME", "USER", "ENV", "ACTION",
                        "OUTCOME", "ARGUMENTS");
  for (const auto& r : shown) {
    const auto args = r.contains("arguments") ? r["arguments"].dump() : std::string("{}");
    io.out << fmt::format("{:<24}  {:<12}  {:<10}  {:<9}  {:<9}  {}\n", text_of(r, "time"),
                          text_of(r, "user"), text_of(r, "env"), text_of(r, "action"),
                          text_of(r, "outcome"), args);
  }
  return ExitCode::kOk;
}

}  // namespace

void add_audit_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto opts = std::make_shared<AuditOptions>();
  auto* audit = app.add_subcommand("audit", "show the audit log of actions (stamp, promote, resubmit)");
  audit->add_option("--action", opts->action, "only this action");
  audit->add_option("--tail", opts->tail, "only the last N records");
  audit->add_flag("--json", opts->json, "print the records as a JSON array");
  audit->callback([&global, &io, run, opts] {
    *run = [&global, &io, opts] { return print_audit(global, *opts, io); };
  });
}

}  // namespace mgate::cli
