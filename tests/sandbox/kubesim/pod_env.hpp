#pragma once
// A container's environment as the kubelet builds it (pkg/kubelet makeEnvironmentVariables) and
// the container runtime completes it: the image's ENV, HOSTNAME, the service variables, then
// envFrom, then env with $(VAR) expansion. Pure: Secrets and ConfigMaps come through a lookup.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// Name/value pairs in order.
using EnvList = std::vector<std::pair<std::string, std::string>>;

/// The environment cannot be built: the container waits with CreateContainerConfigError and
/// this message (the kubelet's text: `secret "NAME" not found`).
class EnvConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Finds a Secret or ConfigMap: (store key, namespace, name) → the object, or nullopt.
using ObjectLookup = std::function<std::optional<Json>(const std::string&, const std::string&,
                                                       const std::string&)>;

/// What a container's environment is built from besides the pod and the container.
struct EnvSources {
  EnvList base_env;       ///< the node's variables: PATH, HOME, KUBERNETES_SERVICE_HOST...
  EnvList image_env;      ///< the image's ENV
  std::string host_ip;    ///< status.hostIP
  std::string pod_ip;     ///< status.podIP
  ObjectLookup lookup;    ///< Secrets / ConfigMaps
};

/// The result.
struct ContainerEnv {
  EnvList env;                        ///< the process environment, in order, names unique
  EnvList expansion_env;              ///< what $(VAR) in command/args sees: base + envFrom + env
  std::vector<std::string> warnings;  ///< InvalidEnvironmentVariableNames event messages
};

/// Builds the environment of `container` (a pod.spec.containers item) of `pod`. Precedence,
/// lowest first: base_env, image_env, HOSTNAME, envFrom (in order), env (in order). Throws
/// EnvConfigError for a missing non-optional Secret/ConfigMap or key.
ContainerEnv resolve_container_env(const Json& pod, const Json& container,
                                   const EnvSources& sources);

/// Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): `$(NAME)` becomes the
/// value `lookup` gives, or stays verbatim when it gives none; `$$` is a literal `$`.
std::string expand_references(
    const std::string& input,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

/// expand_references over every string of `args` with `env` as the variables.
std::vector<std::string> expand_args(const std::vector<std::string>& args, const EnvList& env);

/// A downward-API fieldRef's value for `pod` ("metadata.labels['app']", "status.podIP").
/// Throws EnvConfigError for a path the kubelet does not support.
std::string pod_field_value(const Json& pod, const std::string& field_path,
                            const std::string& host_ip, const std::string& pod_ip);

/// Standard base64 → bytes (Secret data); throws EnvConfigError on bad input.
std::string decode_base64(const std::string& text);

/// Whether `name` is a valid environment variable name (validation.IsEnvVarName).
bool is_env_var_name(const std::string& name);

}  // namespace mgate::kubesim
