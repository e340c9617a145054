#include "backend/kube/migration_jobs.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace mgate::backend::kube {
namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(300);

std::string log_path(const std::string& ns, const LogRequest& r, bool follow) {
  std::string path = fmt::format("/api/v1/namespaces/{}/pods/{}/log", ns, r.pod);
  std::vector<std::string> query;
  if (!r.container.empty()) query.push_back("container=" + r.container);
  if (r.previous) query.emplace_back("previous=true");
  if (r.tail_lines) query.push_back(fmt::format("tailLines={}", *r.tail_lines));
  if (follow) query.emplace_back("follow=true");
  for (std::size_t i = 0; i < query.size(); ++i) path += (i == 0 ? "?" : "&") + query[i];
  return path;
}

bool by_creation(const JobEntry& a, const JobEntry& b) {
  if (a.view.created != b.view.created) return a.view.created < b.view.created;
  if (a.view.name != b.view.name) return a.view.name < b.view.name;
  // Timestamps have whole seconds: a static-name Job replaced within the second it was created
  // in ties with its successor, and the recorded one is the older.
  return a.from_record && !b.from_record;
}

/// What a person following a Job sees: when this changes, progress is reported.
std::string visible_state(const JobEntry& job, const JobPods& pods) {
  std::string s = fmt::format("{}/{}/{}/{}/{}", to_string(job.view.status.phase), job.view.status.reason,
                              job.view.active, job.view.succeeded, job.view.failed);
  for (const PodView& p : pods.views) {
    s += fmt::format("|{}:{}:{}", p.name, p.phase, p.restarts());
    for (const ContainerView& c : p.containers) {
      if (c.state.kind == ContainerStateView::Kind::kWaiting) s += ":" + c.state.reason;
    }
  }
  return s;
}

bool any_run_ended(const std::vector<PodView>& pods) {
  for (const PodView& p : pods) {
    if (p.restarts() > 0) return true;
    for (const ContainerView& c : p.containers) {
      if (c.state.kind == ContainerStateView::Kind::kTerminated) return true;
    }
  }
  return false;
}

/// The newer snapshot, plus the pods (and logs) only the older one still had: a failed Job's
/// controller deletes its pods, and a restarted container's log before last is gone.
std::vector<PodRecord> merge_pod_records(std::vector<PodRecord> older, std::vector<PodRecord> newer) {
  for (PodRecord& old : older) {
    const std::string name = old.pod["metadata"].value("name", "");
    auto it = std::find_if(newer.begin(), newer.end(),
                           [&](const PodRecord& p) { return p.pod["metadata"].value("name", "") == name; });
    if (it == newer.end()) {
      newer.push_back(std::move(old));
      continue;
    }
    for (auto& [container, text] : old.logs) it->logs.try_emplace(container, std::move(text));
    for (auto& [container, text] : old.previous_logs) it->previous_logs.try_emplace(container, std::move(text));
  }
  std::stable_sort(newer.begin(), newer.end(), [](const PodRecord& a, const PodRecord& b) {
    return a.pod["metadata"].value("creationTimestamp", "") < b.pod["metadata"].value("creationTimestamp", "");
  });
  return newer;
}

}  // namespace

std::optional<std::string> busy_reason(const MigrationJob& job) {
  switch (job.status.phase) {
    case JobPhase::kComplete:
    case JobPhase::kFailed:
      return std::nullopt;
    case JobPhase::kPending:
      return std::string("pending");
    case JobPhase::kActive:
      return fmt::format("active, {} pod{} running", job.active, job.active == 1 ? "" : "s");
    case JobPhase::kSuspended:
      return std::string("suspended; it may be resumed");
    case JobPhase::kSuccessCriteriaMet:
      return std::string("succeeded, its pods still terminating");
    case JobPhase::kFailureTarget:
      return std::string("failed, its pods still terminating");
  }
  return std::string("in an unknown state");
}

MigrationJobs::MigrationJobs(ApiClient& client, std::string ns, std::string selector, ShaOfTag sha_of_tag)
    : client_(client), ns_(std::move(ns)), selector_(std::move(selector)), sha_of_tag_(std::move(sha_of_tag)) {}

Result<MigrationJob> MigrationJobs::parse(const Json& job) const {
  return parse_migration_job(job, sha_of_tag_, Clock::now());
}

Result<std::vector<JobEntry>> MigrationJobs::list(const std::stop_token& stop,
                                                  const std::function<bool(const MigrationJob&)>& keep_object) {
  std::vector<JobEntry> out;
  auto listed = client_.list_each(
      kJobs, ns_, ListOptions{.label_selector = selector_},
      [&](Json& item) -> Status {
        auto view = parse(item);
        if (!view) return view.error();
        const bool keep = !keep_object || keep_object(*view);
        out.push_back(JobEntry{std::move(*view), keep ? std::move(item) : Json(), false});
        return ok_status();
      },
      [&] { out.clear(); }, stop);
  if (!listed) return listed.error();
  std::stable_sort(out.begin(), out.end(), by_creation);
  return out;
}

Result<std::optional<JobEntry>> MigrationJobs::get(const std::string& name, const std::stop_token& stop) {
  auto object = client_.get(kJobs, ns_, name, stop);
  if (!object) {
    if (object.error().code == ErrorCode::kNotFound) return std::optional<JobEntry>();
    return object.error();
  }
  auto view = parse(*object);
  if (!view) return view.error();
  return std::optional<JobEntry>(JobEntry{std::move(*view), std::move(*object), false});
}

Result<JobPods> MigrationJobs::pods(const MigrationJob& job, const std::stop_token& stop) {
  // The label the controller sets since v1.27; Pods of older clusters carry only job-name.
  auto listed = client_.list(kPods, ns_, ListOptions{.label_selector = "batch.kubernetes.io/job-name=" + job.name},
                             stop);
  if (!listed) return listed.error();
  if (listed->items.empty()) {
    listed = client_.list(kPods, ns_, ListOptions{.label_selector = "job-name=" + job.name}, stop);
    if (!listed) return listed.error();
  }
  JobPods out;
  out.views = pods_of_job(listed->items, job);
  for (const PodView& v : out.views) {
    for (const Json& item : listed->items) {
      if (item["metadata"].value("uid", "") == v.uid && item["metadata"].value("name", "") == v.name) {
        out.objects.push_back(item);
        break;
      }
    }
  }
  return out;
}

Result<std::vector<EventView>> MigrationJobs::events(const MigrationJob& job, const std::vector<PodView>& pods,
                                                     const std::stop_token& stop) {
  std::set<std::pair<std::string, std::string>> about = {{"Job", job.name}};
  for (const PodView& p : pods) about.insert({"Pod", p.name});
  auto listed = client_.list(kEvents, ns_, {}, stop);
  if (!listed) return listed.error();
  std::vector<EventView> out;
  for (const Json& item : listed->items) {
    auto event = parse_event(item);
    if (!event || !about.contains({event->involved_kind, event->involved_name})) continue;
    out.push_back(std::move(*event));
  }
  std::stable_sort(out.begin(), out.end(), [](const EventView& a, const EventView& b) {
    return a.last.value_or(Clock::time_point{}) < b.last.value_or(Clock::time_point{});
  });
  return out;
}

Result<std::string> MigrationJobs::log(const LogRequest& request, const std::stop_token& stop) {
  return client_.get_text(log_path(ns_, request, false), stop);
}

Status MigrationJobs::follow_log(const LogRequest& request, const std::function<bool(std::string_view)>& on_chunk,
                                 const std::stop_token& stop) {
  return client_.stream_text(log_path(ns_, request, true), on_chunk, stop);
}

Result<std::optional<std::string>> MigrationJobs::active(const std::stop_token& stop) {
  auto jobs = list(stop);
  if (!jobs) return jobs.error();
  for (const JobEntry& j : *jobs) {
    if (auto why = busy_reason(j.view)) return std::optional<std::string>(fmt::format("{} ({})", j.view.name, *why));
  }
  return std::optional<std::string>();
}

Result<std::vector<PodRecord>> MigrationJobs::snapshot_pods(const MigrationJob& job, const std::stop_token& stop) {
  auto pods = this->pods(job, stop);
  if (!pods) return pods.error();
  std::vector<PodRecord> out;
  for (std::size_t i = 0; i < pods->views.size(); ++i) {
    const PodView& view = pods->views[i];
    PodRecord p{pods->objects[i], {}, {}};
    for (const auto* list : {&view.init_containers, &view.containers}) {
      for (const ContainerView& c : *list) {
        // A container that never started has no log; the API says so with a 400, not kept.
        if (auto text = log(LogRequest{view.name, c.name, false, std::nullopt}, stop)) p.logs[c.name] = *text;
        if (c.restart_count > 0) {
          if (auto text = log(LogRequest{view.name, c.name, true, std::nullopt}, stop))
            p.previous_logs[c.name] = *text;
        }
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<JobRecord> MigrationJobs::snapshot(const JobEntry& job, const std::stop_token& stop) {
  auto pods = snapshot_pods(job.view, stop);
  if (!pods) return pods.error();
  return JobRecord{job.object, std::move(*pods)};
}

Result<int> MigrationJobs::record_decided(const JobRecordCache& cache, const std::string& env,
                                          const std::vector<JobEntry>& jobs, const std::stop_token& stop,
                                          std::map<std::string, JobPhase>* known) {
  int saved = 0;
  for (const JobEntry& j : jobs) {
    if (j.from_record || !j.view.status.decided() || j.view.uid.empty()) continue;
    const JobPhase phase = j.view.status.phase;
    if (known != nullptr) {
      const auto it = known->find(j.view.uid);
      if (it != known->end() && it->second == phase) continue;
    }
    auto existing = cache.load_uid(env, j.view.uid, RecordParts::kWithoutLogs);
    if (!existing) return existing.error();
    if (*existing) {
      auto recorded = parse((*existing)->job);
      if (recorded && recorded->status.phase == phase) {
        if (known != nullptr) (*known)[j.view.uid] = phase;
        continue;
      }
    }
    auto record = snapshot(j, stop);
    if (!record) return record.error();
    if (auto s = cache.save(env, *record); !s) return s.error();
    if (known != nullptr) (*known)[j.view.uid] = phase;
    ++saved;
  }
  return saved;
}

Result<JobEntry> MigrationJobs::follow(const std::string& name, const std::string& uid, std::chrono::seconds timeout,
                                       const std::function<void(const JobEntry&, const JobPods&)>& on_change,
                                       const RecordTarget* record, const std::stop_token& stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_seen;
  std::vector<PodRecord> kept;  // every run's log as it was taken, by pod
  auto save = [&](const JobEntry& job) -> Status {
    auto now = snapshot_pods(job.view, stop);
    if (!now) return now.error();
    kept = merge_pod_records(std::move(kept), std::move(*now));
    return record->cache.save(record->env, JobRecord{job.object, kept});
  };
  for (;;) {
    if (stop.stop_requested()) return make_error(ErrorCode::kCancelled, "stopped following Job " + name);
    auto job = get(name, stop);
    if (!job) return job.error();
    if (!*job || (*job)->view.uid != uid) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("Job {} (uid {}) was deleted before its outcome was decided", name, uid));
    }
    auto pods = this->pods((*job)->view, stop);
    if (!pods) return pods.error();
    const std::string state = visible_state(**job, *pods);
    if (state != last_seen) {
      last_seen = state;
      if (on_change) on_change(**job, *pods);
      // A run ended (a restart, a failed pod, the outcome): keep its log before the pod goes.
      if (record != nullptr && (any_run_ended(pods->views) || (*job)->view.status.decided())) {
        if (auto s = save(**job); !s) return s.error();
      }
    }
    if ((*job)->view.status.terminal()) {
      if (record != nullptr) {
        if (auto s = save(**job); !s) return s.error();
      }
      return std::move(**job);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ErrorCode::kTimeout, fmt::format("Job {} had no outcome after {} s (it is {})", name,
                                                         timeout.count(), to_string((*job)->view.status.phase)));
    }
    std::this_thread::sleep_for(kFollowPoll);
  }
}

std::vector<JobEntry> MigrationJobs::with_records(std::vector<JobEntry> live,
                                                  const std::vector<JobRecord>& records) const {
  std::vector<JobEntry> recorded;
  for (const JobRecord& r : records) {
    auto entry = recorded_entry(r);
    if (!entry) continue;
    entry->object = r.job;
    recorded.push_back(std::move(*entry));
  }
  return with_recorded(std::move(live), std::move(recorded));
}

std::optional<JobEntry> MigrationJobs::recorded_entry(const JobRecord& record) const {
  auto view = parse(record.job);
  if (!view) return std::nullopt;
  // The TTL countdown ended with the Job: a record has none.
  view->ttl_left.reset();
  return JobEntry{std::move(*view), Json(), true};
}

std::vector<JobEntry> MigrationJobs::with_recorded(std::vector<JobEntry> live, std::vector<JobEntry> recorded) {
  std::set<std::string> uids;
  for (const JobEntry& j : live) uids.insert(j.view.uid);
  for (JobEntry& r : recorded) {
    if (uids.contains(r.view.uid)) continue;
    live.push_back(std::move(r));
  }
  std::stable_sort(live.begin(), live.end(), by_creation);
  return live;
}

}  // namespace mgate::backend::kube
