#pragma once
// The YAML configuration model (DESIGN.md §7) and its loader.
//
// Every key is documented in docs/configuration.md; keep the two in step.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::config {

/// A position in a configuration file, 1-based as editors show it.
struct Mark {
  std::string file;  ///< the file as the caller named it
  int line = 0;      ///< 1-based; 0 = the file as a whole (e.g. it cannot be read)
  int column = 0;    ///< 1-based

  /// Field-wise equality.
  bool operator==(const Mark&) const = default;
};

/// One problem found in a configuration file.
struct Diagnostic {
  /// A warning does not stop the configuration from loading.
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;  ///< error or warning
  Mark mark;                             ///< where: the value, the key, or the parent key
  std::string path;                      ///< the key path, e.g. "environments.stage.registry.type"
  std::string message;                   ///< what was expected and what was found

  /// "file:line:column: error: path: message" as compilers print it.
  /// Line 0 (the file itself, e.g. unreadable) prints as "file: error: …"; an empty path is left out.
  std::string format() const;

  /// Field-wise equality.
  bool operator==(const Diagnostic&) const = default;
};

/// `alembic:` — where the migration scripts live.
struct AlembicConfig {
  std::filesystem::path scripts;             ///< an alembic.ini or a versions directory
  std::optional<std::filesystem::path> git;  ///< the app's git repository, for per-sha heads

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const AlembicConfig&) const = default;
};

/// `environments.<name>.kube.jobs:` — which Jobs are migration Jobs, and how to name a new one.
struct JobsConfig {
  std::string selector;  ///< label selector, e.g. "component=migration"
  std::string name;      ///< resubmit naming: "db-migration-{sha7}"; no {…} = static
  std::optional<std::filesystem::path> template_file;  ///< `template:` a Job manifest to submit
  /// True when `name` has no placeholder: resubmit deletes, then creates.
  bool static_name() const;
  /// The Job name for that commit: `name` with {sha}, {sha7} and {env} substituted.
  std::string job_name(std::string_view sha, std::string_view env) const;

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const JobsConfig&) const = default;
};

/// `environments.<name>.kube:`
struct KubeConfig {
  std::optional<std::filesystem::path> kubeconfig;  ///< default: $KUBECONFIG, ~/.kube/config
  std::optional<std::string> context;               ///< default: current-context
  std::optional<std::string> namespace_;            ///< `namespace:`; default: the context's
  JobsConfig jobs;                                  ///< `jobs:`

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const KubeConfig&) const = default;
};

/// `environments.<name>.database:` — exactly one of dsn_env, service, dsn.
struct DatabaseConfig {
  std::optional<std::string> dsn_env;             ///< name of an environment variable holding a libpq URI
  std::optional<std::string> service;             ///< a libpq service name (pg_service.conf)
  std::optional<std::string> dsn;                 ///< a libpq URI without a password (.pgpass supplies it)
  std::string version_table = "alembic_version";  ///< the table alembic keeps its revision in
  std::string schema = "public";                  ///< the schema of version_table
  int connect_timeout_seconds = 5;                ///< libpq connect_timeout, 1 to 300

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const DatabaseConfig&) const = default;
};

/// `environments.<name>.registry:`
struct RegistryConfig {
  enum class Type { kEcr, kOci };
  Type type = Type::kEcr;
  std::string repository;  ///< repository name within the registry
  /// Tag CI pushes; must contain {sha} or {sha7}. The loader fills the default "<env>-{sha}".
  std::string built_tag;
  /// Tag after a successful migration; same rules, differs from built_tag.
  /// The loader fills the default "<env>-migrated-{sha}".
  std::string migrated_tag;
  std::optional<std::string> endpoint;  ///< URL override (ECR: also AWS_ENDPOINT_URL_ECR)
  // ECR
  std::optional<std::string> region;       ///< default: AWS_REGION or the profile's
  std::optional<std::string> registry_id;  ///< 12-digit AWS account id; default: the caller's
  std::optional<std::string> profile;      ///< AWS profile name
  // OCI
  std::optional<std::string> url;  ///< `url:` registry base URL, e.g. https://ghcr.io (oci)
  std::optional<std::filesystem::path> docker_config;  ///< default: ~/.docker/config.json (oci)

  /// The built tag for that commit: built_tag with {sha}, {sha7} and {env} substituted.
  std::string built_tag_for(std::string_view sha, std::string_view env) const;
  /// The migrated tag for that commit, substituted the same way.
  std::string migrated_tag_for(std::string_view sha, std::string_view env) const;

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const RegistryConfig&) const = default;
};

/// "ecr" or "oci", as written in the file.
const char* to_string(RegistryConfig::Type type);

/// `environments.<name>.deploy:` — what runs now and what Image Updater would deploy.
struct DeployConfig {
  std::optional<std::string> deployment;          ///< the Deployment that runs the image
  std::optional<std::string> container;           ///< its container whose image is read
  std::optional<std::string> argocd_application;  ///< the Argo CD Application that syncs it
  std::optional<std::string> argocd_namespace;    ///< default: argocd
  std::optional<std::string> allow_tags;          ///< "regexp:^stage-migrated-" (RE2 / Go syntax)
  std::vector<std::string> ignore_tags;           ///< globs
  /// newest-build (alias latest), semver, alphabetical (alias name), digest.
  std::string update_strategy = "newest-build";

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const DeployConfig&) const = default;
};

/// `environments.<name>:`
struct Environment {
  std::string name;                    ///< the key under `environments:`
  bool protected_ = false;             ///< `protected:` actions need the env's name typed
  bool read_only = false;              ///< every action disabled
  KubeConfig kube;                     ///< `kube:`
  DatabaseConfig database;             ///< `database:`
  RegistryConfig registry;             ///< `registry:`
  std::optional<DeployConfig> deploy;  ///< `deploy:`, when present

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const Environment&) const = default;
};

/// The whole file.
struct Config {
  std::filesystem::path source;           ///< the file it was read from (absolute)
  std::string project;                    ///< `project:` a name for titles and the audit log
  AlembicConfig alembic;                  ///< `alembic:`
  std::filesystem::path audit_log;        ///< default: $XDG_STATE_HOME/mgate/audit.jsonl
  int refresh_seconds = 5;                ///< seconds between refreshes, 1 to 3600
  bool read_only = false;                 ///< every action disabled in every environment
  std::vector<Environment> environments;  ///< in file order

  /// The environment of that name, or nullptr.
  const Environment* find(std::string_view name) const;

  /// Field-wise equality; a printed and re-parsed Config compares equal.
  bool operator==(const Config&) const = default;
};

/// A loaded configuration and the warnings found on the way.
struct Loaded {
  Config config;                     ///< resolved: defaults filled, paths absolute
  std::vector<Diagnostic> warnings;  ///< e.g. an allow_tags regexp RE2 cannot compile
};

/// Why a configuration could not be loaded: every error at once, in file order.
struct LoadFailure {
  std::vector<Diagnostic> diagnostics;  ///< errors (and any warnings) with file:line:column
};

/// Where the configuration comes from: `--config`, then $MGATE_CONFIG, then
/// $XDG_CONFIG_HOME/mgate/config.yaml (default ~/.config/mgate/config.yaml).
/// Returns the path and a word on which rule chose it ("--config", "MGATE_CONFIG", …).
struct Located {
  std::filesystem::path path;  ///< the file to load, as the rule gave it
  std::string origin;          ///< "--config", "MGATE_CONFIG", "$XDG_CONFIG_HOME/mgate/config.yaml", …
};
/// Applies that order. When the chosen file is missing, a kInvalidArgument Error names the path,
/// the rule that chose it, and what to do instead.
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

// Checks the loader applies, public because job naming and tag picking elsewhere need the same
// rules. Each `…_error` returns why the text is not acceptable, or nothing when it is.

/// `pattern` with {sha}, {sha7} (its first 7 characters) and {env} substituted; other text kept.
std::string expand_pattern(std::string_view pattern, std::string_view sha, std::string_view env);

/// An unknown placeholder ("{sah}"), an unclosed '{' or a stray '}' in a job-name or tag pattern.
std::optional<std::string> pattern_error(std::string_view pattern);

/// Why `selector` is not a Kubernetes label selector: equality (=, ==, !=), set-based
/// (in, notin), existence (key, !key) and integer comparison (>, <), joined by commas.
std::optional<std::string> label_selector_error(std::string_view selector);

/// True for a DNS-1123 label: at most 63 lower-case letters, digits and '-', alphanumeric at both ends.
bool is_dns1123_label(std::string_view name);

/// True for an OCI / Docker tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_image_tag(std::string_view tag);

}  // namespace mgate::backend::config
