// `mgate resubmit --env E [--sha SHA] [--dry-run] [--yes] [--wait] [--timeout S]`.

#include <fmt/format.h>

#include "backend/core/strings.hpp"
#include "backend/kube/job_json.hpp"
#include "backend/ops/resubmit_action.hpp"
#include "backend/registry/open_registry.hpp"
#include "src/cli.hpp"
#include "src/confirm.hpp"
#include "src/kube_env.hpp"

namespace mgate::cli {
namespace {

namespace ops = backend::ops;
namespace kube = backend::kube;

struct ResubmitOptions {
  std::string sha;
  bool dry_run = false;
  bool yes = false;
  bool wait = false;
  int timeout_seconds = 3600;
  std::string confirm_env;
};

/// The last lines of the newest pod's log (from the record when the controller deleted the
/// pod), for a failed Job's report.
void print_failure_tail(Io& io, KubeEnv& k, const kube::JobEntry& job) {
  std::string pod_name;
  std::string log;
  if (auto record = k.record_of(job); record && !record->pods.empty()) {
    const auto& pod = record->pods.back();
    pod_name = pod.pod["metadata"].value("name", "");
    if (!pod.logs.empty()) log = pod.logs.begin()->second;
  } else if (auto pods = k.jobs->pods(job.view); pods && !pods->views.empty()) {
    pod_name = pods->views.back().name;
    if (auto text = k.jobs->log(kube::LogRequest{pod_name, "", false, std::nullopt})) log = *text;
  }
  if (log.empty()) return;
  io.out << fmt::format("last lines of pod {}:\n{}", pod_name, backend::last_lines(log, 20));
  if (log.back() != '\n') io.out << "\n";
}

ExitCode follow_outcome(Io& io, KubeEnv& k, const ops::ResubmitResult& result, const ResubmitOptions& opts) {
  const auto& name = result.plan.name;
  std::optional<kube::RecordTarget> record;
  if (k.records) record.emplace(kube::RecordTarget{*k.records, k.env->name});
  auto last = k.jobs->follow(
      name, result.uid, std::chrono::seconds(opts.timeout_seconds),
      [&io](const kube::JobEntry& job, const kube::JobPods& pods) {
        io.out << "  " << ops::describe_progress(job, pods) << "\n";
        io.out.flush();
      },
      record ? &*record : nullptr);
  if (!last) return fail(io, last.error());
  const auto& j = last->view;
  const std::string took = j.duration ? " after " + kube::short_duration(*j.duration) : "";
  if (j.status.succeeded()) {
    io.out << fmt::format("Job {} succeeded{}: the migration of {} ran to completion\n", name, took,
                          j.sha.value_or("its image"));
    return ExitCode::kOk;
  }
  io.out << fmt::format("Job {} failed{}: {}{}\n", name, took, j.status.reason,
                        j.status.message.empty() ? "" : " — " + j.status.message);
  print_failure_tail(io, k, *last);
  return ExitCode::kFailed;
}

ExitCode resubmit(const GlobalOptions& global, const ResubmitOptions& opts, Io& io) {
  if (global.env.empty()) {
    io.err << "mgate: resubmit acts on one environment: pass --env NAME\n";
    return ExitCode::kUsage;
  }
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  const auto& config = loaded.loaded->config;
  const auto* env = config.find(global.env);
  auto k = open_kube_env(*env);
  if (!k) return fail(io, k.error());
  std::unique_ptr<backend::registry::Registry> registry;
  if (!opts.sha.empty()) {
    // The image of another commit must exist before a Job is made to pull it.
    auto opened = backend::registry::open_registry(*env);
    if (!opened) return fail(io, opened.error());
    registry = std::move(*opened);
  }
  const ops::AuditLog audit(config.audit_log);

  ops::ResubmitContext ctx;
  ctx.config = &config;
  ctx.env = env;
  ctx.jobs = (*k)->jobs.get();
  ctx.records = (*k)->records ? &*(*k)->records : nullptr;
  ctx.registry = registry.get();
  ctx.audit = &audit;
  ctx.user = ops::current_user();
  ctx.kube_context = (*k)->connection.context;
  ctx.read_only_flag = global.read_only;

  const ConfirmInput input =
      terminal_input(opts.yes, opts.confirm_env.empty() ? std::nullopt : std::optional(opts.confirm_env));
  ops::ResubmitHooks hooks;
  hooks.show = [&io](const ops::ResubmitPlan& plan) {
    for (const auto& line : plan.describe()) io.out << line << "\n";
  };
  hooks.confirm = [&io, &input](const ops::Confirmation& c) { return confirm(io, c, input); };
  hooks.progress = [&io](const std::string& line) {
    io.out << "  " << line << "\n";
    io.out.flush();
  };

  ops::ResubmitRequest request{env->name, opts.sha.empty() ? std::nullopt : std::optional(opts.sha)};
  auto result = ops::run_resubmit(ctx, request, hooks, opts.dry_run);
  if (!result) return fail(io, result.error());
  if (result->dry_run) {
    io.out << "dry run (dryRun=All): the server accepted this Job; nothing was changed:\n"
           << result->created.dump(2) << "\n";
    return ExitCode::kOk;
  }
  io.out << fmt::format("created Job {} (uid {}) in namespace {}: verified; audited in {}\n", result->plan.name,
                        result->uid, result->plan.ns, audit.path().string());
  if (!opts.wait) {
    io.out << fmt::format("follow it with: mgate logs --env {} --follow {}\n", env->name, result->plan.name);
    return ExitCode::kOk;
  }
  return follow_outcome(io, **k, *result, opts);
}

}  // namespace

void add_resubmit_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto opts = std::make_shared<ResubmitOptions>();
  auto* cmd = app.add_subcommand(
      "resubmit", "run an environment's migration Job again (a clone of the latest, or the template); guarded and audited");
  cmd->add_option("--sha", opts->sha, "run this commit's built image instead (a unique prefix of 7+ digits will do)");
  cmd->add_flag("--dry-run", opts->dry_run, "print the plan and the Job the server would create (dryRun=All); change nothing");
  cmd->add_flag("--yes,-y", opts->yes, "confirm without a prompt");
  cmd->add_option("--confirm-env", opts->confirm_env, "with --yes on a protected environment: its name");
  cmd->add_flag("--wait,-w", opts->wait, "follow the new Job to its outcome; exit 1 when it fails");
  cmd->add_option("--timeout", opts->timeout_seconds, "with --wait: give up after this many seconds (default 3600)")
      ->check(CLI::Range(1, 86400));
  cmd->callback([&global, &io, run, opts] {
    *run = [&global, &io, opts] { return resubmit(global, *opts, io); };
  });
}

}  // namespace mgate::cli
