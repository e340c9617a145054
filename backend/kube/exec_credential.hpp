#pragma once
// client-go's exec credential plugins (client.authentication.k8s.io): run the kubeconfig's
// command from its argv, read the ExecCredential it prints, and keep it until it expires.
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::kube {

/// The two ExecCredential API versions client-go still speaks.
inline constexpr const char* kExecApiV1Beta1 = "client.authentication.k8s.io/v1beta1";
/// The GA ExecCredential API version.
inline constexpr const char* kExecApiV1 = "client.authentication.k8s.io/v1";
/// How long a plugin may run before it is killed (a hung SSO helper must not hang a worker).
inline constexpr std::chrono::seconds kDefaultExecTimeout{60};

/// An exec stanza as the runner needs it. Named apart from kubeconfig.hpp's ExecConfig (the
/// parsed stanza, with its file position), which maps onto this one field by field.
struct ExecPluginConfig {
  std::string api_version;        ///< kExecApiV1Beta1 or kExecApiV1; the plugin must answer in it
  std::string command;            ///< argv[0]: a path, or a name looked up on PATH
  std::vector<std::string> args;  ///< argv[1..]
  std::vector<std::pair<std::string, std::string>> env;  ///< added to the child's environment only
  std::string install_hint;                              ///< installHint: shown when the command is missing
  bool provide_cluster_info = false;                     ///< put ExecClusterInfo into KUBERNETES_EXEC_INFO
  std::string interactive_mode;  ///< "Never", "IfAvailable" (also when empty) or "Always"
};

/// The cluster as KUBERNETES_EXEC_INFO's spec.cluster describes it (provideClusterInfo).
struct ExecClusterInfo {
  std::string server;                     ///< "https://host:port"
  std::string certificate_authority_pem;  ///< the CA bundle; written base64-encoded, as client-go does
  std::string tls_server_name;            ///< tls-server-name; omitted when empty
  bool insecure_skip_tls_verify = false;  ///< omitted when false
};

/// What a plugin returned.
struct ExecCredential {
  Secret token;                                 ///< status.token; empty with a client certificate
  Secret client_certificate_data;               ///< status.clientCertificateData (PEM)
  Secret client_key_data;                       ///< status.clientKeyData (PEM)
  std::optional<Clock::time_point> expiration;  ///< status.expirationTimestamp; none: never expires
};

/// How the provider runs and caches.
struct ExecProviderOptions {
  std::optional<ExecClusterInfo> cluster;                   ///< needed only with provide_cluster_info
  std::chrono::milliseconds timeout = kDefaultExecTimeout;  ///< the plugin is killed after this
  std::function<Clock::time_point()> clock;                 ///< empty: Clock::now; tests inject a fixed one
};

/// The KUBERNETES_EXEC_INFO value for `config`: {"apiVersion":..,"kind":"ExecCredential",
/// "spec":{"interactive":false}}, with spec.cluster when provide_cluster_info and a cluster is given.
std::string exec_info_json(const ExecPluginConfig& config, const std::optional<ExecClusterInfo>& cluster);

/// Reads a plugin's stdout. kProtocol for another apiVersion or kind, no status, neither a
/// token nor a certificate and key pair, half a pair, or a bad expirationTimestamp; messages
/// name `command` and never quote the output, which holds the credential.
Result<ExecCredential> parse_exec_credential(std::string_view output, const std::string& api_version,
                                             const std::string& command);

/// Runs an exec plugin when no unexpired credential is cached, as client-go's exec
/// authenticator does: argv without a shell, stdin /dev/null (the console owns the terminal),
/// the stanza's env plus KUBERNETES_EXEC_INFO in the child's environment only. Thread-safe:
/// concurrent callers share one run.
class ExecCredentialProvider {
 public:
  /// Keeps the stanza; nothing runs until credential().
  explicit ExecCredentialProvider(ExecPluginConfig config, ExecProviderOptions options = {});

  /// The cached credential while clock() is before its expiration (forever without one),
  /// else the plugin's fresh answer. Errors: kRefused for interactiveMode Always (no terminal
  /// to lend inside the console), kInvalidArgument for an unknown interactiveMode or
  /// apiVersion, kNotFound for a missing command (with installHint), kTimeout, kUnauthenticated
  /// for a non-zero exit (naming the command, exit code and the tail of its stderr), kProtocol
  /// for unreadable output. A failed run leaves nothing cached.
  Result<ExecCredential> credential();

  /// Drops the cached credential, so the next credential() runs the plugin again: the API
  /// client calls this after a 401, as client-go does.
  void invalidate();

  /// How many times a run of the plugin was attempted (for logs and tests).
  int runs() const;

 private:
  Result<ExecCredential> run_plugin();

  ExecPluginConfig config_;
  ExecProviderOptions options_;
  mutable std::mutex mutex_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace mgate::backend::kube
