#pragma once
// From an environment's `kube:` settings to a working ApiClient: the kubeconfig (or the
// in-cluster service account), TLS, and the bearer token source — static token, token file,
// exec plugin, or an EKS token built in process for an `aws eks get-token` exec stanza, so
// mgate works on EKS without the aws CLI.

#include <memory>
#include <optional>
#include <string>

#include "backend/config/config.hpp"
#include "backend/kube/api_client.hpp"
#include "backend/kube/kubeconfig.hpp"

namespace mgate::backend::kube {

/// A client for one environment's cluster and namespace.
struct KubeConnection {
  std::unique_ptr<ApiClient> client;
  std::string ns;       ///< the namespace the environment's Jobs live in
  std::string server;   ///< for messages
  std::string context;  ///< "" in cluster
  std::string auth;     ///< "token", "token file", "exec plugin CMD", "EKS token (cluster C)", "client certificate", "none"
};

/// What an `aws eks get-token` exec stanza asks for, when mgate can build the token itself.
struct EksExec {
  std::string cluster;
  std::optional<std::string> region;
  std::optional<std::string> profile;
};

/// The EKS request in an exec stanza: command `aws` (any path) with `eks get-token` and a
/// --cluster-name (or --cluster-id); nullopt for anything else, and for --role-arn (that needs
/// an STS AssumeRole the aws CLI makes: the plugin is run instead).
std::optional<EksExec> recognise_eks_exec(const ExecConfig& exec);

/// Connects with the kubeconfig the settings name (else $KUBECONFIG, ~/.kube/config), else
/// the in-cluster service account; the context and namespace overrides apply. Errors name the
/// kubeconfig file:line:column or what was missing.
Result<KubeConnection> connect(const config::KubeConfig& settings,
                               const KubeconfigSources& sources,
                               const InClusterSources& in_cluster);

/// The same from an already resolved RestConfig (tests, and the in-cluster path).
Result<KubeConnection> connect(const RestConfig& rest);

}  // namespace mgate::backend::kube
