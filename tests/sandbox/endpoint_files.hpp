#pragma once
// The two files that describe a running sandbox to the outside: a shell-sourceable env file
// and an mgate configuration file naming the sandbox's endpoints.

#include <filesystem>
#include <optional>
#include <string>

#include "tests/sandbox/child_process.hpp"
#include "tests/sandbox/postgres_service.hpp"

namespace mgate::sandbox {

/// Everything the files name; a service that was not started is left empty.
struct SandboxEndpoints {
  std::filesystem::path files_dir;    ///< where the env file and mgate.yaml live (MGATE_SANDBOX_DIR)
  std::filesystem::path config_file;  ///< the mgate.yaml path (MGATE_CONFIG)
  std::filesystem::path work_dir;     ///< the services' temp dir
  std::filesystem::path alembic_ini;  ///< the example app's alembic.ini
  std::optional<PostgresEndpoint> postgres;
  std::string moto_url;
  std::string registry_url;
  std::string kube_url;                ///< the simulated API server, "https://127.0.0.1:PORT"
  std::filesystem::path kubeconfig;    ///< its admin (token) kubeconfig
};

/// The variables of the env file, in file order. Database URLs carry no password:
/// PGPASSFILE supplies it.
EnvVars env_vars(const SandboxEndpoints& endpoints);

/// `export K='V'` lines, single-quoted for sh, with a header comment.
std::string render_env_file(const EnvVars& vars);

/// The mgate configuration text: stage on ECR (moto), prod on the OCI registry.
/// Needs every service; an error names the missing one.
Result<std::string> render_config(const SandboxEndpoints& endpoints);

/// The stage environment of that configuration (ECR through moto at `moto_url`), as `name`
/// under `environments:`, its database URL in `dsn_env`: the refresh bench repeats it.
std::string stage_environment_yaml(const std::string& name, const std::string& dsn_env, const std::string& moto_url);

/// Writes the text to a temp file next to path and renames it into place, so a reader
/// polling for the file never sees half of it.
Status write_file_atomically(const std::filesystem::path& path, const std::string& text);

/// The text quoted for a POSIX shell: 'it'\''s'.
std::string shell_quote(const std::string& text);

}  // namespace mgate::sandbox
