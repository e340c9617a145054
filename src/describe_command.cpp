// `mgate describe JOB`: one migration Job in full — status and why, commit, image, attempts,
// hooks, TTL, its pods and (while the cluster has it) its events.

#include <fmt/format.h>

#include "backend/core/strings.hpp"
#include "backend/core/time.hpp"
#include "backend/kube/job_json.hpp"
#include "src/cli.hpp"
#include "src/kube_env.hpp"
#include "src/table.hpp"

namespace mgate::cli {
namespace {

namespace kube = backend::kube;

std::string time_text(const std::optional<backend::Clock::time_point>& t) {
  return t ? backend::format_rfc3339(*t) : std::string("-");
}

std::string hooks_text(const kube::HookAnnotations& h) {
  std::vector<std::string> parts;
  if (h.argocd_hook) parts.push_back("argocd.argoproj.io/hook=" + *h.argocd_hook);
  if (h.argocd_hook_delete_policy) parts.push_back("hook-delete-policy=" + *h.argocd_hook_delete_policy);
  if (h.argocd_sync_wave) parts.push_back("sync-wave=" + *h.argocd_sync_wave);
  if (h.helm_hook) parts.push_back("helm.sh/hook=" + *h.helm_hook);
  if (h.helm_hook_delete_policy) parts.push_back("helm.sh/hook-delete-policy=" + *h.helm_hook_delete_policy);
  if (h.helm_hook_weight) parts.push_back("helm.sh/hook-weight=" + *h.helm_hook_weight);
  return parts.empty() ? std::string("none") : backend::join(parts, ", ");
}

std::string reason_of(const kube::PodView& p) {
  for (const auto* list : {&p.init_containers, &p.containers}) {
    for (const auto& c : *list) {
      if (!c.state.reason.empty()) return c.state.reason;
    }
  }
  return "";
}

void print_job(Io& io, KubeEnv& k, const kube::JobEntry& entry, const std::vector<kube::PodView>& pods) {
  const kube::MigrationJob& j = entry.view;
  auto line = [&io](const std::string& key, const std::string& value) {
    io.out << fmt::format("{:<16}{}\n", key + ":", value);
  };
  line("Name", j.name);
  line("Namespace", j.namespace_);
  line("Environment", k.env->name);
  line("Source", entry.from_record ? "finished, from the record (the cluster no longer has this Job)" : "cluster " +
                                                                                                            k.connection.server);
  std::string status = kube::to_string(j.status.phase);
  if (!j.status.reason.empty()) status += " (" + j.status.reason + ")";
  if (j.status.since) status += " since " + backend::format_rfc3339(*j.status.since);
  line("Status", status);
  if (!j.status.message.empty()) line("Message", j.status.message);
  line("Commit", j.sha.value_or("- (the image tag names none)"));
  line("Image", j.image);
  line("Attempts", fmt::format("{} (active {}, succeeded {}, failed {})", kube::attempts_with_restarts(j, pods),
                               j.active, j.succeeded, j.failed));
  line("Created", backend::format_rfc3339(j.created));
  line("Started", time_text(j.start));
  line("Finished", time_text(j.finished));
  line("Duration", j.duration ? kube::short_duration(*j.duration) : "-");
  line("Backoff limit", j.backoff_limit ? std::to_string(*j.backoff_limit) : "-");
  line("Restart policy", j.restart_policy.empty() ? "-" : j.restart_policy);
  std::string ttl = j.ttl_seconds_after_finished ? fmt::format("{}s", *j.ttl_seconds_after_finished) : "none";
  if (j.ttl_left) ttl += ", deleted in " + kube::short_duration(*j.ttl_left);
  line("TTL", ttl);
  if (j.suspend) line("Suspended", "yes");
  line("Hooks", hooks_text(j.hooks));
  io.out << "Pods:\n";
  if (pods.empty()) {
    io.out << "  none\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"NAME", "PHASE", "RESTARTS", "EXIT", "REASON", "NODE", "CREATED"}};
    for (const auto& p : pods) {
      rows.push_back({p.name, p.phase.empty() ? "Pending" : p.phase, std::to_string(p.restarts()),
                      p.exit_code() ? std::to_string(*p.exit_code()) : "-", reason_of(p), p.node.empty() ? "-" : p.node,
                      backend::format_rfc3339(p.created)});
    }
    print_table(io.out, rows, "  ");
  }
  io.out << "Events:\n";
  if (entry.from_record) {
    io.out << "  (not kept in the record)\n";
    return;
  }
  auto events = k.jobs->events(j, pods);
  if (!events) {
    io.out << "  (could not be read: " << events.error().message << ")\n";
    return;
  }
  if (events->empty()) {
    io.out << "  none\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"}};
  for (const auto& e : *events) {
    rows.push_back({time_text(e.last), e.type, e.reason, e.involved_kind + "/" + e.involved_name,
                    std::to_string(e.count), e.message});
  }
  print_table(io.out, rows, "  ");
}

ExitCode describe(const GlobalOptions& global, const std::string& name, Io& io) {
  auto loaded = load_config(global, io);
  if (!loaded.loaded) return loaded.exit;
  auto located = locate_job(loaded.loaded->config, global, name);
  if (!located) return fail(io, located.error());
  KubeEnv& k = *located->kube;
  std::vector<nlohmann::json> live_pods;
  if (!located->job.from_record) {
    auto pods = k.list_pods();
    if (!pods) return fail(io, pods.error());
    live_pods = std::move(*pods);
  }
  print_job(io, k, located->job, k.pods_of(located->job, live_pods));
  return ExitCode::kOk;
}

}  // namespace

void add_describe_command(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("describe", "one migration Job in full: status, commit, attempts, hooks, pods, events");
  cmd->add_option("job", *name, "the Job's name")->required();
  cmd->callback([&global, &io, run, name] {
    *run = [&global, &io, name] { return describe(global, *name, io); };
  });
}

}  // namespace mgate::cli
