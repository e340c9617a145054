#include "backend/ops/resubmit_action.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "backend/kube/job_clone.hpp"
#include "backend/kube/manifest.hpp"
#include "backend/kube/view_json.hpp"
#include "backend/registry/tag_model.hpp"

namespace mgate::backend::ops {
namespace {

using Json = nlohmann::json;
namespace kube = backend::kube;

constexpr const char* kResubmitOf = "mgate.dev/resubmit-of";
constexpr const char* kResubmittedBy = "mgate.dev/resubmitted-by";
constexpr auto kDeletePoll = std::chrono::milliseconds(200);

/// Where the new Job comes from.
struct Source {
  Json object;
  std::string description;
  std::optional<std::string> sha;  ///< the commit its image's tag names
  std::string image;               ///< its first container's image
};

std::string first_image(const Json& job) {
  const Json* containers = &job;
  for (const char* key : {"spec", "template", "spec", "containers"}) {
    if (!containers->is_object() || !containers->contains(key)) return "";
    containers = &(*containers)[key];
  }
  if (!containers->is_array() || containers->empty()) return "";
  return containers->front().value("image", "");
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot read the Job template {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The commit named by a Job's image, through the env's tag pattern.
std::optional<std::string> sha_of(const kube::MigrationJobs& jobs, const Json& job) {
  Json named = job;
  if (!named["metadata"].is_object()) named["metadata"] = Json::object();
  if (!named["metadata"].contains("name")) named["metadata"]["name"] = "template";
  auto view = jobs.parse(named);
  return view ? view->sha : std::nullopt;
}

Result<Source> template_source(const ResubmitContext& ctx, const std::vector<kube::JobEntry>& jobs,
                               const std::optional<std::string>& sha) {
  const std::filesystem::path& path = *ctx.env->kube.jobs.template_file;
  std::optional<std::string> commit = sha;
  if (!commit && !jobs.empty()) commit = jobs.back().view.sha;
  if (!commit) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the Job template {} needs a commit: give --sha (no migration Job names one)",
                                  path.string()));
  }
  auto text = read_file(path);
  if (!text) return text.error();
  auto object = kube::parse_manifest(config::expand_pattern(*text, *commit, ctx.env->name), path.string());
  if (!object) return object.error();
  if (object->value("kind", "") != "Job") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: the template is a {}, not a Job", path.string(), object->value("kind", "")));
  }
  Source s{std::move(*object), "template " + path.string(), std::nullopt, ""};
  s.sha = sha_of(*ctx.jobs, s.object);
  s.image = first_image(s.object);
  return s;
}

Result<Source> latest_job_source(const ResubmitContext& ctx, const std::vector<kube::JobEntry>& jobs) {
  if (jobs.empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no migration Job to resubmit in {}: none matches {} in namespace {}, none is "
                                  "recorded, and no jobs.template is configured",
                                  ctx.env->name, ctx.jobs->selector(), ctx.jobs->ns()));
  }
  const kube::JobEntry& latest = jobs.back();
  Source s{latest.object,
           fmt::format("Job {} ({}{})", latest.view.name, kube::to_string(latest.view.status.phase),
                       latest.from_record ? ", from the record" : ""),
           latest.view.sha, latest.view.image};
  return s;
}

/// The requested commit as the env's tags write it (checked against the registry when there is one).
Result<std::optional<std::string>> requested_sha(const ResubmitContext& ctx, const ResubmitRequest& request,
                                                 std::vector<std::string>& notes) {
  if (!request.sha) return std::optional<std::string>();
  if (ctx.registry == nullptr) {
    if (!registry::is_commit_sha(*request.sha)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not a commit: give 7 to 64 lower-case hex digits", *request.sha));
    }
    notes.push_back("the built image of " + *request.sha + " was not checked: no registry client here");
    return request.sha;
  }
  auto patterns = registry::TagPatterns::for_env(*ctx.env);
  if (!patterns) return patterns.error();
  auto sha = registry::resolve_commit(*ctx.registry, *patterns, *request.sha);
  if (!sha) {
    if (sha.error().code == ErrorCode::kNotFound) return refusal(sha.error().message + ": there is no image to run");
    return sha.error();
  }
  return std::optional<std::string>(*sha);
}

/// Env values naming the old commit (IMAGE_SHA=…) follow the image to the new one.
void switch_env_values(Json& pod_spec, const std::string& image, const std::string& from, const std::string& to,
                       std::vector<std::string>& changes) {
  for (const char* list : {"initContainers", "containers"}) {
    if (!pod_spec.contains(list)) continue;
    for (Json& c : pod_spec[list]) {
      if (c.value("image", "") != image || !c.contains("env")) continue;
      for (Json& e : c["env"]) {
        if (!e.contains("value") || !e["value"].is_string()) continue;
        const std::string value = e["value"];
        std::string next;
        if (value == from) next = to;
        else if (from.size() > 7 && value == from.substr(0, 7)) next = to.substr(0, 7);
        if (next.empty() || next == value) continue;
        changes.push_back(fmt::format("{}: {} {} → {}", c.value("name", ""), e.value("name", ""), value, next));
        e["value"] = next;
      }
    }
  }
}

Result<std::string> free_name(const ResubmitContext& ctx, const std::string& base) {
  auto all = ctx.jobs->client().list(kube::kJobs, ctx.jobs->ns(), {}, ctx.stop);
  if (!all) return all.error();
  std::set<std::string> taken;
  for (const Json& j : all->items) taken.insert(j["metadata"].value("name", ""));
  return kube::next_free_name(base, taken);
}

/// Names the new Job; for a static name, finds the Job it replaces (which must be finished).
Status choose_name(const ResubmitContext& ctx, ResubmitPlan& plan) {
  const config::JobsConfig& rule = ctx.env->kube.jobs;
  plan.static_name = rule.static_name();
  if (!plan.static_name) {
    if (plan.sha.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the Job name rule {} needs a commit, and the source's image {} names none: give --sha",
                                    rule.name, plan.image));
    }
    auto name = free_name(ctx, rule.job_name(plan.sha, ctx.env->name));
    if (!name) return name.error();
    plan.name = *name;
    return ok_status();
  }
  plan.name = rule.name;
  auto existing = ctx.jobs->get(plan.name, ctx.stop);
  if (!existing) return existing.error();
  if (!*existing) return ok_status();
  if (auto why = kube::busy_reason((*existing)->view)) {
    return refusal(fmt::format("Job {} is not finished ({}); a resubmit would delete it", plan.name, *why));
  }
  plan.replaces = plan.name;
  plan.replaces_uid = (*existing)->view.uid;
  return ok_status();
}

std::vector<std::string> kubectl_commands(const ResubmitContext& ctx, const ResubmitPlan& plan) {
  const std::string prefix = fmt::format("kubectl{} -n {}",
                                         ctx.kube_context.empty() ? "" : " --context " + ctx.kube_context, plan.ns);
  std::vector<std::string> out;
  if (plan.replaces) out.push_back(fmt::format("{} delete job {} --cascade=background --wait", prefix, plan.name));
  out.push_back(fmt::format("{} create -f job.json   # job.json: the Job of this plan (--dry-run prints it)", prefix));
  return out;
}

AuditRecord base_record(const ResubmitContext& ctx, const ResubmitRequest& request, bool dry_run) {
  AuditRecord r = AuditRecord::begin(ctx.user, request.env, "resubmit", dry_run);
  r.arguments.set("sha", request.sha.value_or(""));
  return r;
}

/// Deletes the Job the plan replaces and waits until the server no longer has it.
Status delete_and_wait(const ResubmitContext& ctx, const ResubmitPlan& plan, const ResubmitHooks& hooks) {
  auto say = [&](const std::string& line) {
    if (hooks.progress) hooks.progress(line);
  };
  if (ctx.records != nullptr) {
    // Its outcome and logs outlive it: the record is what `mgate jobs` shows afterwards.
    if (auto old = ctx.jobs->get(*plan.replaces, ctx.stop); old && *old) {
      if (auto saved = ctx.jobs->record_decided(*ctx.records, ctx.env->name, {**old}, ctx.stop); !saved) {
        say("warning: could not record Job " + *plan.replaces + ": " + saved.error().message);
      }
    }
  }
  say(fmt::format("deleting Job {} (uid {}), propagationPolicy=Background", *plan.replaces, plan.replaces_uid));
  auto removed = ctx.jobs->client().remove(kube::kJobs, plan.ns, *plan.replaces, kube::Propagation::kBackground,
                                           false, ctx.stop);
  if (!removed && removed.error().code != ErrorCode::kNotFound) return removed.error();
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto job = ctx.jobs->get(*plan.replaces, ctx.stop);
    if (!job) return job.error();
    if (!*job || (*job)->view.uid != plan.replaces_uid) break;
    if (std::chrono::steady_clock::now() - start >= ctx.delete_wait) {
      return make_error(ErrorCode::kTimeout,
                        fmt::format("Job {} (uid {}) still exists {} s after its deletion (finalizers {}); nothing "
                                    "was created",
                                    *plan.replaces, plan.replaces_uid, ctx.delete_wait.count(),
                                    (*job)->object["metadata"].value("finalizers", Json::array()).dump()));
    }
    if (ctx.stop.stop_requested()) return make_error(ErrorCode::kCancelled, "stopped waiting for the deletion");
    std::this_thread::sleep_for(kDeletePoll);
  }
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  say(fmt::format("Job {} is gone ({:.1f} s)", *plan.replaces, took));
  return ok_status();
}

/// The guard again at execute time (the plan may be minutes old): no Job became active, and the
/// static name still holds the Job the plan replaces.
Status recheck(const ResubmitContext& ctx, const ResubmitPlan& plan) {
  KubeMigrationActivity activity(*ctx.jobs);
  std::vector<std::string> ignored;
  if (auto s = check_no_active_job(&activity, ctx.env->name, ignored); !s) return s;
  if (!plan.static_name) return ok_status();
  auto now = ctx.jobs->get(plan.name, ctx.stop);
  if (!now) return now.error();
  const std::string uid = *now ? (*now)->view.uid : "";
  if (uid != plan.replaces_uid) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("refused: Job {} changed since the plan was made (uid {} then, {} now); nothing "
                                  "was changed",
                                  plan.name, plan.replaces_uid.empty() ? "none" : plan.replaces_uid,
                                  uid.empty() ? "none" : uid));
  }
  return ok_status();
}

Result<ResubmitResult> dry_run_create(const ResubmitContext& ctx, ResubmitResult result) {
  const ResubmitPlan& plan = result.plan;
  Json job = plan.job;
  if (plan.replaces) {
    auto removed = ctx.jobs->client().remove(kube::kJobs, plan.ns, *plan.replaces, kube::Propagation::kBackground,
                                             true, ctx.stop);
    if (!removed) return removed.error();
    // The name is still taken, so the server checks the Job under a free one.
    job["metadata"]["name"] = plan.name + "-dry-run";
  }
  auto created = ctx.jobs->client().create(kube::kJobs, plan.ns, job, true, ctx.stop);
  if (!created) return created.error();
  result.created = std::move(*created);
  result.created["metadata"]["name"] = plan.name;
  return result;
}

Result<ResubmitResult> execute(const ResubmitContext& ctx, const ResubmitHooks& hooks, ResubmitResult result) {
  const ResubmitPlan& plan = result.plan;
  if (auto s = recheck(ctx, plan); !s) return s.error();
  if (plan.replaces) {
    if (auto s = delete_and_wait(ctx, plan, hooks); !s) return s.error();
  }
  auto created = ctx.jobs->client().create(kube::kJobs, plan.ns, plan.job, false, ctx.stop);
  if (!created) return created.error();
  result.uid = (*created)["metadata"].value("uid", "");
  result.created = std::move(*created);
  if (hooks.progress) hooks.progress(fmt::format("created Job {} (uid {})", plan.name, result.uid));
  auto verify = ctx.jobs->get(plan.name, ctx.stop);
  if (!verify) return verify.error();
  if (!*verify || (*verify)->view.uid != result.uid) {
    return make_error(ErrorCode::kInternal, fmt::format("verify failed: Job {} with uid {} is not on the server after "
                                                        "its creation",
                                                        plan.name, result.uid));
  }
  return result;
}

}  // namespace

std::vector<std::string> ResubmitPlan::describe() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("resubmit {}: create Job {} in namespace {}", request.env, name, ns));
  out.push_back("  from:     " + source);
  out.push_back("  commit:   " + (sha.empty() ? std::string("(the image tag names none)") : sha));
  out.push_back("  image:    " + image + (from_image.empty() ? "" : "  (was " + from_image + ")"));
  for (const auto& c : env_changes) out.push_back("  env:      " + c);
  if (replaces) {
    out.push_back(fmt::format("  replaces: Job {} (uid {}): deleted with propagationPolicy=Background, waited on "
                              "until gone, then created again",
                              *replaces, replaces_uid));
  }
  out.push_back("  equivalent:");
  for (const auto& c : commands) out.push_back("    " + c);
  for (const auto& n : notes) out.push_back("  note: " + n);
  return out;
}

Result<ResubmitPlan> plan_resubmit(const ResubmitContext& ctx, const ResubmitRequest& request) {
  ResubmitPlan plan;
  plan.request = request;
  plan.ns = ctx.jobs->ns();
  KubeMigrationActivity activity(*ctx.jobs);
  if (auto s = check_no_active_job(&activity, ctx.env->name, plan.notes); !s) return s.error();

  auto live = ctx.jobs->list(ctx.stop);
  if (!live) return live.error();
  std::vector<kube::JobEntry> jobs = std::move(*live);
  if (ctx.records != nullptr) {
    auto records = ctx.records->load_all(ctx.env->name);
    if (!records) return records.error();
    jobs = ctx.jobs->with_records(std::move(jobs), *records);
  }
  auto wanted = requested_sha(ctx, request, plan.notes);
  if (!wanted) return wanted.error();
  auto source = ctx.env->kube.jobs.template_file ? template_source(ctx, jobs, *wanted) : latest_job_source(ctx, jobs);
  if (!source) return source.error();
  plan.source = source->description;
  plan.image = source->image;
  plan.sha = wanted->value_or(source->sha.value_or(""));

  kube::CloneOptions options;
  const bool switch_image = wanted->has_value() && source->sha != *wanted;
  if (switch_image) {
    auto patterns = registry::TagPatterns::for_env(*ctx.env);
    if (!patterns) return patterns.error();
    if (source->image.empty()) {
      return make_error(ErrorCode::kInvalidArgument, plan.source + " has no container image to switch");
    }
    plan.from_image = source->image;
    plan.image = std::string(kube::image_name(source->image)) + ":" + patterns->built.tag_for(plan.sha);
    options.image = plan.image;
    options.from_image = plan.from_image;
  }
  if (auto s = choose_name(ctx, plan); !s) return s.error();
  options.name = plan.name;
  const auto& labels = source->object["metadata"].value("labels", Json::object());
  if (ctx.env->deploy && ctx.env->deploy->argocd_application &&
      labels.value("app.kubernetes.io/instance", "") == *ctx.env->deploy->argocd_application) {
    // Argo CD tracks this app by label: a Job carrying it would count as the app's (and be pruned).
    options.drop_instance_label = true;
    plan.notes.push_back("the label app.kubernetes.io/instance is dropped: Argo CD would take the Job for part of " +
                         *ctx.env->deploy->argocd_application);
  }
  plan.job = kube::clone_job(source->object, options);
  plan.job["metadata"]["namespace"] = plan.ns;
  plan.job["metadata"]["annotations"][kResubmitOf] =
      ctx.env->kube.jobs.template_file ? ctx.env->kube.jobs.template_file->filename().string()
                                       : source->object["metadata"].value("name", "");
  plan.job["metadata"]["annotations"][kResubmittedBy] = ctx.user;
  if (switch_image && source->sha) {
    switch_env_values(plan.job["spec"]["template"]["spec"], plan.image, *source->sha, plan.sha, plan.env_changes);
  }
  plan.commands = kubectl_commands(ctx, plan);
  return plan;
}

Result<ResubmitResult> run_resubmit(const ResubmitContext& ctx, const ResubmitRequest& request,
                                    const ResubmitHooks& hooks, bool dry_run) {
  AuditRecord record = base_record(ctx, request, dry_run);
  if (auto s = check_writable(*ctx.config, *ctx.env, ctx.read_only_flag); !s)
    return audited<ResubmitResult>(ctx.audit, record, s.error());
  auto plan = plan_resubmit(ctx, request);
  if (!plan) return audited<ResubmitResult>(ctx.audit, std::move(record), plan.error());
  record.arguments.set("name", plan->name).set("namespace", plan->ns).set("image", plan->image);
  record.before.set("source", plan->source).set("replaces", plan->replaces.value_or("")).set("replaces_uid",
                                                                                             plan->replaces_uid);
  if (hooks.show) hooks.show(*plan);
  ResubmitResult result{*plan, dry_run, {}, {}};
  if (dry_run) {
    record.outcome = AuditOutcome::kDryRun;
    return audited<ResubmitResult>(ctx.audit, std::move(record), dry_run_create(ctx, std::move(result)));
  }
  const auto question =
      plan->replaces ? fmt::format("Delete Job {} in {} and create it again (image {})?", plan->name, request.env,
                                   plan->image)
                     : fmt::format("Create Job {} in {} (image {})?", plan->name, request.env, plan->image);
  if (auto s = hooks.confirm(confirmation_for(*ctx.env, question)); !s)
    return audited<ResubmitResult>(ctx.audit, std::move(record), s.error());
  auto done = execute(ctx, hooks, std::move(result));
  if (done) record.after.set("job", plan->name).set("uid", done->uid);
  return audited<ResubmitResult>(ctx.audit, std::move(record), std::move(done));
}

std::string describe_progress(const kube::JobEntry& job, const kube::JobPods& pods) {
  const kube::MigrationJob& j = job.view;
  std::string line = fmt::format("{}: {}", j.name, kube::to_string(j.status.phase));
  if (!j.status.reason.empty()) line += " (" + j.status.reason + ")";
  line += fmt::format(", active {} succeeded {} failed {}", j.active, j.succeeded, j.failed);
  for (const kube::PodView& p : pods.views) {
    line += fmt::format("; pod {} {}", p.name, p.phase.empty() ? "Pending" : p.phase);
    for (const kube::ContainerView& c : p.containers) {
      if (c.state.kind == kube::ContainerStateView::Kind::kWaiting && !c.state.reason.empty())
        line += " " + c.state.reason;
    }
    if (p.restarts() > 0) line += fmt::format(" restarts {}", p.restarts());
    if (auto code = p.exit_code(); code && *code != 0) line += fmt::format(" exit {}", *code);
  }
  return line;
}

}  // namespace mgate::backend::ops
