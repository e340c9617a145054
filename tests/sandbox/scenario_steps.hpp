#pragma once
// The steps a scenario file may name (scenario.cpp dispatches to them): the tools' side
// (aws, psql, alembic) in scenario_tools.cpp, the cluster's side in scenario_kube.cpp.

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/sandbox/scenario.hpp"

namespace httplib {
class SSLClient;
}

namespace mgate::sandbox {

/// The ECR image every scenario's pods and Deployment name.
inline constexpr const char* kScenarioImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";
/// The stage environment's namespace, repository and database.
inline constexpr const char* kScenarioNamespace = "udab";
inline constexpr const char* kScenarioRepository = "udab-server";
inline constexpr const char* kScenarioDatabase = "stage";

/// An answer of the simulated API server.
struct KubeReply {
  int status = 0;
  nlohmann::json body;
};

/// The simulated API server, as the admin (the token of kube_dir/kubeconfig), over TLS checked
/// against kube_dir/pki/ca.crt.
class KubeApi {
 public:
  /// Reads the token and CA; an error when the sandbox runs no simulator.
  static Result<std::unique_ptr<KubeApi>> connect(const Sandbox& sandbox);
  ~KubeApi();
  KubeApi(const KubeApi&) = delete;
  KubeApi& operator=(const KubeApi&) = delete;

  /// One request; an error only when no HTTP answer came (any status is a reply).
  Result<KubeReply> call(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr);

 private:
  KubeApi(std::unique_ptr<httplib::SSLClient> client, std::string token);
  std::unique_ptr<httplib::SSLClient> client_;
  std::string token_;
};

/// What every step gets: the sandbox, the scenario's shas and the cluster.
struct StepContext {
  const Sandbox& sandbox;
  const nlohmann::json& shas;  ///< "A" -> 40 hex
  KubeApi& kube;
};

/// The full sha of a scenario key ("A"), or the text itself when it is no key.
std::string sha_of(const StepContext& ctx, const std::string& key);

/// "sha256:" and the hex SHA-256 of data, as a registry names content.
std::string sha256_digest(std::string_view data);

/// {"push": "A"}: pushes stage-<sha> (a manifest unique to the sha, with its true digest).
Status step_push(const StepContext& ctx, const nlohmann::json& arg);
/// {"retag": "A"}: what /migrate.sh does after its upgrade: stage-migrated-<sha> on the same
/// digest, for states whose migration ran before the scenario's history.
Status step_retag(const StepContext& ctx, const nlohmann::json& arg);
/// {"psql": "SQL"}: runs SQL on the stage database (ON_ERROR_STOP).
Status step_psql(const StepContext& ctx, const nlohmann::json& arg);
/// {"alembic": ["downgrade", "REV"]}: alembic on the stage database with the app's alembic.ini.
Status step_alembic(const StepContext& ctx, const nlohmann::json& arg);

/// {"migration_job": {"sha": "A", "expect": "Complete"|"Failed", "restartPolicy", "backoffLimit"}}:
/// the common migration Job through the API (and the udab-db Secret), waited on until `expect`.
Status step_migration_job(const StepContext& ctx, const nlohmann::json& arg);
/// {"scripted_job": {"sha": "B", "script": {...}}}: the migration Job with the kubesim script
/// annotation on its pod; waited on until its pod runs (a hanging script) or the Job finishes.
Status step_scripted_job(const StepContext& ctx, const nlohmann::json& arg);
/// {"deployment": {"tag": "stage-migrated-A"}}: the udab-server Deployment, created (or its
/// image replaced), then 2/2 ready through the status subresource.
Status step_deployment(const StepContext& ctx, const nlohmann::json& arg);
/// {"application": {"tag": ..., "revision": "A"}}: the Argo CD Application udab-server-stage,
/// Synced and Healthy at the revision, its status as Argo CD writes it.
Status step_application(const StepContext& ctx, const nlohmann::json& arg);

}  // namespace mgate::sandbox
