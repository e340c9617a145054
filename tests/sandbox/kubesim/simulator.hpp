#pragma once
// The whole simulated cluster in one object: store, API server over TLS, access rules, job
// controller, garbage collector and kubelet-lite, configured from one JSON file, with the
// kubeconfigs it writes for each way of authenticating.
//
// Configuration (kubesim.json; every key optional except state_dir):
//   state_dir        where it writes pki/, logs/, the kubeconfigs and `ready`
//   host, port       where it listens (port 0: any free port)
//   cluster_name     the kubeconfigs' cluster and context name (default kubesim)
//   default_namespace  the kubeconfigs' context namespace (default "default")
//   namespaces       created at start besides default, kube-system, kube-public, kube-node-lease
//   tokens           [{token, user, groups, rules:[{verbs, resources, namespaces}]}]
//   certificate_users [{user, groups, rules}]   a client certificate is issued for each
//   exec             {token, user, rules}       the exec plugin's token (kubeconfig-exec)
//   eks              {cluster, region, sts_endpoint, rules, env, secret_keys}   EKS tokens:
//                    signature-checked with secret_keys {AKID: secret}, then replayed to STS
//   images           [{repository, root, entrypoint, env:{K:V}}]   the kubelet's image map
//   base_env         {K:V}   every container's starting environment (PATH, HOME, ...)
//   kubelet          {restart_backoff_ms, max_restart_backoff_ms}
//   job_controller   {pod_backoff_ms, max_pod_backoff_ms}
//   compaction_interval_seconds  how often history and continue tokens expire (default 300)
//   objects          [ ... ]  objects stored at start as given (status included): seeds

#include <filesystem>
#include <memory>
#include <string>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// A running simulated cluster.
class Simulator {
 public:
  /// Reads the configuration, creates the PKI, starts every part and writes the kubeconfigs
  /// and state_dir/ready (the port). Throws std::runtime_error naming what failed.
  explicit Simulator(const Json& config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// The port the API server listens on.
  int port() const;
  /// "https://127.0.0.1:PORT".
  std::string server_url() const;

  /// Stops every part (kills running containers).
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

/// Reads a JSON configuration file; throws std::runtime_error naming the file and the error.
Json read_config_file(const std::filesystem::path& file);

}  // namespace mgate::kubesim
