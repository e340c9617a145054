#pragma once
// One environment's migration Jobs on its cluster: the Jobs the env's selector picks, their
// Pods, Events and logs, the "is one active?" question the guards ask, and the records kept of
// finished Jobs (DESIGN.md §1 "Jobs", §6). The first implementation of the MigrationRunner seam.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/kube/api_client.hpp"
#include "backend/kube/job_record_cache.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {

/// A migration Job as listed: its view, the object it was read from, and where it came from.
struct JobEntry {
  MigrationJob view;
  Json object;
  bool from_record = false;  ///< gone from the cluster: this is the record mgate kept
};

/// A Job's Pods, both as views and as the objects (a record keeps the objects).
struct JobPods {
  std::vector<PodView> views;  ///< oldest first
  std::vector<Json> objects;   ///< in the same order
};

/// Which log of a Pod to read.
struct LogRequest {
  std::string pod;
  std::string container;  ///< "" = the server's choice (the only container)
  bool previous = false;  ///< the run before the last restart
  std::optional<std::int64_t> tail_lines;
};

/// Where follow() keeps the record of the Job it follows.
struct RecordTarget {
  const JobRecordCache& cache;
  std::string env;
};

/// A reason a Job keeps the database busy, or nothing: every Job without a Complete or Failed
/// condition — pending, running, suspended (it may be resumed), or decided but still
/// terminating its pods (SuccessCriteriaMet, FailureTarget).
std::optional<std::string> busy_reason(const MigrationJob& job);

/// The migration Jobs of one environment.
class MigrationJobs {
 public:
  /// `selector` picks the env's migration Jobs; `sha_of_tag` reads a commit from an image tag.
  MigrationJobs(ApiClient& client, std::string ns, std::string selector, ShaOfTag sha_of_tag);

  /// The Jobs on the cluster, oldest first. With `keep_object`, an entry whose view it refuses
  /// has a null `object` (the view is all a snapshot needs; the objects are dropped page by page).
  Result<std::vector<JobEntry>> list(const std::stop_token& stop = {},
                                     const std::function<bool(const MigrationJob&)>& keep_object = {});
  /// One Job by name (selected or not); nullopt when there is none.
  Result<std::optional<JobEntry>> get(const std::string& name, const std::stop_token& stop = {});
  /// The Job's Pods, by batch.kubernetes.io/job-name (job-name on older clusters).
  Result<JobPods> pods(const MigrationJob& job, const std::stop_token& stop = {});
  /// Events about the Job and its Pods, oldest first.
  Result<std::vector<EventView>> events(const MigrationJob& job, const std::vector<PodView>& pods,
                                        const std::stop_token& stop = {});
  /// A whole log (never a time window), or its last lines.
  Result<std::string> log(const LogRequest& request, const std::stop_token& stop = {});
  /// Streams a log from its start as the container writes it; on_chunk returns false to stop.
  Status follow_log(const LogRequest& request, const std::function<bool(std::string_view)>& on_chunk,
                    const std::stop_token& stop = {});

  /// The first Job (oldest first) that keeps the database busy, as "NAME (reason)"; nothing
  /// when none does.
  Result<std::optional<std::string>> active(const std::stop_token& stop = {});

  /// The Job, its Pods and every container's log (and the previous run's, after a restart).
  Result<JobRecord> snapshot(const JobEntry& job, const std::stop_token& stop = {});
  /// Saves a record of each decided Job (Complete, Failed, SuccessCriteriaMet, FailureTarget)
  /// that has none yet, or whose record was taken at another phase. Returns how many it saved.
  /// `known`, kept by a caller that records on every refresh, remembers the phase each uid is
  /// recorded at, so a Job already recorded costs no disk read the next time.
  Result<int> record_decided(const JobRecordCache& cache, const std::string& env,
                             const std::vector<JobEntry>& jobs, const std::stop_token& stop = {},
                             std::map<std::string, JobPhase>* known = nullptr);

  /// Follows a created Job until it is Complete or Failed, calling on_change with the Job and
  /// its Pods whenever what a person sees changes; returns the last state. kTimeout after
  /// `timeout`. With `record`, the logs of every finished run are taken as they end (a failed
  /// Job's controller deletes its pods) and the Job's record is saved once decided and at the end.
  Result<JobEntry> follow(const std::string& name, const std::string& uid, std::chrono::seconds timeout,
                          const std::function<void(const JobEntry&, const JobPods&)>& on_change,
                          const RecordTarget* record = nullptr, const std::stop_token& stop = {});

  /// The client and the namespace.
  ApiClient& client() { return client_; }
  const std::string& ns() const { return ns_; }
  const std::string& selector() const { return selector_; }
  /// Parses a Job object with this environment's tag pattern.
  Result<MigrationJob> parse(const Json& job) const;
  /// The live Jobs, then the recorded ones the cluster no longer has (from_record), oldest first.
  std::vector<JobEntry> with_records(std::vector<JobEntry> live, const std::vector<JobRecord>& records) const;
  /// The same from records already parsed (`recorded`: from_record entries, e.g. from
  /// recorded_entry); a recorded Job the cluster still has is left out.
  static std::vector<JobEntry> with_recorded(std::vector<JobEntry> live, std::vector<JobEntry> recorded);
  /// A record as a from_record entry (no object; the TTL countdown ended with the Job); nullopt
  /// when its Job does not parse.
  std::optional<JobEntry> recorded_entry(const JobRecord& record) const;

 private:
  /// Each pod of the Job with every container's log (and the previous run's).
  Result<std::vector<PodRecord>> snapshot_pods(const MigrationJob& job, const std::stop_token& stop);

  ApiClient& client_;
  std::string ns_;
  std::string selector_;
  ShaOfTag sha_of_tag_;
};

}  // namespace mgate::backend::kube
