#pragma once
// The "a migration Job is active" guard (DESIGN.md §6) that stamp and resubmit share.

#include <optional>
#include <string>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/kube/migration_jobs.hpp"

namespace mgate::backend::ops {

/// The seam for the guard: the Kubernetes Jobs implement it (an ECS task runner would too).
class MigrationActivity {
 public:
  virtual ~MigrationActivity() = default;
  /// The name of an active migration Job in the environment (with why it counts as active),
  /// nothing when none is active, or an Error when it cannot be told (which refuses the action).
  virtual Result<std::optional<std::string>> active_job() = 0;
};

/// The guard over an environment's migration Jobs on its cluster.
class KubeMigrationActivity : public MigrationActivity {
 public:
  explicit KubeMigrationActivity(kube::MigrationJobs& jobs) : jobs_(jobs) {}
  /// The first Job that keeps the database busy (kube::busy_reason), as "NAME (why)".
  Result<std::optional<std::string>> active_job() override { return jobs_.active(); }

 private:
  kube::MigrationJobs& jobs_;
};

/// The guard as actions use it: refused (kRefused) while a migration Job is active or when that
/// cannot be told; with no activity to ask (nullptr), a note says the guard was not checked.
Status check_no_active_job(MigrationActivity* activity, const std::string& env, std::vector<std::string>& notes);

}  // namespace mgate::backend::ops
