#pragma once
// The few facts mgate reads from Kubernetes objects, as small values (CONVENTIONS.md 4): a migration
// Job, its Pods, Events, a Deployment's images, and an Argo CD Application with its image-updater
// settings. Each parser is a pure function of the JSON the API serves; malformed input is a
// kProtocol Error naming the field ("Job: metadata.name is missing"), never an exception.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::registry {
class TagPattern;
}

namespace mgate::backend::kube {

/// The JSON type the API client hands over.
using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Pods

/// One state of a container (`state` or `lastState` in a containerStatus).
struct ContainerStateView {
  /// Which of the three states the API reported.
  enum class Kind { kUnknown, kWaiting, kRunning, kTerminated };
  Kind kind = Kind::kUnknown;
  std::string reason;                            ///< waiting or terminated reason ("CrashLoopBackOff")
  std::string message;                           ///< waiting or terminated message
  std::optional<int> exit_code;                  ///< terminated only
  std::optional<Clock::time_point> started_at;   ///< running since, or when the terminated run began
  std::optional<Clock::time_point> finished_at;  ///< terminated only
};

/// A container (or init container) of a Pod with its status merged in by name.
struct ContainerView {
  std::string name;
  std::string image;  ///< as the spec names it (the status may show the resolved reference)
  bool init = false;  ///< an init container
  bool ready = false;
  int restart_count = 0;
  ContainerStateView state;       ///< kUnknown when the Pod has no status for it yet
  ContainerStateView last_state;  ///< the previous run (kTerminated) after a restart, else kUnknown
};

/// A Pod as the job views need it.
struct PodView {
  std::string name;
  std::string namespace_;
  std::string uid;
  Clock::time_point created{};
  std::string phase;  ///< Pending, Running, Succeeded, Failed, Unknown ("" when not reported)
  std::string node;   ///< spec.nodeName, "" before scheduling
  std::optional<Clock::time_point> start;
  std::map<std::string, std::string> labels;
  std::vector<ContainerView> init_containers;
  std::vector<ContainerView> containers;

  /// The sum of restart counts over all containers, init containers included.
  int restarts() const;
  /// The exit code of the first container (init containers first) that terminated non-zero,
  /// else of the first terminated main container; nothing when none terminated.
  std::optional<int> exit_code() const;
};

/// Reads a v1 Pod.
Result<PodView> parse_pod(const Json& pod);

// ---------------------------------------------------------------------------------------------
// Jobs

/// Where a Job stands, from its conditions (batch/v1 JobConditionType) and counters.
enum class JobPhase {
  kPending,             ///< not started: no startTime, nothing active
  kActive,              ///< running: pods active, or started without a terminal condition
  kSuspended,           ///< spec.suspend (condition Suspended)
  kSuccessCriteriaMet,  ///< v1.31+: success decided, pods still terminating
  kFailureTarget,       ///< v1.31+: failure decided, pods still terminating
  kComplete,            ///< terminal success
  kFailed,              ///< terminal failure; the reason says why (BackoffLimitExceeded, ...)
};

/// "Complete", "Failed", "SuccessCriteriaMet", ... as the API names them ("Active", "Pending").
const char* to_string(JobPhase phase);

/// The Job's status and the condition that decided it.
struct JobStatus {
  JobPhase phase = JobPhase::kPending;
  std::string reason;                      ///< the deciding condition's reason ("" for old servers' Complete)
  std::string message;                     ///< the deciding condition's message
  std::optional<Clock::time_point> since;  ///< the deciding condition's lastTransitionTime

  /// Complete or Failed: the controller is done with the Job.
  bool terminal() const { return phase == JobPhase::kComplete || phase == JobPhase::kFailed; }
  /// The outcome is decided (terminal, or SuccessCriteriaMet / FailureTarget).
  bool decided() const;
  /// The outcome is or will be a success.
  bool succeeded() const { return phase == JobPhase::kComplete || phase == JobPhase::kSuccessCriteriaMet; }
};

/// The Argo CD and Helm hook annotations of a Job (absent ones are nothing).
struct HookAnnotations {
  std::optional<std::string> argocd_hook;                ///< argocd.argoproj.io/hook
  std::optional<std::string> argocd_hook_delete_policy;  ///< argocd.argoproj.io/hook-delete-policy
  std::optional<std::string> argocd_sync_wave;           ///< argocd.argoproj.io/sync-wave
  std::optional<std::string> helm_hook;                  ///< helm.sh/hook
  std::optional<std::string> helm_hook_delete_policy;    ///< helm.sh/hook-delete-policy
  std::optional<std::string> helm_hook_weight;           ///< helm.sh/hook-weight

  /// True when any hook annotation is set.
  bool any() const;
};

/// A migration Job as mgate shows and records it.
struct MigrationJob {
  std::string name;
  std::string namespace_;
  std::string uid;
  Clock::time_point created{};
  std::string container;           ///< the first container's name
  std::string image;               ///< the first container's image
  std::optional<std::string> sha;  ///< the commit the image tag names, through the env's pattern
  JobStatus status;
  std::int64_t active = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t attempts = 0;                     ///< failed + succeeded + active (see attempts_with_restarts)
  std::optional<Clock::time_point> start;        ///< status.startTime
  std::optional<Clock::time_point> completion;   ///< status.completionTime (success only)
  std::optional<Clock::time_point> finished;     ///< Complete/Failed condition time, else completion
  std::optional<std::chrono::seconds> duration;  ///< start → finish, or start → now while running
  HookAnnotations hooks;
  std::optional<std::int64_t> ttl_seconds_after_finished;
  std::optional<std::chrono::seconds> ttl_left;  ///< finished + TTL − now, at least 0; finished only
  std::optional<std::int64_t> backoff_limit;
  std::optional<std::int64_t> active_deadline_seconds;
  std::string restart_policy;  ///< of the pod template: Never or OnFailure
  bool suspend = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

/// Maps an image tag to the commit it names, or nothing when the tag is not the env's.
using ShaOfTag = std::function<std::optional<std::string>(std::string_view tag)>;

/// The ShaOfTag of an env's built-tag pattern; the pattern must outlive the function.
ShaOfTag sha_of_tag(const registry::TagPattern& pattern);

/// Reads a batch/v1 Job. `now` gives the running duration and the TTL countdown.
Result<MigrationJob> parse_migration_job(const Json& job, const ShaOfTag& sha_of_tag, Clock::time_point now);

/// The fields that depend on the time a view is read at (a running Job's duration, the TTL
/// left), computed again for `now`: a view kept since it was parsed is brought up to date.
void times_at(MigrationJob& job, Clock::time_point now);

/// The Job's attempts counting restarts in place: with restartPolicy OnFailure a failed container
/// restarts inside the same Pod, so the Pods' restart counts are added (Never: attempts as is).
std::int64_t attempts_with_restarts(const MigrationJob& job, const std::vector<PodView>& pods);

/// The name of the Job a Pod belongs to, by its labels: batch.kubernetes.io/job-name since
/// v1.27, job-name on older clusters (and Pods created before an upgrade); null for no Job's.
const std::string* job_name_of(const PodView& pod);

/// The Pods of `job` among `pods` (any that do not parse are left out), chosen by the label
/// batch.kubernetes.io/job-name, or job-name on clusters older than v1.27; oldest first.
std::vector<PodView> pods_of_job(const std::vector<Json>& pods, const MigrationJob& job);

/// The Pods of every Job of namespace `ns` at once: each Pod parsed once and filed under its Job's
/// name by the same labels; each list oldest first. For many Jobs, where pods_of_job per Job
/// would parse every Pod once per Job.
std::map<std::string, std::vector<PodView>> pods_by_job(const std::vector<Json>& pods, const std::string& ns);
/// The same from Pods already parsed.
std::map<std::string, std::vector<PodView>> pods_by_job(std::vector<PodView> pods, const std::string& ns);

// ---------------------------------------------------------------------------------------------
// Events

/// A core/v1 Event (or events.k8s.io/v1, which the core endpoint also serves).
struct EventView {
  std::string name;
  std::string type;  ///< Normal or Warning
  std::string reason;
  std::string message;
  std::int64_t count = 1;                  ///< count, or series.count, else 1
  std::optional<Clock::time_point> first;  ///< firstTimestamp, else eventTime
  std::optional<Clock::time_point> last;   ///< lastTimestamp, series.lastObservedTime, eventTime
  std::string source;                      ///< source.component, else reportingComponent
  std::string involved_kind;               ///< involvedObject.kind (regarding.kind)
  std::string involved_name;               ///< involvedObject.name (regarding.name)
};

/// Reads an Event.
Result<EventView> parse_event(const Json& event);

// ---------------------------------------------------------------------------------------------
// Deployments

/// A container of a Deployment's pod template.
struct DeploymentContainer {
  std::string name;
  std::string image;
};

/// An apps/v1 Deployment: which images it runs and how far its rollout got.
struct DeploymentView {
  std::string name;
  std::string namespace_;
  std::vector<DeploymentContainer> containers;  ///< in template order
  std::int64_t replicas = 1;                    ///< spec.replicas (the API's default is 1)
  std::int64_t status_replicas = 0;
  std::int64_t ready = 0;
  std::int64_t updated = 0;
  std::int64_t available = 0;
  std::int64_t generation = 0;
  std::int64_t observed_generation = 0;

  /// The image of container `name`, if there is one.
  std::optional<std::string> image_of(std::string_view name) const;
  /// The controller saw the latest spec and every replica is updated and available.
  bool rolled_out() const;
};

/// Reads an apps/v1 Deployment.
Result<DeploymentView> parse_deployment(const Json& deployment);

// ---------------------------------------------------------------------------------------------
// Argo CD

/// One image the Argo CD Image Updater follows, with its effective settings.
struct UpdaterImage {
  std::string alias;            ///< "" when the image-list entry has none
  std::string image;            ///< the image name, without the constraint
  std::string constraint;       ///< annotation form only: the part after ':' ("1.x", "~1.2")
  std::string update_strategy;  ///< semver, newest-build, digest, alphabetical ("" = default)
  std::string allow_tags;       ///< "regexp:..." / "any" ("" = not set)
  std::vector<std::string> ignore_tags;
};

/// The image-updater settings on an Application's annotations.
struct ImageUpdaterAnnotations {
  std::vector<UpdaterImage> images;  ///< from argocd-image-updater.argoproj.io/image-list
  std::string write_back_method;     ///< "" when not set (the updater's default is argocd)

  /// True when the Application carries an image list.
  bool enabled() const { return !images.empty(); }
};

/// An argoproj.io/v1alpha1 Application's state.
struct ApplicationView {
  std::string name;
  std::string namespace_;
  std::string sync_status;    ///< Synced, OutOfSync, Unknown ("" when not reported)
  std::string sync_revision;  ///< status.sync.revision (the first of revisions for multi-source)
  std::string health_status;  ///< Healthy, Progressing, Degraded, Suspended, Missing, Unknown
  std::string health_message;
  std::string operation_phase;  ///< Running, Succeeded, Failed, Error, Terminating ("" = none)
  std::string operation_message;
  std::optional<Clock::time_point> operation_started;
  std::optional<Clock::time_point> operation_finished;
  std::string operation_revision;  ///< operationState.syncResult.revision
  ImageUpdaterAnnotations image_updater;
};

/// Reads an Argo CD Application.
Result<ApplicationView> parse_application(const Json& application);

/// Reads the image-updater annotations (alias=image[:constraint], comma-separated, and the
/// per-alias allow-tags, ignore-tags and update-strategy).
ImageUpdaterAnnotations parse_image_updater_annotations(
    const std::map<std::string, std::string>& annotations);

/// One applicationRefs entry of an ImageUpdater.
struct ImageUpdaterApp {
  std::string name_pattern;          ///< glob over Application names
  std::string write_back_method;     ///< effective: the ref's, else the spec's ("" = default argocd)
  std::vector<UpdaterImage> images;  ///< settings merged image > applicationRef > spec
};

/// An argocd-image-updater.argoproj.io/v1alpha1 ImageUpdater.
struct ImageUpdaterView {
  std::string name;
  std::string namespace_;
  std::string target_namespace;  ///< spec.namespace: where the Applications live
  std::vector<ImageUpdaterApp> apps;
};

/// Reads an ImageUpdater custom resource.
Result<ImageUpdaterView> parse_image_updater(const Json& image_updater);

}  // namespace mgate::backend::kube
