#include "backend/ops/promote_action.hpp"

#include <fmt/format.h>

#include "backend/registry/tag_model.hpp"

namespace mgate::backend::ops {
namespace {

TargetState state_of(const std::optional<registry::Manifest>& target, const std::string& digest) {
  if (!target) return TargetState::kAbsent;
  return target->digest == digest ? TargetState::kSameDigest : TargetState::kOtherDigest;
}

Status check_target(const PromotePlan& plan) {
  if (plan.target_state != TargetState::kOtherDigest) return ok_status();
  std::string message = fmt::format(
      "{} already names {}, not the built {} of {}; a promote never moves a "
      "migrated tag",
      plan.target_tag, plan.target->digest, plan.source.digest, plan.source_tag);
  if (plan.mutability == registry::TagMutability::kImmutable) {
    message += fmt::format(" (and the repository's tags are immutable: {} is owned by digest {})",
                           plan.target_tag, plan.target->digest);
  }
  return refusal(message);
}

Status check_gate(PromoteGate* gate, const PromoteRequest& request, const std::string& sha, PromotePlan& plan) {
  if (gate == nullptr) {
    plan.notes.emplace_back("gate not checked: whether the database is at this commit's heads is not known here");
    return ok_status();
  }
  auto blocked = gate->blocked(sha);
  std::optional<std::string> closed;
  if (!blocked) closed = "cannot tell whether the gate is open: " + blocked.error().describe();
  else if (blocked->has_value()) closed = **blocked;
  if (!closed) return ok_status();
  if (!request.force_ungated) {
    return refusal(*closed + "; promote anyway only with --force-ungated --reason \"why\"");
  }
  plan.forced_past = *closed;
  plan.notes.push_back("FORCED past the gate (" + *closed + "): " + request.reason);
  return ok_status();
}

AuditFields target_fields(const std::optional<registry::Manifest>& target) {
  AuditFields f;
  f.set("digest", target ? target->digest : std::string("absent"));
  return f;
}

AuditRecord base_record(const PromoteContext& ctx, const PromoteRequest& request, bool dry_run) {
  AuditRecord r = AuditRecord::begin(ctx.user, request.env, "promote", dry_run);
  r.arguments.set("sha", request.sha);
  if (request.force_ungated) r.arguments.set("reason", request.reason);
  if (ctx.registry != nullptr) r.arguments.set("registry", ctx.registry->describe());
  return r;
}

/// Puts the built manifest under the migrated tag and reads the tag back.
Result<PromoteResult> execute(const PromoteContext& ctx, PromoteResult result) {
  const PromotePlan& plan = result.plan;
  registry::Registry& reg = *ctx.registry;
  auto manifest = reg.get_manifest(plan.source.digest);
  if (!manifest) return manifest.error();
  // The migration Job may have tagged the image since the plan was read: look once more.
  auto now = reg.resolve_tag(plan.target_tag);
  if (!now) return now.error();
  const TargetState state = state_of(*now, plan.source.digest);
  if (state == TargetState::kOtherDigest) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("refused: {} was set to {} after the plan was made; nothing was changed",
                                  plan.target_tag, (*now)->digest));
  }
  if (state == TargetState::kAbsent) {
    auto put = reg.put_manifest(plan.target_tag, *manifest);
    if (!put) return put.error();
  } else {
    result.no_op = true;
  }
  auto verify = reg.resolve_tag(plan.target_tag);
  if (!verify) return verify.error();
  if (!verify->has_value() || (*verify)->digest != plan.source.digest) {
    return make_error(
        ErrorCode::kInternal,
        fmt::format("verify failed: {} names {} after the promote, expected {}", plan.target_tag,
                    verify->has_value() ? (*verify)->digest : std::string("nothing"), plan.source.digest));
  }
  result.verified_digest = (*verify)->digest;
  return result;
}

}  // namespace

const char* to_string(TargetState state) {
  switch (state) {
    case TargetState::kAbsent:
      return "absent";
    case TargetState::kSameDigest:
      return "same-digest";
    case TargetState::kOtherDigest:
      break;
  }
  return "other-digest";
}

std::vector<std::string> PromotePlan::describe() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("promote {} {}: {}", request.env, sha, registry));
  out.push_back(fmt::format("  from:  {}  {}  {}", source_tag, source.digest, source.media_type));
  out.push_back(fmt::format("  to:    {}  {}", target_tag,
                            target ? fmt::format("{} ({})", target->digest, to_string(target_state))
                                   : std::string("(absent: will be created)")));
  if (no_op()) out.push_back("  the migrated tag already names this digest: nothing to do");
  out.push_back(fmt::format("  tags:  {}", registry::to_string(mutability)));
  out.push_back("  equivalent:");
  for (const auto& c : commands) out.push_back("    " + c);
  for (const auto& n : notes) out.push_back("  note: " + n);
  return out;
}

Result<PromotePlan> plan_promote(const PromoteContext& ctx, const PromoteRequest& request) {
  if (request.force_ungated && request.reason.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--force-ungated needs --reason \"why\": the reason is audited");
  }
  auto patterns = registry::TagPatterns::for_env(*ctx.env);
  if (!patterns) return patterns.error();
  registry::Registry& reg = *ctx.registry;
  PromotePlan plan;
  plan.request = request;
  plan.registry = reg.describe();
  auto sha = registry::resolve_commit(reg, *patterns, request.sha);
  if (!sha) return sha.error();
  plan.sha = *sha;
  plan.source_tag = patterns->built.tag_for(plan.sha);
  plan.target_tag = patterns->migrated.tag_for(plan.sha);
  auto source = reg.resolve_tag(plan.source_tag);
  if (!source) return source.error();
  if (!source->has_value()) {
    return make_error(ErrorCode::kNotFound, fmt::format("{} has no tag {}", plan.registry, plan.source_tag));
  }
  plan.source = std::move(**source);
  auto target = reg.resolve_tag(plan.target_tag);
  if (!target) return target.error();
  plan.target = std::move(*target);
  plan.target_state = state_of(plan.target, plan.source.digest);
  auto mutability = reg.tag_mutability();
  if (mutability) {
    plan.mutability = *mutability;
  } else {
    plan.notes.push_back("tag mutability not known: " + mutability.error().message);
  }
  if (auto s = check_target(plan); !s) return s.error();
  if (plan.mutability == registry::TagMutability::kImmutable && plan.target_state == TargetState::kAbsent) {
    plan.notes.push_back(
        fmt::format("the repository's tags are immutable: once set, {} can never be moved", plan.target_tag));
  }
  if (!plan.no_op()) {
    if (auto s = check_gate(ctx.gate, request, plan.sha, plan); !s) return s.error();
  }
  plan.commands = reg.equivalent_put(plan.target_tag, plan.source);
  return plan;
}

Result<PromoteResult> run_promote(const PromoteContext& ctx, const PromoteRequest& request,
                                  const PromoteHooks& hooks, bool dry_run) {
  AuditRecord record = base_record(ctx, request, dry_run);
  if (auto s = check_writable(*ctx.config, *ctx.env, ctx.read_only_flag); !s)
    return audited<PromoteResult>(ctx.audit, record, s.error());
  auto plan = plan_promote(ctx, request);
  if (!plan) return audited<PromoteResult>(ctx.audit, std::move(record), plan.error());
  record.arguments.set("source_tag", plan->source_tag).set("target_tag", plan->target_tag);
  if (plan->forced_past) {
    record.arguments.set("force_ungated", true).set("gate", *plan->forced_past);
    record.reason = request.reason;
  }
  record.before.set("source_digest", plan->source.digest)
      .set("media_type", plan->source.media_type)
      .set("target", target_fields(plan->target));
  if (hooks.show) hooks.show(*plan);
  PromoteResult result{*plan, dry_run, plan->no_op(), {}};
  if (dry_run) {
    record.outcome = AuditOutcome::kDryRun;
    return audited<PromoteResult>(ctx.audit, std::move(record), std::move(result));
  }
  if (plan->no_op()) {
    // Already done (by the migration Job, or an earlier promote): success without a write.
    result.verified_digest = plan->target->digest;
    record.after.set("target", target_fields(plan->target)).set("no_op", true);
    return audited<PromoteResult>(ctx.audit, std::move(record), std::move(result));
  }
  const auto question = fmt::format("Promote {} in {}: tag {} as {}?", plan->source.digest, request.env,
                                    plan->source_tag, plan->target_tag);
  if (auto s = hooks.confirm(confirmation_for(*ctx.env, question)); !s)
    return audited<PromoteResult>(ctx.audit, std::move(record), s.error());
  auto done = execute(ctx, std::move(result));
  if (done)
    record.after.set("target", AuditFields().set("digest", done->verified_digest)).set("no_op", done->no_op);
  return audited<PromoteResult>(ctx.audit, std::move(record), std::move(done));
}

}  // namespace mgate::backend::ops
