#pragma once
// The guarded resubmit (DESIGN.md §6): plan → show → confirm → execute → verify → audit.
//
// A resubmit runs the migration again: a new Job cloned from the environment's latest
// migration Job (or made from its template), without what the server and Argo CD set, named
// by the environment's rule. A static name is deleted first (Background propagation) and
// waited on until gone. Optionally the new Job runs another commit's built image.

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/kube/job_record_cache.hpp"
#include "backend/kube/migration_jobs.hpp"
#include "backend/ops/audit_log.hpp"
#include "backend/ops/guard.hpp"
#include "backend/ops/migration_activity.hpp"
#include "backend/registry/registry.hpp"

namespace mgate::backend::ops {

/// `mgate resubmit --env E [--sha SHA]`, as typed.
struct ResubmitRequest {
  std::string env;
  std::optional<std::string> sha;  ///< run this commit's built image (a unique prefix will do)
};

/// Exactly what a resubmit will do, computed from fresh state.
struct ResubmitPlan {
  ResubmitRequest request;
  std::string ns;              ///< the namespace
  std::string source;          ///< "Job db-migration-5880242 (Complete)", "template F", "record of Job …"
  std::string sha;             ///< the commit the new Job runs ("" when no tag names one)
  std::string name;            ///< the new Job's name
  bool static_name = false;    ///< the env's rule has no placeholder
  std::optional<std::string> replaces;  ///< the Job of that name deleted first
  std::string replaces_uid;
  std::string image;           ///< the new Job's (first container's) image
  std::string from_image;      ///< the source's, when the image is switched
  std::vector<std::string> env_changes;  ///< "migrate: IMAGE_SHA 5880242… → 1a2b3c4…"
  nlohmann::json job;          ///< the Job to create
  std::vector<std::string> commands;  ///< the equivalent kubectl commands
  std::vector<std::string> notes;

  /// The plan as lines of text for a terminal.
  std::vector<std::string> describe() const;
};

/// What a resubmit needs from its surroundings.
struct ResubmitContext {
  const config::Config* config = nullptr;
  const config::Environment* env = nullptr;
  kube::MigrationJobs* jobs = nullptr;             ///< the env's Jobs (required)
  const kube::JobRecordCache* records = nullptr;   ///< nullptr: no records kept or read
  registry::Registry* registry = nullptr;          ///< nullptr: --sha's built tag is not checked
  const AuditLog* audit = nullptr;
  std::string user;
  std::string kube_context;                        ///< for the equivalent kubectl commands
  bool read_only_flag = false;                     ///< --read-only
  std::chrono::seconds delete_wait{120};           ///< how long a static name may take to go
  std::stop_token stop;
};

/// How the front end takes part: it shows the plan, asks, and hears progress.
struct ResubmitHooks {
  std::function<void(const ResubmitPlan&)> show;
  std::function<Status(const Confirmation&)> confirm;
  std::function<void(const std::string&)> progress;  ///< "deleting Job X", "Job X is gone", …
};

/// What a finished resubmit reports.
struct ResubmitResult {
  ResubmitPlan plan;
  bool dry_run = false;
  nlohmann::json created;  ///< the Job the server created (a dry run: the one it would create)
  std::string uid;         ///< the new Job's uid ("" on a dry run)
};

/// Plans a resubmit from fresh state. Refusals (kRefused) name the guard: read-only, an active
/// migration Job, a Job of the static name that is not finished, a --sha with no built image.
Result<ResubmitPlan> plan_resubmit(const ResubmitContext& ctx, const ResubmitRequest& request);

/// The whole action: plan, show, then either a server-side dry run (dryRun=All; nothing is
/// changed) or confirm, guard again, delete the static name and wait until it is gone, create,
/// verify by reading the Job back. Every outcome is audited.
Result<ResubmitResult> run_resubmit(const ResubmitContext& ctx, const ResubmitRequest& request,
                                    const ResubmitHooks& hooks, bool dry_run);

/// One line for a person about a followed Job's state ("db-migration-x: Active; pod p Running").
std::string describe_progress(const kube::JobEntry& job, const kube::JobPods& pods);

}  // namespace mgate::backend::ops
