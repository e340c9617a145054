#pragma once
// What the kubelet-lite knows of each pod it runs, and the pod status it derives from that:
// phase, conditions and containerStatuses as the v1.31 kubelet's generateAPIPodStatus writes
// them.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"
#include "tests/sandbox/kubesim/container_process.hpp"

namespace mgate::kubesim {

/// Where one container is in its life.
enum class ContainerStage {
  kWaiting,      ///< not started yet (ContainerCreating)
  kConfigError,  ///< CreateContainerConfigError; retried
  kPullError,    ///< ErrImagePull / ImagePullBackOff; retried, never succeeds
  kRunning,      ///< a process is running
  kBackOff,      ///< CrashLoopBackOff: waiting to restart
  kTerminated,   ///< exited and will not restart
};

/// One container of a pod.
struct ContainerRuntime {
  std::string name;  ///< the container's name
  Json spec;         ///< the pod.spec.containers item
  ContainerStage stage = ContainerStage::kWaiting;  ///< where it is
  Json state = {{"waiting", {{"reason", "ContainerCreating"}}}};  ///< status.state
  Json last_state = Json::object();                                ///< status.lastState
  int restart_count = 0;     ///< the attempt number of the current / last run
  int runs = 0;              ///< runs started so far
  std::string container_id;  ///< "containerd://<64 hex>" of the current / last run
  std::string image_id;      ///< status.imageID once a run was created
  std::string started_at;    ///< of the current / last run
  bool ready = false;        ///< status.ready: a process is running (no probes simulated)
  std::unique_ptr<ContainerProcess> process;         ///< the running process, if any
  std::chrono::steady_clock::time_point retry_at{};  ///< when a waiting stage retries
  std::chrono::milliseconds backoff{0};  ///< the current back-off; 0 until the first restart
  bool pull_backoff = false;             ///< ImagePullBackOff shown (else ErrImagePull)
  bool crash_wait = false;  ///< kBackOff is a real back-off (not the first, immediate restart)
};

/// One pod the kubelet runs.
struct PodRuntime {
  std::string ns;                          ///< metadata.namespace
  std::string name;                        ///< metadata.name
  std::string uid;                         ///< metadata.uid: a recreated namespace/name is a new pod
  std::string pod_ip;                      ///< status.podIP
  std::string start_time;                  ///< status.startTime
  std::string restart_policy = "Always";   ///< spec.restartPolicy
  std::vector<ContainerRuntime> containers;  ///< spec.containers, in order
  bool terminating = false;  ///< deletionTimestamp seen: stopping, then removing
  bool killed = false;       ///< SIGKILL sent after the grace period
  std::chrono::steady_clock::time_point kill_deadline{};  ///< when SIGKILL follows SIGTERM
};

/// The simulated node's address (status.hostIP).
inline constexpr const char* kHostIp = "127.0.0.1";

/// The pod phase as the kubelet's getPhase computes it from the containers.
std::string pod_phase(const PodRuntime& rt);

/// The pod's status: `old_status` (what is stored) with the kubelet's fields replaced.
/// Condition lastTransitionTimes carry over while a condition's status is unchanged, so the
/// same runtime state gives the same status (no write).
Json build_pod_status(const PodRuntime& rt, const Json& old_status, const std::string& qos);

/// "containerd://" and 64 random hex digits.
std::string new_container_id();

/// status.imageID for an image: "<repository>@sha256:<digest>" (a stable fake digest unless the
/// reference carries one).
std::string image_id_for(const std::string& image);

/// The repository of an image reference: tag and digest stripped
/// ("reg:5000/app:1.2@sha256:..." → "reg:5000/app").
std::string image_repository(const std::string& image);

/// An image reference as containerd reports it in status.image: docker.io/library/ added to
/// Docker Hub short names, ":latest" added when there is neither tag nor digest.
std::string normalize_image(const std::string& image);

/// A duration as Go's time.Duration prints it: "100ms", "1.6s", "10s", "1m20s".
std::string go_duration(std::chrono::milliseconds d);

/// The pod's QoS class from its containers' resources: Guaranteed, Burstable or BestEffort.
std::string qos_class(const Json& pod);

}  // namespace mgate::kubesim
