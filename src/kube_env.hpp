#pragma once
// What the Kubernetes commands (jobs, logs, describe, resubmit, and stamp's guard) open per
// environment: the connection, the env's tag patterns, its migration Jobs and their records.

#include <memory>
#include <optional>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/kube/connection.hpp"
#include "backend/kube/job_record_cache.hpp"
#include "backend/kube/migration_jobs.hpp"
#include "backend/registry/tag_model.hpp"
#include "src/cli.hpp"

namespace mgate::cli {

/// One environment's cluster side. Not movable: the Jobs refer to the client and the patterns.
struct KubeEnv {
  const backend::config::Environment* env = nullptr;
  backend::kube::KubeConnection connection;
  backend::registry::TagPatterns patterns;
  std::unique_ptr<backend::kube::MigrationJobs> jobs;
  std::optional<backend::kube::JobRecordCache> records;  ///< unset when no state dir is known

  KubeEnv() = default;
  KubeEnv(const KubeEnv&) = delete;
  KubeEnv& operator=(const KubeEnv&) = delete;

  /// The live Jobs saved into the records when decided, then merged with the recorded ones
  /// the cluster no longer has.
  backend::Result<std::vector<backend::kube::JobEntry>> jobs_with_records();
  /// Every Pod of the namespace, read once for pods_of().
  backend::Result<std::vector<nlohmann::json>> list_pods();
  /// A Job's Pods: among `live_pods` for a Job on the cluster, else from its record; oldest first.
  std::vector<backend::kube::PodView> pods_of(const backend::kube::JobEntry& job,
                                              const std::vector<nlohmann::json>& live_pods);
  /// The record of a Job the cluster no longer has (nullopt when there is none).
  std::optional<backend::kube::JobRecord> record_of(const backend::kube::JobEntry& job);
  /// The Job named `name`: live, else the newest record of that name; kNotFound naming both.
  backend::Result<backend::kube::JobEntry> find(const std::string& name);
};

/// Connects to the environment's cluster (kubeconfig, context, namespace, credentials).
backend::Result<std::unique_ptr<KubeEnv>> open_kube_env(const backend::config::Environment& env);

/// A Job found by name in one of the selected environments, with that environment opened.
struct LocatedJob {
  std::unique_ptr<KubeEnv> kube;
  backend::kube::JobEntry job;
};

/// Looks for the Job in --env's environment, else in every environment in file order (live
/// first, then the records); kNotFound naming where it looked.
backend::Result<LocatedJob> locate_job(const backend::config::Config& config, const GlobalOptions& global,
                                       const std::string& name);

}  // namespace mgate::cli
