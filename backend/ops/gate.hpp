#pragma once
// The gate (DESIGN.md §1): per commit, built → migration Job → database at the heads →
// promoted → deployed, and in words what blocks the next step; plus drift, what runs that the
// gate would not have let through.

#include <functional>
#include <memory>

#include "backend/alembic/revision_graph.hpp"
#include "backend/config/config.hpp"
#include "backend/ops/snapshot.hpp"
#include "backend/registry/tag_model.hpp"

namespace mgate::backend::ops {

/// A commit's own revision graph (its scripts as the git history has them at that commit), or
/// why it cannot be had; empty: every commit is compared with the configured scripts.
using HeadsAt = std::function<Result<std::shared_ptr<const alembic::RevisionGraph>>(const std::string& sha)>;

/// How many commits (newest build first) get a gate.
inline constexpr std::size_t kGateCommits = 20;

/// Fills the snapshot's derived part from its sources: the relation of the database to the
/// heads, the deployed image and commit, Image Updater's predicted pick (when `deploy` is
/// configured), a gate per commit, and the drift. `graph` may be null (the scripts could not be
/// read): the database step is then unknown. With `heads_at`, each commit's database step
/// compares the rows with that commit's own heads (DESIGN.md §1, "DB at that sha's heads").
void evaluate_gate(EnvSnapshot& snapshot, const registry::TagPatterns& patterns, const alembic::RevisionGraph* graph,
                   const config::DeployConfig* deploy = nullptr, const HeadsAt& heads_at = {});

}  // namespace mgate::backend::ops
