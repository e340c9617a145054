#pragma once
// The Job controller (pkg/controller/job, v1.31, NonIndexed Jobs) and the TTL-after-finished
// controller: creates a Job's pods from its template, counts them through the
// batch.kubernetes.io/job-tracking finalizer, backs off before replacing failed pods, and
// writes the status and conditions the real controller writes (SuccessCriteriaMet → Complete,
// FailureTarget → Failed), then deletes finished Jobs whose TTL has passed.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "tests/sandbox/kubesim/object_store.hpp"

namespace mgate::kubesim {

/// The pod finalizer the controller counts finished pods by.
inline constexpr const char* kJobTrackingFinalizer = "batch.kubernetes.io/job-tracking";

/// Timings of the Job controller.
struct JobControllerConfig {
  /// Delay before recreating a pod after the first failure (real: 10s); doubles per failure.
  std::chrono::milliseconds pod_backoff{1000};
  /// Cap of the doubling (real: 6 min).
  std::chrono::milliseconds max_pod_backoff{8000};
};

/// The Job and TTL-after-finished controllers over one store.
class JobController {
 public:
  /// Controls every Job in `store`; nothing runs until start() or sync_all().
  explicit JobController(ObjectStore& store, JobControllerConfig config = {});
  ~JobController();
  JobController(const JobController&) = delete;
  JobController& operator=(const JobController&) = delete;

  /// Runs sync_all() on a thread after every store change (and at least every 200 ms).
  void start();
  /// Stops the thread.
  void stop();
  /// One pass over every Job: reconcile unfinished Jobs, apply TTLs of finished ones, and
  /// release the tracking finalizer of pods whose Job is gone or finished.
  void sync_all();

 private:
  using Clock = std::chrono::steady_clock;

  // What the controller remembers of one Job between passes (the real one keeps the same in
  // its pod backoff store and finalizer expectations).
  struct JobMemory {
    std::int32_t failures_after_success = 0;  // for the pod backoff
    Clock::time_point last_failure{};
    std::set<std::string> counted;                 // pod uids already in succeeded/failed
    std::map<std::string, std::string> uncounted;  // pod uid → last phase seen
  };
  struct SyncCtx;

  void sync_job(const Json& job);
  void count_finished_pods(SyncCtx& ctx);
  void decide_finish(SyncCtx& ctx);
  void manage_pods(SyncCtx& ctx);
  void update_suspend_condition(SyncCtx& ctx);
  void delete_pods(SyncCtx& ctx, std::size_t count, bool untrack);
  void create_pod(SyncCtx& ctx);
  Json settle_finish(SyncCtx& ctx);
  void write_status(SyncCtx& ctx);
  void record_finish_events(const Json& job, const Json& condition, std::int32_t succeeded);
  void apply_ttl(const Json& job);
  void release_orphan_finalizers(const std::map<std::string, bool>& job_finished_by_uid);
  void remove_finalizer(const Json& pod);

  ObjectStore& store_;
  JobControllerConfig config_;
  std::mutex sync_mu_;  // one pass at a time (the thread and tests)
  std::map<std::string, JobMemory> memory_;  // by Job uid
  std::optional<Clock::time_point> next_wake_;  // the earliest pod backoff to wake up for
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mgate::kubesim
