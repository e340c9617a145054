// `mgate stamp --env E REV… [--purge] [--expect CUR…] [--dry-run] [--yes]`.

#include <fmt/format.h>

#include "backend/db/postgres_version_store.hpp"
#include "backend/ops/stamp_action.hpp"
#include "src/cli.hpp"
#include "src/confirm.hpp"
#include "src/kube_env.hpp"

namespace mgate::cli {
namespace {

namespace ops = backend::ops;

/// The guard when the cluster cannot be reached: it cannot tell, so the stamp is refused.
class UnknownActivity : public ops::MigrationActivity {
 public:
  explicit UnknownActivity(backend::Error error) : error_(std::move(error)) {}
  backend::Result<std::optional<std::string>> active_job() override { return error_; }

 private:
  backend::Error error_;
};

struct StampOptions {
  std::vector<std::string> targets;
  std::vector<std::string> expect;
  bool purge = false;
  bool dry_run = false;
  bool yes = false;
  std::string confirm_env;
};

ExitCode stamp(const GlobalOptions& global, const StampOptions& opts, Io& io) {
  if (global.env.empty()) {
    io.err << "mgate: stamp acts on one environment: pass --env NAME\n";
    return ExitCode::kUsage;
  }
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const auto& config = loaded.loaded->config;
  const auto* env = config.find(global.env);
  ExitCode exit = ExitCode::kOk;
  auto scripts = load_scripts(config.alembic.scripts, io, exit);
  if (!scripts) return exit;
  auto store = backend::db::open_postgres(env->database, env->name);
  if (!store) return fail(io, store.error());
  const ops::AuditLog audit(config.audit_log);
  auto kube = open_kube_env(*env);
  std::unique_ptr<ops::MigrationActivity> activity;
  if (kube) activity = std::make_unique<ops::KubeMigrationActivity>(*(*kube)->jobs);
  else activity = std::make_unique<UnknownActivity>(kube.error());

  ops::StampContext ctx;
  ctx.config = &config;
  ctx.env = env;
  ctx.graph = &*scripts->graph;
  ctx.store = store->get();
  ctx.activity = activity.get();
  ctx.audit = &audit;
  ctx.user = ops::current_user();
  ctx.read_only_flag = global.read_only;

  ops::StampRequest request;
  request.env = env->name;
  request.targets = opts.targets;
  request.purge = opts.purge;
  if (!opts.expect.empty()) request.expect = opts.expect;

  const ConfirmInput input =
      terminal_input(opts.yes, opts.confirm_env.empty() ? std::nullopt : std::optional(opts.confirm_env));
  ops::StampHooks hooks;
  hooks.show = [&io](const ops::StampPlan& plan) {
    for (const auto& line : plan.describe()) io.out << line << "\n";
  };
  hooks.confirm = [&io, &input](const ops::Confirmation& c) { return confirm(io, c, input); };

  auto result = ops::run_stamp(ctx, request, hooks, opts.dry_run);
  if (!result) return fail(io, result.error());
  if (result->dry_run) {
    io.out << "dry run: nothing was changed\n";
  } else {
    io.out << fmt::format("stamped {}: {} -> {} (verified; audited in {})\n", env->name,
                          backend::db::format_rows(result->outcome.before),
                          backend::db::format_rows(result->outcome.after), audit.path().string());
  }
  return ExitCode::kOk;
}

}  // namespace

void add_stamp_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto opts = std::make_shared<StampOptions>();
  auto* cmd = app.add_subcommand(
      "stamp", "set an environment's alembic_version without migrating (after a restore); guarded and audited");
  cmd->add_option("revisions", opts->targets,
                  "target revisions: ids, unique prefixes, branch labels, heads, or base (default: base)");
  cmd->add_flag("--purge", opts->purge, "replace every row, even rows the scripts do not know (after a restore)");
  cmd->add_option("--expect", opts->expect,
                  "refuse unless the table holds exactly these revisions now (base = no rows); repeat or comma-separate")
      ->delimiter(',')
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--dry-run", opts->dry_run, "print the plan, the SQL and the equivalent alembic command; change nothing");
  cmd->add_flag("--yes,-y", opts->yes, "confirm without a prompt");
  cmd->add_option("--confirm-env", opts->confirm_env, "with --yes on a protected environment: its name");
  cmd->callback([&global, &io, run, opts] {
    *run = [&global, &io, opts] { return stamp(global, *opts, io); };
  });
}

}  // namespace mgate::cli
