#pragma once
// The simulated Kubernetes API server (tests/sandbox/kubesim) as a sandbox service: its
// configuration names the sandbox's moto (STS for EKS tokens, ECR for the migration image's
// retag) and PostgreSQL, and maps the example app's images to tests/sandbox/image.

#include <filesystem>
#include <string>

#include "tests/sandbox/service.hpp"

#ifndef MGATE_KUBE_SIM_BIN
#define MGATE_KUBE_SIM_BIN ""
#endif

namespace mgate::sandbox {

/// What the simulator's configuration needs from the rest of the sandbox.
struct KubeSettings {
  std::filesystem::path source_dir;  ///< the repository root (tests/sandbox/image, app/)
  std::string moto_url;              ///< STS and ECR
  std::string registry_url;          ///< the OCI registry (prod's images)
  std::filesystem::path pgpassfile;  ///< lets migrations reach PostgreSQL without a password in a URL
};

/// The ECR repository the sandbox's stage images live in (moto's account and region).
inline constexpr const char* kEcrRepository =
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";

/// The simulated cluster of one sandbox.
class KubeService : public Service {
 public:
  KubeService(ProcessHost& host, KubeSettings settings);

  /// Finds mgate-kube-sim: $MGATE_KUBE_SIM, then the one built with this tree.
  Status locate();
  /// "https://127.0.0.1:PORT".
  std::string url() const;
  /// The simulator's state dir: kubeconfigs, pki/, logs/.
  std::filesystem::path dir() const { return host_.work_dir() / "kube"; }
  /// The admin kubeconfig (bearer token).
  std::filesystem::path kubeconfig() const { return dir() / "kubeconfig"; }

 protected:
  Result<ChildProcess*> spawn_on_port() override;
  bool probe() override;

 private:
  Status write_config();

  KubeSettings settings_;
  std::filesystem::path program_;
  std::string admin_token_;
};

}  // namespace mgate::sandbox
