#pragma once
// The guarded promote (DESIGN.md §6): plan → show → confirm → execute → verify → audit.
//
// A promote gives a commit's built image its migrated tag: the built tag's exact manifest
// bytes and media type are stored again under the migrated tag, so both name one digest,
// as the migration Job's own retag does.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/ops/audit_log.hpp"
#include "backend/ops/guard.hpp"
#include "backend/registry/registry.hpp"
#include "backend/registry/tag_pattern.hpp"

namespace mgate::backend::ops {

/// The seam for the gate (is the environment's database at the heads this image carries?).
/// The gate issue implements it; until then the plan says the gate was not checked.
class PromoteGate {
 public:
  virtual ~PromoteGate() = default;
  /// Why the gate blocks promoting `sha` (a sentence for a person), nothing when it is open,
  /// or an Error when it cannot be told (which refuses the promote).
  virtual Result<std::optional<std::string>> blocked(const std::string& sha) = 0;
};

/// `mgate promote --env E SHA`, as typed.
struct PromoteRequest {
  std::string env;
  std::string sha;  ///< a commit as the tags write it, or a unique prefix (7+ digits) of one
  bool force_ungated = false;  ///< --force-ungated: promote although the gate is closed
  std::string reason{};        ///< --reason: why, required with force_ungated, audited
};

/// What the migrated tag holds when the plan is made.
enum class TargetState {
  kAbsent,       ///< no such tag: the promote creates it
  kSameDigest,   ///< already on the built digest: the promote is a successful no-op
  kOtherDigest,  ///< on another digest: refused
};

/// "absent", "same-digest", "other-digest".
const char* to_string(TargetState state);

/// Exactly what a promote will change, computed from fresh state.
struct PromotePlan {
  PromoteRequest request;
  std::string registry;               ///< Registry::describe()
  std::string sha;                    ///< the commit, as the tags write it
  std::string source_tag;             ///< "stage-<sha>"
  std::string target_tag;             ///< "stage-migrated-<sha>"
  registry::Manifest source;          ///< digest and media type of the built tag (bytes at execute)
  std::optional<registry::Manifest> target;  ///< what the migrated tag holds now
  TargetState target_state = TargetState::kAbsent;
  registry::TagMutability mutability = registry::TagMutability::kUnknown;
  std::vector<std::string> commands;  ///< the equivalent commands, e.g. `aws ecr put-image …`
  std::vector<std::string> notes;     ///< what a person should know (an unchecked gate, immutability)
  std::optional<std::string> forced_past;  ///< the closed gate a --force-ungated promote goes past

  /// True when the migrated tag already names the built digest.
  bool no_op() const { return target_state == TargetState::kSameDigest; }
  /// The plan as lines of text for a terminal.
  std::vector<std::string> describe() const;
};

/// What a promote needs from its surroundings.
struct PromoteContext {
  const config::Config* config = nullptr;
  const config::Environment* env = nullptr;
  registry::Registry* registry = nullptr;
  PromoteGate* gate = nullptr;  ///< nullptr: the gate is not available here (noted in the plan)
  const AuditLog* audit = nullptr;
  std::string user;
  bool read_only_flag = false;  ///< --read-only
};

/// How the front end takes part: it shows the plan and asks for confirmation.
struct PromoteHooks {
  std::function<void(const PromotePlan&)> show;
  std::function<Status(const Confirmation&)> confirm;
};

/// What a finished promote reports.
struct PromoteResult {
  PromotePlan plan;
  bool dry_run = false;
  bool no_op = false;           ///< the migrated tag was already on the digest: nothing was written
  std::string verified_digest;  ///< what the migrated tag names, read back after the put
};

/// Plans a promote from fresh state. kNotFound when the commit has no built tag; refusals
/// (kRefused) name the guard: the migrated tag on another digest (with both digests, and the
/// repository's immutability when that is why it cannot move), a closed gate (unless
/// force_ungated, with a reason: kInvalidArgument without one).
Result<PromotePlan> plan_promote(const PromoteContext& ctx, const PromoteRequest& request);

/// The whole action: plan, show, (dry run stops here; a no-op stops here as a success)
/// confirm, execute with the bytes fetched by digest, verify by reading the tag back, audit.
/// Every outcome is audited; an audit failure after a successful put is the error.
Result<PromoteResult> run_promote(const PromoteContext& ctx, const PromoteRequest& request,
                                  const PromoteHooks& hooks, bool dry_run);

}  // namespace mgate::backend::ops
