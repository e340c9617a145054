#pragma once
// One environment at one moment (DESIGN.md §3): what every source said, when, and what failed,
// plus the gate computed from it. A snapshot is an immutable value: the refresher builds a new
// one and publishes it; `mgate status --json` prints the same model the console draws.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/alembic/relation.hpp"
#include "backend/core/error.hpp"
#include "backend/core/time.hpp"
#include "backend/db/version_store.hpp"
#include "backend/kube/migration_jobs.hpp"
#include "backend/kube/views.hpp"
#include "backend/ops/updater_prediction.hpp"
#include "backend/registry/tag_model.hpp"

namespace mgate::backend::ops {

/// One source's latest answer: the last good value (kept when a later fetch fails), the last
/// attempt's error, and when the value was read.
template <typename T>
struct Sourced {
  std::shared_ptr<const T> value;               ///< null until a fetch succeeded
  std::optional<Error> error;                   ///< why the last attempt failed
  std::optional<Clock::time_point> fetched_at;  ///< when `value` was read
  std::chrono::milliseconds took{0};            ///< how long the last attempt took

  /// The last attempt failed but an older value is shown.
  bool stale() const { return error.has_value() && value != nullptr; }
};

/// The migration Jobs and their pods.
struct JobsData {
  std::string ns;
  std::vector<kube::JobEntry> jobs;             ///< oldest first, records of deleted Jobs included
  std::vector<std::vector<kube::PodView>> pods;  ///< per Job, same order
};

/// The version table.
struct DatabaseData {
  std::string database;  ///< where, password-free
  db::VersionState state;
};

/// The code's heads (the configured script directory).
struct HeadsData {
  std::string scripts;
  std::vector<std::string> heads;
};

/// What runs and what Argo CD says.
struct DeployData {
  std::optional<kube::DeploymentView> deployment;
  std::string container;                       ///< the container whose image is read
  std::optional<kube::ApplicationView> application;
  std::optional<std::string> application_error;  ///< the Application could not be read (optional source)
};

/// The steps a commit goes through, in order.
enum class GateStep { kBuilt, kMigrationJob, kDatabase, kPromoted, kDeployed, kDone };

/// "built", "migration_job", "database", "promoted", "deployed", "done".
const char* to_string(GateStep step);

/// One commit's way through the gate.
struct ShaGate {
  std::string sha;
  bool built = false;
  std::optional<std::string> job;  ///< its newest migration Job's name
  std::string job_status;          ///< that Job's phase ("" when none)
  std::optional<bool> database_at_heads;  ///< unknown when the database or heads could not be read
  std::optional<alembic::Relation> relation;  ///< the database against this commit's heads
  std::string heads_from;          ///< "git" (the commit's own scripts) or "scripts" (the configured ones)
  bool promoted = false;           ///< the migrated tag exists on the built digest
  bool deployed = false;           ///< the Deployment runs the migrated tag
  GateStep blocked_at = GateStep::kBuilt;  ///< the first step not passed (kDone: all passed)
  std::string blocking;            ///< what blocks it, for an on-call engineer; "" when done
};

/// One environment's snapshot.
struct EnvSnapshot {
  std::string env;
  Clock::time_point taken_at{};
  Sourced<JobsData> jobs;
  Sourced<DatabaseData> database;
  Sourced<HeadsData> heads;
  Sourced<registry::TagModel> tags;
  Sourced<DeployData> deploy;

  std::optional<alembic::Relation> relation;  ///< the database against the heads
  std::optional<std::string> deployed_image;  ///< the Deployment container's image
  std::optional<std::string> deployed_sha;    ///< the commit its tag names
  std::vector<ShaGate> gates;                 ///< newest build first
  std::vector<std::string> drift;             ///< what runs that should not, in words
  std::optional<Prediction> prediction;       ///< what Image Updater would deploy next, and why

  /// True when some source's last attempt failed.
  bool partial() const;
  /// The gate of the newest built commit: what the environment is waiting for.
  const ShaGate* current_gate() const;
};

/// The versioned JSON of `mgate status --json` (docs/cli-json.md, schema "mgate.status/v1").
nlohmann::json to_json(const EnvSnapshot& snapshot);

/// How many of the newest Jobs a status shows besides those in flight and those a gate names.
inline constexpr std::size_t kStatusRecentJobs = 10;

/// The schema name the JSON carries.
inline constexpr const char* kStatusSchema = "mgate.status/v1";

}  // namespace mgate::backend::ops
