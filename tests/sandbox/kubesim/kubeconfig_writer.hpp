#pragma once
// Kubeconfig files pointing at the simulator, one per way a real cluster authenticates a user:
// a bearer token, a client certificate, an exec credential plugin, and the exec user
// `aws eks update-kubeconfig` writes. Plus a small exec plugin script for tests.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/sandbox/kubesim/file_util.hpp"

namespace mgate::kubesim {

/// What every kubeconfig names: one cluster, one user, one context selecting both.
struct KubeconfigParams {
  std::string server;             ///< "https://127.0.0.1:PORT"
  std::filesystem::path ca_cert;  ///< PEM; inlined as certificate-authority-data
  std::string cluster_name = "kubesim";
  std::string context_name;  ///< empty: cluster_name
  std::string user_name;     ///< empty: cluster_name + "-user"
  std::string ns;            ///< the context's namespace; empty: none written
};

/// Environment entries of an exec user (name, value).
using ExecEnv = std::vector<std::pair<std::string, std::string>>;

/// A kubeconfig whose user authenticates with a bearer token. Throws std::runtime_error when
/// the CA file cannot be read.
std::string token_kubeconfig(const KubeconfigParams& params, const std::string& token);

/// A kubeconfig whose user authenticates with a client certificate (client-certificate and
/// client-key name the files).
std::string client_cert_kubeconfig(const KubeconfigParams& params, const std::filesystem::path& cert,
                                   const std::filesystem::path& key);

/// A kubeconfig whose user runs an exec credential plugin: command is the absolute plugin path,
/// api_version "client.authentication.k8s.io/v1beta1" or ".../v1", interactiveMode Never,
/// provideClusterInfo false, and env as given.
std::string exec_kubeconfig(const KubeconfigParams& params, const std::filesystem::path& plugin,
                            const std::string& api_version, const ExecEnv& env);

/// A kubeconfig whose user is the exec entry `aws eks update-kubeconfig` writes: `aws --region R
/// eks get-token --cluster-name C --output json`, apiVersion client.authentication.k8s.io/v1beta1.
std::string eks_kubeconfig(const KubeconfigParams& params, const std::string& cluster_name,
                           const std::string& region, const ExecEnv& env);

/// A POSIX sh exec plugin printing an ExecCredential (api_version) with token and an
/// expirationTimestamp expires_in_seconds after each run. Each run appends a line to the file
/// named by $KUBESIM_EXEC_COUNT_FILE when that is set, so tests can count invocations.
std::string exec_plugin_script(const std::string& token, const std::string& api_version,
                               int expires_in_seconds);


}  // namespace mgate::kubesim
