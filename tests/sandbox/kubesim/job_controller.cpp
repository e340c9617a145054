#include "tests/sandbox/kubesim/job_controller.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "backend/core/time.hpp"
#include "tests/sandbox/kubesim/deletion.hpp"
#include "tests/sandbox/kubesim/events.hpp"
#include "tests/sandbox/kubesim/job_admission.hpp"
#include "tests/sandbox/kubesim/pod_status.hpp"

namespace mgate::kubesim {

namespace {

constexpr const char* kComponent = "job-controller";
constexpr auto kIdleWait = std::chrono::milliseconds(200);

const Json& field(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string phase_of(const Json& pod) { return field(pod, "status").value("phase", ""); }
bool is_terminal(const Json& pod) {
  const std::string phase = phase_of(pod);
  return phase == "Succeeded" || phase == "Failed";
}
bool is_deleting(const Json& object) { return field(object, "metadata").contains("deletionTimestamp"); }
bool is_active(const Json& pod) { return !is_terminal(pod) && !is_deleting(pod); }

bool is_ready(const Json& pod) {
  for (const Json& c : field(pod, "status").value("conditions", Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

bool has_tracking_finalizer(const Json& pod) {
  const Json fin = field(pod, "metadata").value("finalizers", Json::array());
  return std::find(fin.begin(), fin.end(), kJobTrackingFinalizer) != fin.end();
}

// The uid of the object's controlling owner of kind Job, or "".
std::string controller_job_uid(const Json& pod) {
  for (const Json& ref : field(pod, "metadata").value("ownerReferences", Json::array())) {
    if (ref.value("controller", false) && ref.value("kind", "") == "Job") {
      return ref.value("uid", "");
    }
  }
  return {};
}

bool selector_matches(const Json& job, const Json& pod) {
  const Json match = field(field(job, "spec"), "selector").value("matchLabels", Json::object());
  const Json labels = field(pod, "metadata").value("labels", Json::object());
  for (const auto& [k, v] : match.items()) {
    if (!labels.contains(k) || labels[k] != v) return false;
  }
  return true;
}

Json* find_condition(Json& conditions, const std::string& type) {
  for (Json& c : conditions) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

bool has_true_condition(const Json& job, const std::string& type) {
  for (const Json& c : field(job, "status").value("conditions", Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

bool is_finished(const Json& job) {
  return has_true_condition(job, "Complete") || has_true_condition(job, "Failed");
}

Json new_condition(const std::string& type, const std::string& status, const std::string& reason,
                   const std::string& message) {
  const std::string now = now_rfc3339();
  Json c = {{"type", type}, {"status", status}, {"lastProbeTime", now},
            {"lastTransitionTime", now}};
  // reason and message are omitempty in JobCondition.
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

// ensureJobConditionStatus: replaces a differing condition of the type, adds a missing one
// unless its status is False. Returns whether the list changed.
bool ensure_condition(Json& conditions, const std::string& type, const std::string& status,
                      const std::string& reason, const std::string& message) {
  if (Json* c = find_condition(conditions, type)) {
    if (c->value("status", "") == status && c->value("reason", "") == reason &&
        c->value("message", "") == message) {
      return false;
    }
    *c = new_condition(type, status, reason, message);
    return true;
  }
  if (status == "False") return false;
  conditions.push_back(new_condition(type, status, reason, message));
  return true;
}

// An RFC 3339 time of the Job's status; nullopt when unparsable.
std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& text) {
  auto t = backend::parse_rfc3339(text);
  return t ? std::optional(*t) : std::nullopt;
}

std::int64_t spec_int(const Json& job, const char* key, std::int64_t fallback) {
  const Json& spec = field(job, "spec");
  auto it = spec.find(key);
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

}  // namespace

// Everything one sync of one Job works with (the real controller's syncJobCtx).
struct JobController::SyncCtx {
  Json job;
  std::string ns, name, uid;
  JobMemory* mem = nullptr;
  std::vector<Json> pods;    // the Job's pods
  std::vector<Json> active;  // not terminal, not deleting
  std::int32_t active_count = 0, ready = 0, terminating = 0;
  std::int32_t succeeded = 0, failed = 0;
  std::set<std::string> newly_counted;  // pod uids counted in this sync
  std::vector<Json> release;            // pods whose tracking finalizer goes after the write
  Json status;                          // the status being built
  Json conditions = Json::array();
  std::optional<Json> finished;  // SuccessCriteriaMet / FailureTarget / Failed / Complete
  bool suspended = false;
  bool only_replace_failed = false;  // podReplacementPolicy Failed (or a podFailurePolicy)
  bool enacted = false;              // Complete / Failed was added in this sync
};

JobController::JobController(ObjectStore& store, JobControllerConfig config)
    : store_(store), config_(config) {}

JobController::~JobController() { stop(); }

void JobController::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_) {
      // Taken before the pass, so the pass's own writes wake the next one at once.
      const std::uint64_t seen = store_.resource_version();
      sync_all();
      auto wait = kIdleWait;
      if (next_wake_) {
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
            *next_wake_ - Clock::now());
        wait = std::clamp(until, std::chrono::milliseconds(1), kIdleWait);
      }
      if (!stop_) store_.wait_for_change(seen, wait);
    }
  });
}

void JobController::stop() {
  stop_ = true;
  store_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobController::sync_all() {
  std::lock_guard lock(sync_mu_);
  next_wake_.reset();
  std::map<std::string, bool> finished_by_uid;
  for (const Json& job : store_.list(kJobs)) {
    const std::string uid = field(job, "metadata").value("uid", "");
    const bool finished = is_finished(job);
    finished_by_uid[uid] = finished;
    try {
      if (finished) {
        apply_ttl(job);
      } else {
        sync_job(job);
      }
    } catch (const ApiError&) {
      // The Job or a pod changed under us (deleted, most likely); the next pass retries.
    }
  }
  release_orphan_finalizers(finished_by_uid);
  for (auto it = memory_.begin(); it != memory_.end();) {
    auto f = finished_by_uid.find(it->first);
    it = f == finished_by_uid.end() || f->second ? memory_.erase(it) : std::next(it);
  }
}

void JobController::sync_job(const Json& job) {
  SyncCtx ctx;
  ctx.job = job;
  const Json& meta = field(job, "metadata");
  ctx.ns = meta.value("namespace", "default");
  ctx.name = meta.value("name", "");
  ctx.uid = meta.value("uid", "");
  ctx.mem = &memory_[ctx.uid];
  ctx.status = field(job, "status");
  ctx.conditions = ctx.status.value("conditions", Json::array());
  ctx.suspended = field(job, "spec").value("suspend", false);
  ctx.only_replace_failed = field(job, "spec").value("podReplacementPolicy", "") == "Failed" ||
                            field(job, "spec").contains("podFailurePolicy");
  for (const Json& pod : store_.list(kPods, ctx.ns)) {
    if (controller_job_uid(pod) != ctx.uid || !selector_matches(job, pod)) continue;
    ctx.pods.push_back(pod);
    if (is_active(pod)) {
      ctx.active.push_back(pod);
      if (is_ready(pod)) ++ctx.ready;
    } else if (!is_terminal(pod)) {
      ++ctx.terminating;
    }
  }
  ctx.active_count = static_cast<std::int32_t>(ctx.active.size());
  count_finished_pods(ctx);
  if (!ctx.status.contains("startTime") && !ctx.suspended) ctx.status["startTime"] = now_rfc3339();
  decide_finish(ctx);
  if (ctx.finished) {
    delete_pods(ctx, ctx.active.size(), false);
  } else if (!is_deleting(job)) {
    manage_pods(ctx);
    const std::int64_t completions = spec_int(job, "completions", -1);
    const bool complete = ctx.active_count == 0 &&
                          (completions < 0 ? ctx.succeeded > 0 : ctx.succeeded >= completions);
    if (complete) {
      ctx.finished = new_condition("SuccessCriteriaMet", "True", "CompletionsReached",
                                   "Reached expected number of succeeded pods");
    } else {
      update_suspend_condition(ctx);
    }
  }
  write_status(ctx);
}

void JobController::count_finished_pods(SyncCtx& ctx) {
  JobMemory& mem = *ctx.mem;
  std::int32_t new_succeeded = 0, new_failed = 0;
  std::set<std::string> present;
  for (const Json& pod : ctx.pods) {
    const std::string uid = field(pod, "metadata").value("uid", "");
    present.insert(uid);
    if (!has_tracking_finalizer(pod) || mem.counted.count(uid)) continue;
    const std::string phase = phase_of(pod);
    // isPodFailed: deleted pods count as failed unless only failed pods are replaced.
    const bool failed = phase == "Failed" ||
                        (!ctx.only_replace_failed && is_deleting(pod) && phase != "Succeeded");
    if (phase == "Succeeded") {
      ++new_succeeded;
    } else if (failed) {
      ++new_failed;
    } else {
      continue;
    }
    ctx.newly_counted.insert(uid);
    ctx.release.push_back(pod);
  }
  // A pod that went away while still uncounted (deleted before it could be tracked) counts as
  // failed unless it had succeeded, as its finalizer would have held it for the real controller.
  for (const auto& [uid, phase] : mem.uncounted) {
    if (present.count(uid) || mem.counted.count(uid)) continue;
    ++(phase == "Succeeded" ? new_succeeded : new_failed);
    ctx.newly_counted.insert(uid);
  }
  ctx.succeeded = ctx.status.value("succeeded", 0) + new_succeeded;
  ctx.failed = ctx.status.value("failed", 0) + new_failed;
  // The pod backoff record: failures since the last success, and when the last one happened.
  if (new_succeeded > 0) mem.failures_after_success = 0;
  if (new_failed > 0) {
    mem.failures_after_success += new_failed;
    mem.last_failure = Clock::now();
  }
}

void JobController::decide_finish(SyncCtx& ctx) {
  for (const Json& c : ctx.conditions) {
    if (c.value("status", "") != "True") continue;
    if (c.value("type", "") == "SuccessCriteriaMet") {
      ctx.finished = c;
      return;
    }
    if (c.value("type", "") == "FailureTarget") {
      ctx.finished = new_condition("Failed", "True", c.value("reason", ""), c.value("message", ""));
      return;
    }
  }
  const Json& spec = field(ctx.job, "spec");
  const std::int64_t backoff_limit = spec_int(ctx.job, "backoffLimit", 6);
  // pastBackoffLimitOnFailure: container restarts of running and pending pods.
  bool past_on_failure = false;
  if (field(spec, "template").value("spec", Json::object()).value("restartPolicy", "") ==
      "OnFailure") {
    std::int64_t restarts = 0;
    for (const Json& pod : ctx.pods) {
      const std::string phase = phase_of(pod);
      if (phase != "Running" && phase != "Pending") continue;
      for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
        for (const Json& cs : field(pod, "status").value(list, Json::array())) {
          restarts += cs.value("restartCount", 0);
        }
      }
    }
    past_on_failure = backoff_limit == 0 ? restarts > 0 : restarts >= backoff_limit;
  }
  if (ctx.failed > backoff_limit || past_on_failure) {
    ctx.finished = new_condition("FailureTarget", "True", "BackoffLimitExceeded",
                                 "Job has reached the specified backoff limit");
    return;
  }
  const std::int64_t deadline = spec_int(ctx.job, "activeDeadlineSeconds", -1);
  if (deadline < 0 || ctx.suspended || !ctx.status.contains("startTime")) return;
  const auto start = parse_time(ctx.status.value("startTime", ""));
  if (start && std::chrono::system_clock::now() - *start >= std::chrono::seconds(deadline)) {
    ctx.finished = new_condition("FailureTarget", "True", "DeadlineExceeded",
                                 "Job was active longer than specified deadline");
  }
}

void JobController::manage_pods(SyncCtx& ctx) {
  if (ctx.suspended) {
    delete_pods(ctx, ctx.active.size(), true);
    return;
  }
  const std::int64_t parallelism = spec_int(ctx.job, "parallelism", 1);
  const std::int64_t completions = spec_int(ctx.job, "completions", -1);
  std::int64_t want = 0;
  if (completions < 0) {
    want = ctx.succeeded > 0 ? ctx.active_count : parallelism;
  } else {
    want = std::min<std::int64_t>(completions - ctx.succeeded, parallelism);
  }
  want = std::max<std::int64_t>(want, 0);
  if (ctx.active_count > want) {
    delete_pods(ctx, static_cast<std::size_t>(ctx.active_count - want), true);
    return;
  }
  if (ctx.active_count == want) return;
  // The pod failure backoff: base * 2^(failures-1), capped, counted from the last failure.
  const JobMemory& mem = *ctx.mem;
  if (mem.failures_after_success > 0) {
    auto delay = config_.pod_backoff;
    for (int i = 1; i < mem.failures_after_success && delay < config_.max_pod_backoff; ++i) {
      delay *= 2;
    }
    delay = std::min(delay, config_.max_pod_backoff);
    const auto ready_at = mem.last_failure + delay;
    if (Clock::now() < ready_at) {
      if (!next_wake_ || ready_at < *next_wake_) next_wake_ = ready_at;
      return;
    }
  }
  std::int64_t diff = want - ctx.active_count;
  if (ctx.only_replace_failed) diff -= ctx.terminating;
  for (std::int64_t i = 0; i < diff; ++i) create_pod(ctx);
}

void JobController::update_suspend_condition(SyncCtx& ctx) {
  if (ctx.suspended) {
    if (ensure_condition(ctx.conditions, "Suspended", "True", "JobSuspended", "Job suspended")) {
      record_event(store_, ctx.job, {"Normal", "Suspended", "Job suspended", kComponent, {}, {}});
    }
    return;
  }
  if (ensure_condition(ctx.conditions, "Suspended", "False", "JobResumed", "Job resumed")) {
    record_event(store_, ctx.job, {"Normal", "Resumed", "Job resumed", kComponent, {}, {}});
    // activeDeadlineSeconds counts time continuously active: a resumed Job starts anew.
    ctx.status["startTime"] = now_rfc3339();
  }
}

void JobController::delete_pods(SyncCtx& ctx, std::size_t count, bool untrack) {
  // activePodsForRemoval prefers pods that are not ready, then the youngest.
  std::stable_sort(ctx.active.begin(), ctx.active.end(), [](const Json& a, const Json& b) {
    if (is_ready(a) != is_ready(b)) return !is_ready(a);
    return field(a, "metadata").value("creationTimestamp", "") >
           field(b, "metadata").value("creationTimestamp", "");
  });
  for (std::size_t i = 0; i < count && i < ctx.active.size(); ++i) {
    const Json& pod = ctx.active[i];
    const std::string name = field(pod, "metadata").value("name", "");
    try {
      delete_object(store_, kPods, ctx.ns, name, Propagation::kBackground);
      record_event(store_, ctx.job,
                   {"Normal", "SuccessfulDelete", "Deleted pod: " + name, kComponent, {}, {}});
    } catch (const ApiError& e) {
      if (e.code() != 404) throw;  // already gone counts as deleted
    }
    --ctx.active_count;
    ++ctx.terminating;
    if (untrack) {
      // deleteJobPods (suspend, scale down) drops the finalizer first: such pods never count.
      ctx.mem->counted.insert(field(pod, "metadata").value("uid", ""));
      ctx.release.push_back(pod);
    }
    if (is_ready(pod)) --ctx.ready;
  }
}

void JobController::create_pod(SyncCtx& ctx) {
  const Json& tmpl = field(field(ctx.job, "spec"), "template");
  const Json& tmeta = field(tmpl, "metadata");
  Json meta = {{"generateName", ctx.name + "-"}, {"namespace", ctx.ns}};
  for (const char* key : {"labels", "annotations"}) {
    if (tmeta.contains(key) && !tmeta[key].empty()) meta[key] = tmeta[key];
  }
  meta["ownerReferences"] = Json::array({{{"apiVersion", "batch/v1"},
                                          {"kind", "Job"},
                                          {"name", ctx.name},
                                          {"uid", ctx.uid},
                                          {"controller", true},
                                          {"blockOwnerDeletion", true}}});
  Json finalizers = tmeta.value("finalizers", Json::array());
  finalizers.push_back(kJobTrackingFinalizer);
  meta["finalizers"] = finalizers;
  Json spec = field(tmpl, "spec");
  apply_pod_create_defaults(spec);
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", spec}};
  pod["status"] = {{"phase", "Pending"}, {"qosClass", qos_class(Json{{"spec", spec}})}};
  const Json created = store_.create(kPods, std::move(pod));
  const std::string name = created["metadata"].value("name", "");
  ctx.mem->uncounted[created["metadata"].value("uid", "")] = "Pending";
  record_event(store_, ctx.job,
               {"Normal", "SuccessfulCreate", "Created pod: " + name, kComponent, {}, {}});
  ++ctx.active_count;
}

Json JobController::settle_finish(SyncCtx& ctx) {
  const bool failing = ctx.finished && ctx.finished->value("type", "") != "SuccessCriteriaMet";
  // trackJobStatusAndRemoveFinalizers: once the Job fails every uncounted pod left counts as
  // failed; a Job being deleted releases its pods without counting them.
  for (const Json& pod : ctx.pods) {
    const std::string uid = field(pod, "metadata").value("uid", "");
    if (!has_tracking_finalizer(pod) || ctx.mem->counted.count(uid) ||
        ctx.newly_counted.count(uid)) {
      continue;
    }
    if (failing && phase_of(pod) != "Succeeded") {
      ++ctx.failed;
      ctx.newly_counted.insert(uid);
      ctx.release.push_back(pod);
    } else if (is_deleting(ctx.job)) {
      ctx.release.push_back(pod);
    }
  }
  if (!ctx.finished) return nullptr;
  Json final_condition = *ctx.finished;
  const std::string type = ctx.finished->value("type", "");
  if (type == "FailureTarget" || type == "SuccessCriteriaMet") {
    // The interim condition goes in first; the terminal one carries its reason and message.
    if (!find_condition(ctx.conditions, type)) ctx.conditions.push_back(*ctx.finished);
    final_condition = new_condition(type == "FailureTarget" ? "Failed" : "Complete", "True",
                                    ctx.finished->value("reason", ""),
                                    ctx.finished->value("message", ""));
  }
  // The terminal condition waits until no pod of the Job is terminating any more.
  if (ctx.terminating != 0) return final_condition;
  const std::string ftype = final_condition.value("type", "");
  ctx.enacted = ensure_condition(ctx.conditions, ftype, "True",
                                 final_condition.value("reason", ""),
                                 final_condition.value("message", ""));
  if (ctx.enacted && ftype == "Complete") {
    ctx.status["completionTime"] =
        find_condition(ctx.conditions, ftype)->at("lastTransitionTime");
  }
  return final_condition;
}

void JobController::write_status(SyncCtx& ctx) {
  const Json final_condition = settle_finish(ctx);
  Json& st = ctx.status;
  const auto set_or_omit = [&st](const char* key, std::int32_t value) {
    if (value != 0) {
      st[key] = value;
    } else {
      st.erase(key);  // active, succeeded and failed are omitempty
    }
  };
  set_or_omit("active", ctx.active_count);
  set_or_omit("succeeded", ctx.succeeded);
  set_or_omit("failed", ctx.failed);
  st["ready"] = ctx.ready;
  st["terminating"] = ctx.terminating;
  st["uncountedTerminatedPods"] = Json::object();
  if (ctx.conditions.empty()) {
    st.erase("conditions");
  } else {
    st["conditions"] = ctx.conditions;
  }
  const Json updated = store_.update(kJobs, ctx.ns, ctx.name, [&](Json& job) {
    if (field(job, "metadata").value("uid", "") != ctx.uid || job["status"] == st) return false;
    job["status"] = st;
    return true;
  });
  for (const std::string& uid : ctx.newly_counted) {
    ctx.mem->counted.insert(uid);
    ctx.mem->uncounted.erase(uid);
  }
  for (const Json& pod : ctx.pods) {
    const std::string uid = field(pod, "metadata").value("uid", "");
    if (!ctx.mem->counted.count(uid) && has_tracking_finalizer(pod)) {
      ctx.mem->uncounted[uid] = phase_of(pod);
    }
  }
  for (const Json& pod : ctx.release) remove_finalizer(pod);
  if (ctx.enacted) record_finish_events(updated, final_condition, ctx.succeeded);
}

void JobController::record_finish_events(const Json& job, const Json& condition,
                                         std::int32_t succeeded) {
  if (condition.value("type", "") != "Complete") {
    record_event(store_, job,
                 {"Warning", condition.value("reason", ""), condition.value("message", ""),
                  kComponent, {}, {}});
    return;
  }
  const std::int64_t completions = spec_int(job, "completions", -1);
  if (completions >= 0 && succeeded > completions) {
    record_event(store_, job,
                 {"Warning", "TooManySucceededPods",
                  "Too many succeeded pods running after completion count reached", kComponent,
                  {}, {}});
  }
  record_event(store_, job, {"Normal", "Completed", "Job completed", kComponent, {}, {}});
}

void JobController::remove_finalizer(const Json& pod) {
  const Json& meta = field(pod, "metadata");
  try {
    store_.update(kPods, meta.value("namespace", ""), meta.value("name", ""), [&](Json& p) {
      if (field(p, "metadata").value("uid", "") != meta.value("uid", "")) return false;
      Json& fin = p["metadata"]["finalizers"];
      if (!fin.is_array()) return false;
      Json kept = Json::array();
      for (const Json& f : fin) {
        if (f != kJobTrackingFinalizer) kept.push_back(f);
      }
      if (kept.size() == fin.size()) return false;
      if (kept.empty()) {
        p["metadata"].erase("finalizers");
      } else {
        fin = kept;
      }
      return true;
    });
  } catch (const ApiError&) {
    // The pod is gone already: nothing holds it any more.
  }
}

void JobController::release_orphan_finalizers(const std::map<std::string, bool>& finished) {
  for (const Json& pod : store_.list(kPods)) {
    if (!has_tracking_finalizer(pod)) continue;
    const std::string owner = controller_job_uid(pod);
    auto it = finished.find(owner);
    // Pods of a Job that is gone or finished need no tracking any more.
    if (it == finished.end() || it->second) remove_finalizer(pod);
  }
}

void JobController::apply_ttl(const Json& job) {
  const Json& spec = field(job, "spec");
  if (!spec.contains("ttlSecondsAfterFinished") || is_deleting(job)) return;
  const auto ttl = std::chrono::seconds(spec.value("ttlSecondsAfterFinished", 0));
  std::optional<std::chrono::system_clock::time_point> finished_at;
  for (const Json& c : field(job, "status").value("conditions", Json::array())) {
    const std::string type = c.value("type", "");
    if ((type == "Complete" || type == "Failed") && c.value("status", "") == "True") {
      finished_at = parse_time(c.value("lastTransitionTime", ""));
    }
  }
  if (!finished_at || std::chrono::system_clock::now() < *finished_at + ttl) return;
  const Json& meta = field(job, "metadata");
  // The TTL-after-finished controller deletes in the foreground, so the pods go first.
  delete_object(store_, kJobs, meta.value("namespace", "default"), meta.value("name", ""),
                Propagation::kForeground);
}

}  // namespace mgate::kubesim
