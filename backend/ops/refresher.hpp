#pragma once
// The refresher (DESIGN.md §3): every environment's sources fetched concurrently — the Jobs and
// their pods, the version rows, the registry tags, the Deployment and the Argo CD Application —
// with the code's heads read once for all, each source reporting its own error and keeping its
// last good value (stale) when a fetch fails. Clients are built once per environment and kept:
// HTTP keep-alive, one database connection per environment.

#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "backend/alembic/script_directory.hpp"
#include "backend/config/config.hpp"
#include "backend/kube/job_record_cache.hpp"
#include "backend/ops/commit_heads.hpp"
#include "backend/ops/gate.hpp"
#include "backend/ops/snapshot.hpp"

namespace mgate::backend::ops {

/// How the refresher reaches its sources.
struct RefreshOptions {
  /// Where finished Jobs are recorded (and read back once deleted); nullopt: no records.
  std::optional<std::filesystem::path> records_root;
  /// Keep each environment's Jobs and pods current with watches (a console that refreshes
  /// again and again): after the first refresh they cost no request. Off, each refresh lists
  /// them (a one-shot `mgate status`, which would only open watches to close them).
  bool watch = false;
};

class EnvSources;

/// Fetches snapshots of the configured environments. With `alembic.git` configured, each
/// commit's gate compares the database with that commit's own heads, read from the history.
class Refresher {
 public:
  Refresher(const config::Config& config, std::vector<const config::Environment*> envs, RefreshOptions options = {});
  ~Refresher();
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  /// A new snapshot of every environment, in configuration order: environments in parallel, each
  /// one's sources in parallel. A failing source keeps the previous snapshot's value, marked stale.
  std::vector<std::shared_ptr<const EnvSnapshot>> refresh(const std::stop_token& stop = {});

  /// The latest snapshots (empty before the first refresh).
  std::vector<std::shared_ptr<const EnvSnapshot>> latest() const;

 private:
  Sourced<HeadsData> read_heads(std::shared_ptr<const alembic::RevisionGraph>& graph);

  const config::Config& config_;
  RefreshOptions options_;
  std::vector<std::unique_ptr<EnvSources>> envs_;
  Sourced<HeadsData> heads_;
  std::shared_ptr<const alembic::RevisionGraph> graph_;
  std::string scripts_stamp_;  // the revision files' names, sizes and mtimes when graph_ was read
  std::optional<CommitHeads> commits_;  // with alembic.git: each commit's own heads
  mutable std::mutex mu_;  // guards latest_ only
  std::vector<std::shared_ptr<const EnvSnapshot>> latest_;
};

}  // namespace mgate::backend::ops
