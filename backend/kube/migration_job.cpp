// A migration Job read from batch/v1 Job JSON.

#include <algorithm>

#include "backend/kube/view_json.hpp"
#include "backend/kube/views.hpp"
#include "backend/registry/tag_pattern.hpp"

namespace mgate::backend::kube {

namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

struct Condition {
  std::string type;
  std::string reason;
  std::string message;
  std::optional<Clock::time_point> since;
};

/// The conditions whose status is "True" (a False condition decides nothing).
std::vector<Condition> true_conditions(const Fields& job) {
  std::vector<Condition> out;
  for (const Fields& c : job.objects("status.conditions")) {
    if (c.string("status") != "True") continue;
    out.push_back(Condition{c.string("type"), c.string("reason"), c.string("message"),
                            c.optional_time("lastTransitionTime")});
  }
  return out;
}

/// The status from the conditions, strongest first: a terminal condition wins over the v1.31
/// interim ones (a v1.31 Job carries both FailureTarget and Failed once its pods are gone), and
/// those over Suspended.
JobStatus decide_status(const std::vector<Condition>& conditions, const MigrationJob& job) {
  static constexpr std::pair<const char*, JobPhase> kOrder[] = {
      {"Failed", JobPhase::kFailed},
      {"Complete", JobPhase::kComplete},
      {"FailureTarget", JobPhase::kFailureTarget},
      {"SuccessCriteriaMet", JobPhase::kSuccessCriteriaMet},
      {"Suspended", JobPhase::kSuspended},
  };
  for (const auto& [type, phase] : kOrder) {
    for (const Condition& c : conditions) {
      if (c.type == type) return JobStatus{phase, c.reason, c.message, c.since};
    }
  }
  if (job.active > 0) return JobStatus{JobPhase::kActive, {}, {}, std::nullopt};
  if (job.suspend) return JobStatus{JobPhase::kSuspended, {}, {}, std::nullopt};
  if (job.start) return JobStatus{JobPhase::kActive, {}, {}, std::nullopt};
  return JobStatus{JobPhase::kPending, {}, {}, std::nullopt};
}

HookAnnotations read_hooks(const std::map<std::string, std::string>& annotations) {
  const auto get = [&](const char* key) -> std::optional<std::string> {
    const auto it = annotations.find(key);
    if (it == annotations.end()) return std::nullopt;
    return it->second;
  };
  return HookAnnotations{get("argocd.argoproj.io/hook"),      get("argocd.argoproj.io/hook-delete-policy"),
                         get("argocd.argoproj.io/sync-wave"), get("helm.sh/hook"),
                         get("helm.sh/hook-delete-policy"),   get("helm.sh/hook-weight")};
}

/// Start, finish, duration and the TTL countdown.
void read_times(const Fields& f, MigrationJob& job, Clock::time_point now) {
  job.start = f.optional_time("status.startTime");
  job.completion = f.optional_time("status.completionTime");
  if (job.status.terminal()) {
    // A failed Job has no completionTime: its Failed condition says when it ended.
    job.finished = job.status.since ? job.status.since : job.completion;
  }
  times_at(job, now);
}

}  // namespace

void times_at(MigrationJob& job, Clock::time_point now) {
  if (job.start) {
    if (job.finished) {
      job.duration = duration_cast<seconds>(*job.finished - *job.start);
    } else if (!job.status.terminal()) {
      job.duration = duration_cast<seconds>(std::max(now, *job.start) - *job.start);
    }
  }
  if (job.finished && job.ttl_seconds_after_finished) {
    const auto deletes_at = *job.finished + seconds(*job.ttl_seconds_after_finished);
    job.ttl_left = std::max(seconds(0), duration_cast<seconds>(deletes_at - now));
  }
}

const char* to_string(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPending:
      return "Pending";
    case JobPhase::kActive:
      return "Active";
    case JobPhase::kSuspended:
      return "Suspended";
    case JobPhase::kSuccessCriteriaMet:
      return "SuccessCriteriaMet";
    case JobPhase::kFailureTarget:
      return "FailureTarget";
    case JobPhase::kComplete:
      return "Complete";
    case JobPhase::kFailed:
      return "Failed";
  }
  return "Unknown";
}

bool JobStatus::decided() const {
  return terminal() || phase == JobPhase::kSuccessCriteriaMet || phase == JobPhase::kFailureTarget;
}

bool HookAnnotations::any() const {
  return argocd_hook || argocd_hook_delete_policy || argocd_sync_wave || helm_hook ||
         helm_hook_delete_policy || helm_hook_weight;
}

ShaOfTag sha_of_tag(const registry::TagPattern& pattern) {
  return [&pattern](std::string_view tag) { return pattern.match(tag); };
}

Result<MigrationJob> parse_migration_job(const Json& json, const ShaOfTag& sha_of_tag,
                                         Clock::time_point now) {
  const Fields f(json, "Job");
  MigrationJob job;
  job.name = f.required_string("metadata.name");
  job.namespace_ = f.string("metadata.namespace");
  job.uid = f.string("metadata.uid");
  job.created = f.optional_time("metadata.creationTimestamp").value_or(Clock::time_point{});
  job.labels = f.string_map("metadata.labels");
  job.annotations = f.string_map("metadata.annotations");
  job.hooks = read_hooks(job.annotations);

  const Fields spec = f.object("spec");
  job.backoff_limit = spec.optional_int("backoffLimit");
  job.active_deadline_seconds = spec.optional_int("activeDeadlineSeconds");
  job.ttl_seconds_after_finished = spec.optional_int("ttlSecondsAfterFinished");
  job.suspend = spec.boolean("suspend");
  job.restart_policy = spec.string("template.spec.restartPolicy");
  const auto containers = spec.objects("template.spec.containers");
  if (containers.empty() && !f.error()) {
    return make_error(ErrorCode::kProtocol, "Job: spec.template.spec.containers is missing");
  }
  if (!containers.empty()) {
    job.container = containers.front().required_string("name");
    job.image = containers.front().required_string("image");
  }
  if (sha_of_tag) {
    const std::string_view tag = image_tag(job.image);
    if (!tag.empty()) job.sha = sha_of_tag(tag);
  }

  job.active = f.integer("status.active");
  job.succeeded = f.integer("status.succeeded");
  job.failed = f.integer("status.failed");
  job.attempts = job.active + job.succeeded + job.failed;
  job.start = f.optional_time("status.startTime");
  job.status = decide_status(true_conditions(f), job);
  read_times(f, job, now);
  if (f.error()) return *f.error();
  return job;
}

std::int64_t attempts_with_restarts(const MigrationJob& job, const std::vector<PodView>& pods) {
  if (job.restart_policy != "OnFailure") return job.attempts;
  std::int64_t restarts = 0;
  for (const PodView& pod : pods) restarts += pod.restarts();
  return job.attempts + restarts;
}

}  // namespace mgate::backend::kube
