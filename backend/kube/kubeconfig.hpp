#pragma once
// Kubeconfig files and in-cluster service accounts, read into the settings an API client needs.
//
// Loading follows client-go's clientcmd: the file list comes from an explicit path, else
// $KUBECONFIG, else ~/.kube/config; files are merged first-wins; relative paths resolve against
// the directory of the file that named them. resolve() then picks a context and turns its
// cluster and user into a RestConfig.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/http/tls_options.hpp"

namespace mgate::backend::kube {

/// Looks up an environment variable; nothing when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// Where in a kubeconfig file something was written (1-based, as editors show it).
struct KubeconfigMark {
  std::filesystem::path file;  ///< the file as it was named in the list
  int line = 0;                ///< 0: the file as a whole
  int column = 0;              ///< 1-based

  /// "file:line:column", or just "file" when line is 0.
  std::string str() const;
  /// Field-wise equality.
  bool operator==(const KubeconfigMark&) const = default;
};

/// Where the kubeconfig files come from; tests fill it instead of the process environment.
struct KubeconfigSources {
  /// The env config's `kube.kubeconfig`: when set, only this file is read and it must exist.
  std::optional<std::filesystem::path> explicit_path;
  /// Environment lookup (KUBECONFIG); empty: no environment at all.
  EnvLookup getenv;
  /// The home directory for ~/.kube/config; empty: none.
  std::filesystem::path home;

  /// Sources from this process: getenv() and $HOME.
  static KubeconfigSources from_process(std::optional<std::filesystem::path> explicit_path);
};

/// A `clusters[]` entry.
struct KubeCluster {
  std::string name;     ///< its key in the merged map
  KubeconfigMark mark;  ///< where the entry starts
  std::string server;   ///< "https://host:port"
  std::optional<std::filesystem::path> certificate_authority;  ///< resolved against its file
  std::optional<std::string> certificate_authority_data;       ///< PEM, base64-decoded
  bool insecure_skip_tls_verify = false;                       ///< insecure-skip-tls-verify
  std::optional<std::string> tls_server_name;                  ///< tls-server-name
  std::optional<std::string> proxy_url;                        ///< proxy-url
};

/// How an exec plugin may talk to the user (interactiveMode).
enum class ExecInteractiveMode { kNever, kIfAvailable, kAlways };

/// One `env` entry of an exec stanza; it goes to the plugin's environment only.
struct ExecEnvVar {
  std::string name;   ///< variable name
  std::string value;  ///< its value
  /// Field-wise equality.
  bool operator==(const ExecEnvVar&) const = default;
};

/// A user's `exec` stanza: a client.authentication.k8s.io credential plugin, not yet run.
struct ExecConfig {
  std::string api_version;  ///< "client.authentication.k8s.io/v1beta1" or ".../v1"
  /// argv[0]; resolved against the kubeconfig's directory when it contains a '/', else
  /// looked up on PATH when run.
  std::string command;
  std::vector<std::string> args;  ///< argv[1..]
  std::vector<ExecEnvVar> env;    ///< added to the plugin's environment only
  std::string install_hint;       ///< installHint, shown when the command is missing
  bool provide_cluster_info = false;  ///< provideClusterInfo: put the cluster in KUBERNETES_EXEC_INFO
  /// interactiveMode; v1beta1 defaults to IfAvailable, v1 requires it (as client-go).
  ExecInteractiveMode interactive_mode = ExecInteractiveMode::kIfAvailable;
  KubeconfigMark mark;  ///< where the exec stanza starts, for errors of the runner
};

/// A `users[]` entry.
struct KubeUser {
  std::string name;     ///< its key in the merged map
  KubeconfigMark mark;  ///< where the entry starts
  std::optional<Secret> token;                               ///< token
  std::optional<std::filesystem::path> token_file;           ///< tokenFile, resolved
  std::optional<std::filesystem::path> client_certificate;   ///< resolved
  std::optional<std::string> client_certificate_data;        ///< PEM, base64-decoded
  std::optional<std::filesystem::path> client_key;           ///< resolved
  std::optional<Secret> client_key_data;                     ///< PEM, base64-decoded
  std::optional<ExecConfig> exec;                            ///< exec plugin stanza
  /// Where username/password or auth-provider was written; mgate supports neither.
  std::optional<std::pair<std::string, KubeconfigMark>> unsupported;
};

/// A `contexts[]` entry.
struct KubeContext {
  std::string name;        ///< its key in the merged map
  KubeconfigMark mark;     ///< where the entry starts
  std::string cluster;     ///< cluster name
  std::string user;        ///< user name
  std::string namespace_;  ///< namespace; empty: none
};

/// The merged kubeconfig: every file's entries, the first file defining a name winning.
struct Kubeconfig {
  std::vector<std::filesystem::path> files;  ///< files actually read, in list order
  std::map<std::string, KubeCluster> clusters;  ///< by name
  std::map<std::string, KubeUser> users;        ///< by name
  std::map<std::string, KubeContext> contexts;  ///< by name
  std::string current_context;                  ///< from the first file that sets it
  KubeconfigMark current_context_mark;          ///< where that was written
};

/// Reads a token file again whenever its modification time or size changes (the kubelet and
/// other rotators replace it in place). Thread-safe.
class TokenFile {
 public:
  /// A reader of path; nothing is read until current().
  explicit TokenFile(std::filesystem::path path);
  /// The token, trimmed of surrounding white space; kIo when unreadable, kUnauthenticated
  /// when empty.
  Result<Secret> current();
  /// The file read.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  std::optional<std::filesystem::file_time_type> mtime_;
  std::uintmax_t size_ = 0;
  Secret token_;
};

/// How requests authenticate, beyond a client certificate in the TLS options.
using KubeAuth = std::variant<std::monostate,               ///< none (or client cert only)
                              Secret,                        ///< a fixed bearer token
                              std::shared_ptr<TokenFile>,    ///< a bearer token re-read from a file
                              ExecConfig>;                   ///< a credential plugin to run

/// Everything an API client needs for one cluster, user and namespace.
struct RestConfig {
  std::string server;                    ///< "https://host:port", maybe with a path
  http::TlsOptions tls;                  ///< CA, client certificate, skip-verify, server name
  std::optional<std::string> proxy_url;  ///< proxy-url
  std::string namespace_;                ///< override, else the context's, else "default"
  std::string context;                   ///< the context used; "" in cluster
  std::string user;                      ///< the user entry used; "" in cluster
  KubeAuth auth;                         ///< token, token file, exec plugin or none
};

/// Reads and merges the kubeconfig files named by sources. kNotFound when the explicit file is
/// missing or no file of the list exists; kInvalidArgument, naming file:line:column, when a
/// file is malformed.
Result<Kubeconfig> load_kubeconfig(const KubeconfigSources& sources);

/// Parses one kubeconfig text as if read from file (paths resolve against its directory).
Result<Kubeconfig> parse_kubeconfig(const std::string& text, const std::filesystem::path& file);

/// The settings of a context: `context` or else current-context, with its cluster and user.
/// Unknown names and unsupported auth (username/password, auth-provider) are kInvalidArgument
/// naming the kubeconfig file(s) and line:column; a CA or client certificate file is not read
/// here (the HTTP client reads it), a tokenFile is read on first use.
Result<RestConfig> resolve(const Kubeconfig& config, std::optional<std::string> context,
                           std::optional<std::string> ns_override);

/// Where an in-cluster pod finds its service account.
struct InClusterSources {
  EnvLookup getenv;  ///< KUBERNETES_SERVICE_HOST/PORT, POD_NAMESPACE; empty: none
  /// The directory holding token, ca.crt and namespace.
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

  /// Sources from this process: getenv() and the standard directory.
  static InClusterSources from_process();
};

/// The config of a pod's service account, as client-go's InClusterConfig: the API server from
/// KUBERNETES_SERVICE_HOST/PORT, the CA file, the token as a TokenFile (the kubelet rotates
/// it), and the namespace from ns_override, $POD_NAMESPACE, the namespace file, or "default".
/// kNotFound when not running in a cluster; kIo when the token cannot be read.
Result<RestConfig> in_cluster_config(const InClusterSources& sources,
                                     std::optional<std::string> ns_override = std::nullopt);

}  // namespace mgate::backend::kube
