#include "backend/ops/stamp_action.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "backend/alembic/stamp.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::ops {
namespace {

// The ids the targets name, in the order given, each once; `base` names none.
Result<std::vector<std::string>> resolve_targets(const alembic::RevisionGraph& graph,
                                                 const std::vector<std::string>& targets) {
  std::vector<std::string> ids;
  for (const auto& t : targets) {
    auto r = graph.resolve(t);
    if (!r) return refusal(fmt::format("'{}' is not a known revision of the scripts", t), r.error().message);
    for (auto& id : *r)
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

// --expect compares as a set; the word `base` stands for "no rows".
Status check_expectation(const StampRequest& request, const db::VersionState& current) {
  if (!request.expect) return ok_status();
  std::vector<std::string> expected;
  for (const auto& e : *request.expect)
    if (e != "base") expected.push_back(e);
  if (db::normalize_rows(expected) == current.rows) return ok_status();
  return refusal(fmt::format("the version table holds {}, not the expected {}; nothing was changed",
                             db::format_rows(current.rows), db::format_rows(db::normalize_rows(expected))));
}

std::string alembic_command(const config::Config& config, const StampRequest& request,
                            const std::vector<std::string>& resolved) {
  std::string cmd = "alembic";
  if (config.alembic.scripts.extension() == ".ini") cmd += " -c " + config.alembic.scripts.string();
  cmd += " stamp";
  if (request.purge) cmd += " --purge";
  cmd += " " + (resolved.empty() ? std::string("base") : join(resolved, " "));
  return cmd;
}

AuditFields rows_fields(const std::vector<std::string>& rows, const char* relation) {
  AuditFields f;
  f.set("versions", rows);
  if (relation != nullptr) f.set("relation", relation);
  return f;
}

AuditRecord base_record(const StampContext& ctx, const StampRequest& request, bool dry_run) {
  AuditRecord r = AuditRecord::begin(ctx.user, request.env, "stamp", dry_run);
  r.arguments.set("targets", request.targets).set("purge", request.purge);
  if (request.expect) r.arguments.set("expect", *request.expect);
  if (ctx.store != nullptr) r.arguments.set("database", ctx.store->describe());
  return r;
}

}  // namespace

bool StampPlan::no_change() const {
  return current.table_exists && current.rows == db::normalize_rows(rows);
}

std::vector<std::string> StampPlan::describe() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("stamp {}: {}", request.env, store));
  out.push_back(fmt::format("  now:   {}  ({})", db::format_rows(current.rows), before.sentence()));
  out.push_back(fmt::format("  after: {}  ({})", db::format_rows(rows), after.sentence()));
  if (no_change()) out.push_back("  the table already holds these rows");
  out.push_back("  SQL:");
  for (const auto& s : sql) out.push_back("    " + s);
  out.push_back("  equivalent: " + alembic_command);
  for (const auto& n : notes) out.push_back("  note: " + n);
  return out;
}

Result<StampPlan> plan_stamp(const StampContext& ctx, const StampRequest& request) {
  StampPlan plan;
  plan.request = request;
  plan.store = ctx.store->describe();
  auto current = ctx.store->read();
  if (!current) return current.error();
  plan.current = std::move(*current);
  if (auto s = check_expectation(request, plan.current); !s) return s.error();
  auto resolved = resolve_targets(*ctx.graph, request.targets);
  if (!resolved) return resolved.error();
  plan.resolved = std::move(*resolved);
  if (request.purge) {
    plan.rows = plan.resolved;
  } else {
    auto rows = alembic::stamp_rows(*ctx.graph, plan.current.rows, request.targets);
    if (!rows)
      return refusal(rows.error().message + "; --purge replaces every row whatever it names",
                     rows.error().detail);
    plan.rows = std::move(*rows);
  }
  if (auto s = db::check_column_width(plan.rows, plan.current.column_width, "version_num"); !s)
    return s.error();
  if (auto s = check_no_active_job(ctx.activity, request.env, plan.notes); !s) return s.error();
  plan.before = alembic::relate(*ctx.graph, plan.current.rows);
  plan.after = alembic::relate(*ctx.graph, plan.rows);
  plan.sql = ctx.store->plan_sql(plan.current, plan.rows);
  plan.alembic_command = alembic_command(*ctx.config, request, plan.resolved);
  return plan;
}

Result<StampResult> run_stamp(const StampContext& ctx, const StampRequest& request, const StampHooks& hooks,
                              bool dry_run) {
  AuditRecord record = base_record(ctx, request, dry_run);
  if (auto s = check_writable(*ctx.config, *ctx.env, ctx.read_only_flag); !s)
    return audited<StampResult>(ctx.audit, std::move(record), s.error());
  auto plan = plan_stamp(ctx, request);
  if (!plan) return audited<StampResult>(ctx.audit, std::move(record), plan.error());
  record.before = rows_fields(plan->current.rows, alembic::to_string(plan->before.kind));
  if (hooks.show) hooks.show(*plan);
  StampResult result{*plan, dry_run, {}};
  if (dry_run) {
    record.outcome = AuditOutcome::kDryRun;
    record.after = rows_fields(plan->rows, alembic::to_string(plan->after.kind));
    return audited<StampResult>(ctx.audit, std::move(record), std::move(result));
  }
  const auto question = fmt::format("Stamp {} from {} to {}?", request.env,
                                    db::format_rows(plan->current.rows), db::format_rows(plan->rows));
  if (auto s = hooks.confirm(confirmation_for(*ctx.env, question)); !s)
    return audited<StampResult>(ctx.audit, std::move(record), s.error());
  auto outcome = ctx.store->replace_rows(plan->current.rows, plan->rows);
  if (!outcome) return audited<StampResult>(ctx.audit, std::move(record), outcome.error());
  result.outcome = *outcome;
  // Verify from a fresh read, not from what the transaction said it wrote.
  auto verify = ctx.store->read();
  if (!verify) return audited<StampResult>(ctx.audit, std::move(record), verify.error());
  record.after =
      rows_fields(verify->rows, alembic::to_string(alembic::relate(*ctx.graph, verify->rows).kind));
  if (verify->rows != db::normalize_rows(plan->rows))
    return audited<StampResult>(
        ctx.audit, std::move(record),
        make_error(ErrorCode::kInternal,
                   fmt::format("verify failed: the table holds {} after the stamp, planned {}",
                               db::format_rows(verify->rows), db::format_rows(plan->rows))));
  return audited<StampResult>(ctx.audit, std::move(record), std::move(result));
}

}  // namespace mgate::backend::ops
