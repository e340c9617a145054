#pragma once
// The YAML configuration model (DESIGN.md §7) and its loader.
//
// Every key is documented in docs/configuration.md; keep the two in step.

#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <variant>
#include <string>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::config {

/// A position in a configuration file, 1-based as editors show it.
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
};

/// One problem found in a configuration file.
struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  Mark mark;
  std::string path;     ///< the key path, e.g. "environments.stage.registry.type"
  std::string message;  ///< what was expected and what was found

  /// "file:line:column: error: path: message" as compilers print it.
  std::string format() const;
};

/// `alembic:` — where the migration scripts live.
struct AlembicConfig {
  std::filesystem::path scripts;               ///< an alembic.ini or a versions directory
  std::optional<std::filesystem::path> git;    ///< the app's git repository, for per-sha heads
};

/// `environments.<name>.kube.jobs:` — which Jobs are migration Jobs, and how to name a new one.
struct JobsConfig {
  std::string selector;                        ///< label selector, e.g. "component=migration"
  std::string name;                            ///< resubmit naming: "db-migration-{sha7}"; no {…} = static
  std::optional<std::filesystem::path> template_file;  ///< `template:` a Job manifest to submit
  /// True when `name` has no placeholder: resubmit deletes, then creates.
  bool static_name() const;
};

/// `environments.<name>.kube:`
struct KubeConfig {
  std::optional<std::filesystem::path> kubeconfig;  ///< default: $KUBECONFIG, ~/.kube/config
  std::optional<std::string> context;               ///< default: current-context
  std::optional<std::string> namespace_;            ///< `namespace:`; default: the context's
  JobsConfig jobs;
};

/// `environments.<name>.database:` — exactly one of dsn_env, service, dsn.
struct DatabaseConfig {
  std::optional<std::string> dsn_env;   ///< name of an environment variable holding a libpq URI
  std::optional<std::string> service;   ///< a libpq service name (pg_service.conf)
  std::optional<std::string> dsn;       ///< a libpq URI without a password (.pgpass supplies it)
  std::string version_table = "alembic_version";
  std::string schema = "public";
  int connect_timeout_seconds = 5;
};

/// `environments.<name>.registry:`
struct RegistryConfig {
  enum class Type { kEcr, kOci };
  Type type = Type::kEcr;
  std::string repository;                 ///< repository name within the registry
  std::string built_tag = "stage-{sha}";  ///< tag CI pushes; must contain {sha}
  std::string migrated_tag = "stage-migrated-{sha}";  ///< tag after migration; must contain {sha}
  std::optional<std::string> endpoint;    ///< URL override (ECR: also AWS_ENDPOINT_URL_ECR)
  // ECR
  std::optional<std::string> region;       ///< default: AWS_REGION or the profile's
  std::optional<std::string> registry_id;  ///< 12-digit AWS account id; default: the caller's
  std::optional<std::string> profile;      ///< AWS profile name
  // OCI
  std::optional<std::string> url;          ///< `url:` registry base URL, e.g. https://ghcr.io (oci)
  std::optional<std::filesystem::path> docker_config;  ///< default: ~/.docker/config.json (oci)
};

/// `environments.<name>.deploy:` — what runs now and what Image Updater would deploy.
struct DeployConfig {
  std::optional<std::string> deployment;
  std::optional<std::string> container;
  std::optional<std::string> argocd_application;
  std::optional<std::string> argocd_namespace;   ///< default: argocd
  std::optional<std::string> allow_tags;         ///< "regexp:^stage-migrated-" (RE2 / Go syntax)
  std::vector<std::string> ignore_tags;          ///< globs
  /// newest-build (alias latest), semver, alphabetical (alias name), digest.
  std::string update_strategy = "newest-build";
};

/// `environments.<name>:`
struct Environment {
  std::string name;
  bool protected_ = false;   ///< `protected:` actions need the env's name typed
  bool read_only = false;    ///< every action disabled
  KubeConfig kube;
  DatabaseConfig database;
  RegistryConfig registry;
  std::optional<DeployConfig> deploy;
};

/// The whole file.
struct Config {
  std::filesystem::path source;          ///< the file it was read from (absolute)
  std::string project;
  AlembicConfig alembic;
  std::filesystem::path audit_log;       ///< default: $XDG_STATE_HOME/mgate/audit.jsonl
  int refresh_seconds = 5;
  bool read_only = false;                ///< every action disabled in every environment
  std::vector<Environment> environments; ///< in file order

  /// The environment of that name, or nullptr.
  const Environment* find(std::string_view name) const;
};

/// A loaded configuration and the warnings found on the way.
struct Loaded {
  Config config;
  std::vector<Diagnostic> warnings;
};

/// Why a configuration could not be loaded: every error at once, in file order.
struct LoadFailure {
  std::vector<Diagnostic> diagnostics;   ///< errors (and any warnings) with file:line:column
};

/// Where the configuration comes from: `--config`, then $MGATE_CONFIG, then
/// $XDG_CONFIG_HOME/mgate/config.yaml (default ~/.config/mgate/config.yaml).
/// Returns the path and a word on which rule chose it ("--config", "MGATE_CONFIG", …).
struct Located {
  std::filesystem::path path;
  std::string origin;
};
Result<Located> locate(const std::optional<std::filesystem::path>& flag);

/// Parses and validates the YAML text; `file` names it in marks and anchors relative paths.
/// Collects every error before it returns.
std::variant<Loaded, LoadFailure> parse(const std::string& text, const std::filesystem::path& file);

/// Reads and parses the file. A missing or unreadable file is one diagnostic at line 0.
std::variant<Loaded, LoadFailure> load(const std::filesystem::path& file);

/// The resolved configuration (defaults filled in, paths absolute) as YAML text, secrets redacted.
std::string to_yaml(const Config& config);

/// The same as JSON, for `mgate config check --json`.
std::string to_json(const Config& config);

}  // namespace mgate::backend::config
