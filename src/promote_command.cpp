// `mgate promote --env E SHA [--dry-run] [--yes]`.

#include <fmt/format.h>

#include "backend/db/postgres_version_store.hpp"
#include "backend/ops/commit_heads.hpp"
#include "backend/ops/database_gate.hpp"
#include "backend/ops/promote_action.hpp"
#include "backend/registry/open_registry.hpp"
#include "src/cli.hpp"
#include "src/confirm.hpp"

namespace mgate::cli {
namespace {

namespace ops = backend::ops;

struct PromoteOptions {
  std::string sha;
  bool dry_run = false;
  bool yes = false;
  std::string confirm_env;
  bool force_ungated = false;
  std::string reason;
};

/// The gate as this process can evaluate it: the database and the scripts, or why they cannot be
/// read (which closes the gate, so only --force-ungated passes it).
class PromoteGateOrError : public ops::PromoteGate {
 public:
  PromoteGateOrError(const backend::config::Config& config, const backend::config::Environment& env) {
    auto store = backend::db::open_postgres(env.database, env.name);
    if (!store) {
      error_ = store.error();
      return;
    }
    store_ = std::move(*store);
    auto graph = backend::alembic::load_graph(config.alembic.scripts);
    if (!graph) {
      error_ = graph.error();
      return;
    }
    graph_ = std::move(*graph);
    ops::HeadsAt heads_at;
    if (config.alembic.git) {
      commits_.emplace(*config.alembic.git, config.alembic.scripts);
      heads_at = commits_->heads_at();
    }
    gate_.emplace(*store_, *graph_, std::move(heads_at));
  }
  backend::Result<std::optional<std::string>> blocked(const std::string& sha) override {
    if (error_) return *error_;
    return gate_->blocked(sha);
  }

 private:
  std::optional<backend::Error> error_;
  std::unique_ptr<backend::db::VersionStore> store_;
  std::shared_ptr<const backend::alembic::RevisionGraph> graph_;
  std::optional<ops::CommitHeads> commits_;
  std::optional<ops::DatabaseGate> gate_;
};

ExitCode promote(const GlobalOptions& global, const PromoteOptions& opts, Io& io) {
  if (global.env.empty()) {
    io.err << "mgate: promote acts on one environment: pass --env NAME\n";
    return ExitCode::kUsage;
  }
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const auto& config = loaded.loaded->config;
  const auto* env = config.find(global.env);
  auto registry = backend::registry::open_registry(*env);
  if (!registry) return fail(io, registry.error());
  const ops::AuditLog audit(config.audit_log);

  PromoteGateOrError gate(config, *env);
  ops::PromoteContext ctx;
  ctx.config = &config;
  ctx.env = env;
  ctx.registry = registry->get();
  ctx.gate = &gate;
  ctx.audit = &audit;
  ctx.user = ops::current_user();
  ctx.read_only_flag = global.read_only;

  const ConfirmInput input =
      terminal_input(opts.yes, opts.confirm_env.empty() ? std::nullopt : std::optional(opts.confirm_env));
  ops::PromoteHooks hooks;
  hooks.show = [&io](const ops::PromotePlan& plan) {
    for (const auto& line : plan.describe()) io.out << line << "\n";
  };
  hooks.confirm = [&io, &input](const ops::Confirmation& c) { return confirm(io, c, input); };

  auto result = ops::run_promote(ctx, ops::PromoteRequest{env->name, opts.sha, opts.force_ungated, opts.reason}, hooks,
                                 opts.dry_run);
  if (!result) return fail(io, result.error());
  const auto& plan = result->plan;
  if (result->dry_run) {
    io.out << "dry run: nothing was changed\n";
  } else if (result->no_op) {
    io.out << fmt::format("already promoted: {} names {} (nothing to do; audited in {})\n", plan.target_tag,
                          result->verified_digest, audit.path().string());
  } else {
    io.out << fmt::format("promoted {}: {} -> {} (verified; audited in {})\n", env->name, plan.target_tag,
                          result->verified_digest, audit.path().string());
  }
  return ExitCode::kOk;
}

}  // namespace

void add_promote_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto opts = std::make_shared<PromoteOptions>();
  auto* cmd = app.add_subcommand(
      "promote", "give a commit's built image its migrated tag (same digest, exact bytes); guarded and audited");
  cmd->add_option("sha", opts->sha, "the commit, as the tags write it, or a unique prefix of 7+ digits")->required();
  cmd->add_flag("--dry-run", opts->dry_run, "print the plan and the equivalent registry commands; change nothing");
  cmd->add_flag("--yes,-y", opts->yes, "confirm without a prompt");
  cmd->add_option("--confirm-env", opts->confirm_env, "with --yes on a protected environment: its name");
  cmd->add_flag("--force-ungated", opts->force_ungated,
                "promote although the database is not at the image's heads (needs --reason; audited)");
  cmd->add_option("--reason", opts->reason, "with --force-ungated: why, for the audit log");
  cmd->callback([&global, &io, run, opts] {
    *run = [&global, &io, opts] { return promote(global, *opts, io); };
  });
}

}  // namespace mgate::cli
