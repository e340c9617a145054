#pragma once
// What the kubectl acceptance and auth tests share: scripted Job manifests written as YAML for
// `kubectl create -f`, kubectl runs with extra environment, and kubectl's text output split into
// lines and whitespace-separated table rows.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/kube_support.hpp"

namespace mgate::sandbox::testing {

/// A Job whose single container is scripted through the kubesim.mgate.dev/script annotation.
struct ScriptedJob {
  std::string name;                           ///< metadata.name
  std::map<std::string, std::string> labels;  ///< on the Job and on its pod template
  std::string restart_policy = "Never";       ///< "" leaves spec.template.spec.restartPolicy out
  int backoff_limit = 0;                      ///< spec.backoffLimit
  /// The script's attempts: [{"stdout":[...],"exitCode":N}, ...]; attempt i runs
  /// attempts[min(i, n-1)].
  nlohmann::json attempts = nlohmann::json::array();
};

/// The image every scripted Job names: the script replaces its command, so any tag does.
inline constexpr const char* kScriptedImage = "busybox:1.36";

/// The Job as a YAML manifest, as a person would write it for `kubectl create -f`.
std::string job_yaml(const ScriptedJob& job);

/// Writes job_yaml(job) to dir/<name>.yaml and returns the path.
std::filesystem::path write_job_yaml(const std::filesystem::path& dir, const ScriptedJob& job);

/// Runs kubectl like kubectl() (sandbox env, given kubeconfig, default the admin one) with
/// `extra` variables on top, e.g. KUBESIM_EXEC_COUNT_FILE or a PATH with a wrapper first.
KubeRun kubectl_env(const Sandbox& sandbox, const std::vector<std::string>& args,
                    const std::filesystem::path& kubeconfig, const EnvVars& extra);

/// text split at '\n', without the empty piece after a final newline.
std::vector<std::string> lines_of(const std::string& text);

/// One line's whitespace-separated fields: a row of kubectl's table output.
std::vector<std::string> fields_of(const std::string& line);

/// The fields of the first line of a kubectl table whose first field is name; nullopt if none.
std::optional<std::vector<std::string>> table_row(const std::string& table, const std::string& name);

/// The lines of a file (empty when it does not exist): what an exec-count file recorded.
std::vector<std::string> file_lines(const std::filesystem::path& path);

/// "<what> exited with N\nstdout: ...\nstderr: ..." for assertion messages.
std::string describe_run(const std::string& what, const KubeRun& run);

}  // namespace mgate::sandbox::testing
