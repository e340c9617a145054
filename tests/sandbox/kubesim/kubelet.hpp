#pragma once
// kubelet-lite: binds unscheduled pods to the one simulated node (as the scheduler would), runs
// each pod's containers as local processes, and reports them in the pod's status and Events
// with the v1.31 kubelet's fields, reasons and messages, so kubectl get / describe / logs
// (--previous) look real. Restart policies, CrashLoopBackOff, CreateContainerConfigError,
// ErrImagePull / ImagePullBackOff and graceful deletion behave as on a real node.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/sandbox/kubesim/object_store.hpp"
#include "tests/sandbox/kubesim/pod_env.hpp"

namespace mgate::kubesim {

/// The pod annotation that scripts a test pod's runs instead of an image:
/// {"attempts":[{"stdout":[...],"stderr":[...],"exitCode":1,"seconds":0.5},...],"hang":false}.
inline constexpr const char* kScriptAnnotation = "kubesim.mgate.dev/script";

/// One entry of the simulator's "image → local entrypoint" map.
struct ImageMapping {
  /// "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server": an image matches by its
  /// repository, tag and digest stripped.
  std::string repository;
  /// An absolute container command ("/migrate.sh") resolves to root/"migrate.sh" when that
  /// file exists; workingDir likewise.
  std::filesystem::path root;
  /// The image's ENTRYPOINT, used when the container has no command.
  std::vector<std::string> entrypoint;
  /// The image's ENV (the pod's env overrides it).
  EnvList env;
};

/// The kubelet-lite's settings.
struct KubeletConfig {
  std::string node_name = "kubesim-node";
  /// Container logs: pod_logs.hpp's container_log_path(log_root, ...).
  std::filesystem::path log_root;
  std::vector<ImageMapping> images;
  /// The node's variables every container gets: PATH, HOME, KUBERNETES_SERVICE_HOST/PORT...
  EnvList base_env;
  /// The first CrashLoopBackOff delay (the real kubelet's is 10s), doubling up to the cap.
  std::chrono::milliseconds restart_backoff{1000};
  std::chrono::milliseconds max_restart_backoff{8000};
  /// The longest graceful termination the simulator grants before SIGKILL.
  std::chrono::milliseconds max_grace{2000};
};

struct PodRuntime;        // pod_status.hpp: what the kubelet knows of one pod it runs
struct ContainerRuntime;  // pod_status.hpp: one container of it

/// The kubelet-lite. Owns its sync thread and every container process it starts.
class Kubelet {
 public:
  /// Keeps a reference to `store`, which must outlive the Kubelet.
  Kubelet(ObjectStore& store, KubeletConfig config);
  /// Stops (kills every container).
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  /// Starts the sync thread.
  void start();
  /// Stops the sync thread and kills every container process.
  void stop();
  /// One pass over every pod (what the thread runs after each store change); for tests that
  /// drive the kubelet without its thread.
  void sync_once();

 private:
  void run();
  void bind(const Json& pod);
  void sync_pod(const Json& pod, PodRuntime& rt);
  void try_start(const Json& pod, PodRuntime& rt, std::size_t index);
  void start_process(const Json& pod, PodRuntime& rt, std::size_t index, const ContainerEnv& env,
                     const ImageMapping* mapping);
  void fail_pull(const Json& pod, PodRuntime& rt, std::size_t index);
  void on_exit(PodRuntime& rt, std::size_t index, int exit_code,
               const std::string& finished_at, const std::string& reason,
               const std::string& message);
  void enter_crash_loop(const Json& pod, ContainerRuntime& c);
  bool sync_deletion(const Json& pod, PodRuntime* rt);
  void write_status(const Json& pod, const PodRuntime& rt);
  void event(const Json& pod, const std::string& container, const std::string& type,
             const std::string& reason, const std::string& message);
  const ImageMapping* image_for(const std::string& image) const;

  ObjectStore& store_;
  KubeletConfig config_;
  std::map<std::string, std::unique_ptr<PodRuntime>> pods_;  // by uid; the sync thread's only
  std::uint32_t next_ip_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mgate::kubesim
