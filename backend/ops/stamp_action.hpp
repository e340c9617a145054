#pragma once
// The guarded stamp (DESIGN.md §6): plan → show → confirm → execute → verify → audit.
//
// Planning reads fresh state and computes exactly what the version table will
// hold; executing is one compare-and-set transaction against what was read;
// verifying reads the table again. Every outcome, a refusal and a dry run
// included, is written to the audit log.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backend/alembic/relation.hpp"
#include "backend/alembic/revision_graph.hpp"
#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/db/version_store.hpp"
#include "backend/ops/audit_log.hpp"
#include "backend/ops/guard.hpp"
#include "backend/ops/migration_activity.hpp"

namespace mgate::backend::ops {

/// `mgate stamp --env E REV… [--purge] [--expect CUR…]`, as typed.
struct StampRequest {
  std::string env;
  std::vector<std::string> targets;   ///< ids, prefixes, labels, `heads`, `base`; none = base
  bool purge = false;                 ///< replace every row, whatever it names (after a restore)
  /// --expect: what the caller believes the table holds (`base` = no rows). When
  /// given, a table holding anything else refuses the stamp.
  std::optional<std::vector<std::string>> expect;
};

/// Exactly what a stamp will change, computed from fresh state.
struct StampPlan {
  StampRequest request;
  std::string store;                     ///< where the record lives, password-free
  db::VersionState current;              ///< the table as read for this plan
  std::vector<std::string> resolved;     ///< the target revision ids
  std::vector<std::string> rows;         ///< what the table will hold afterwards
  alembic::Relation before;              ///< current rows against the code
  alembic::Relation after;               ///< planned rows against the code
  std::vector<std::string> sql;          ///< the statements the stamp runs, in order
  std::string alembic_command;           ///< the equivalent alembic command line
  std::vector<std::string> notes;        ///< what a person should know (an unchecked guard)

  /// True when the table already holds the planned rows.
  bool no_change() const;
  /// The plan as lines of text for a terminal.
  std::vector<std::string> describe() const;
};

/// What a stamp needs from its surroundings.
struct StampContext {
  const config::Config* config = nullptr;
  const config::Environment* env = nullptr;
  const alembic::RevisionGraph* graph = nullptr;
  db::VersionStore* store = nullptr;
  MigrationActivity* activity = nullptr;   ///< nullptr: the guard is not available here
  const AuditLog* audit = nullptr;
  std::string user;
  bool read_only_flag = false;             ///< --read-only
};

/// How the front end takes part: it shows the plan and asks for confirmation.
struct StampHooks {
  std::function<void(const StampPlan&)> show;
  std::function<Status(const Confirmation&)> confirm;
};

/// What a finished stamp reports.
struct StampResult {
  StampPlan plan;
  bool dry_run = false;
  db::StampOutcome outcome;   ///< empty on a dry run
};

/// Plans a stamp from fresh state. Refusals (ErrorCode::kRefused) name the guard:
/// read-only, an --expect that does not match the table, a target that is not a
/// known revision, a row the scripts lack without --purge, an active migration Job.
Result<StampPlan> plan_stamp(const StampContext& ctx, const StampRequest& request);

/// The whole action: plan, show, (dry run stops here) confirm, execute, verify,
/// audit. Every outcome is audited; an audit failure after a successful stamp is
/// reported as the error, since the action is then not fully recorded.
Result<StampResult> run_stamp(const StampContext& ctx, const StampRequest& request, const StampHooks& hooks,
                              bool dry_run);

}  // namespace mgate::backend::ops
