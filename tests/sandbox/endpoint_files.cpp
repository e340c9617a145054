#include "tests/sandbox/endpoint_files.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "tests/sandbox/moto_service.hpp"

namespace mgate::sandbox {
namespace {

using backend::ErrorCode;
using backend::make_error;

// A YAML double-quoted scalar: paths and URLs may hold ':' or '#'.
std::string yq(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

constexpr const char* kStageTemplate = R"(  {name}:
    kube:
      context: sandbox
      namespace: udab
      jobs:
        selector: component=migration
        name: db-migration-{{sha7}}
    database:
      dsn_env: {dsn_env}
    registry:
      type: ecr
      region: {region}
      registry_id: "{account}"
      repository: udab-server
      built_tag: stage-{{sha}}
      migrated_tag: stage-migrated-{{sha}}
      endpoint: {moto}
    deploy:
      deployment: udab-server
      container: app
      argocd_application: udab-server-stage
      argocd_namespace: udab
      allow_tags: "regexp:^stage-migrated-"
      update_strategy: newest-build
)";

constexpr const char* kConfigTemplate =
    R"(# mgate configuration for the sandbox's services (written by mgate-sandbox).
project: udab-server
alembic:
  scripts: {alembic}
audit_log: {audit}
refresh_seconds: 5
environments:
{stage}  prod:
    protected: true
    kube:
      context: sandbox
      namespace: udab-prod
      jobs:
        selector: component=migration
        name: udab-server-migration
    database:
      dsn_env: PROD_DATABASE_URL
    registry:
      type: oci
      url: {registry}
      repository: udab-server
      built_tag: prod-{{sha}}
      migrated_tag: prod-migrated-{{sha}}
    deploy:
      deployment: udab-server
      container: app
      allow_tags: "regexp:^prod-migrated-"
      update_strategy: newest-build
)";

}  // namespace

EnvVars env_vars(const SandboxEndpoints& e) {
  EnvVars vars = {
      {"MGATE_SANDBOX_DIR", e.files_dir.string()},
      {"MGATE_SANDBOX_WORK_DIR", e.work_dir.string()},
      {"MGATE_CONFIG", e.config_file.string()},
      {"MGATE_ALEMBIC_INI", e.alembic_ini.string()},
  };
  if (e.postgres) {
    const PostgresEndpoint& pg = *e.postgres;
    vars.insert(vars.end(), {{"PGHOST", pg.host},
                             {"PGPORT", std::to_string(pg.port)},
                             {"PGUSER", pg.user},
                             {"PGDATABASE", "postgres"},
                             {"PGPASSFILE", pg.passfile.string()},
                             {"PGSERVICEFILE", pg.service_file.string()},
                             {"STAGE_DATABASE_URL", pg.url("stage")},
                             {"PROD_DATABASE_URL", pg.url("prod")}});
  }
  if (!e.moto_url.empty()) {
    // moto accepts any credentials; fixed ones keep a developer's real keys out of the sandbox.
    vars.insert(vars.end(), {{"AWS_ACCESS_KEY_ID", "testing"},
                             {"AWS_SECRET_ACCESS_KEY", "testing"},
                             {"AWS_REGION", kMotoRegion},
                             {"AWS_DEFAULT_REGION", kMotoRegion},
                             {"AWS_ENDPOINT_URL", e.moto_url},
                             {"MGATE_MOTO_URL", e.moto_url}});
  }
  if (!e.registry_url.empty()) vars.emplace_back("MGATE_REGISTRY_URL", e.registry_url);
  if (!e.kube_url.empty()) {
    vars.insert(vars.end(), {{"KUBECONFIG", e.kubeconfig.string()},
                             {"MGATE_KUBE_URL", e.kube_url},
                             {"MGATE_KUBE_DIR", e.kubeconfig.parent_path().string()}});
  }
  return vars;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string render_env_file(const EnvVars& vars) {
  std::string out = "# mgate sandbox endpoints: source this file ( . ./env ) to reach them.\n";
  for (const auto& [key, value] : vars) out += fmt::format("export {}={}\n", key, shell_quote(value));
  return out;
}

Result<std::string> render_config(const SandboxEndpoints& e) {
  const char* missing = !e.postgres              ? "postgres"
                        : e.moto_url.empty()     ? "moto"
                        : e.registry_url.empty() ? "registry"
                                                 : nullptr;
  if (missing != nullptr) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("the mgate configuration needs every sandbox service; {} was not started", missing));
  }
  return fmt::format(kConfigTemplate, fmt::arg("alembic", yq(e.alembic_ini.string())),
                     fmt::arg("audit", yq((e.files_dir / "audit.jsonl").string())),
                     fmt::arg("stage", stage_environment_yaml("stage", "STAGE_DATABASE_URL", e.moto_url)),
                     fmt::arg("registry", yq(e.registry_url)));
}

std::string stage_environment_yaml(const std::string& name, const std::string& dsn_env, const std::string& moto_url) {
  return fmt::format(kStageTemplate, fmt::arg("name", name), fmt::arg("dsn_env", dsn_env),
                     fmt::arg("region", kMotoRegion), fmt::arg("account", kMotoAccountId),
                     fmt::arg("moto", yq(moto_url)));
}

Status write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temp = path.string() + fmt::format(".tmp{}", getpid());
  {
    std::ofstream out(temp, std::ios::trunc | std::ios::binary);
    out << text;
    out.close();
    if (!out) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", temp.string()));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  }
  return backend::ok_status();
}

}  // namespace mgate::sandbox
