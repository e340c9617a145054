#pragma once
// The promote gate (DESIGN.md §6): a commit's image is promoted only when the environment's
// database is at the heads that image carries.

#include <optional>
#include <string>

#include "backend/alembic/revision_graph.hpp"
#include "backend/db/version_store.hpp"
#include "backend/ops/gate.hpp"
#include "backend/ops/promote_action.hpp"

namespace mgate::backend::ops {

/// The gate over the environment's version table and the code's heads: the commit's own heads
/// when the configuration names the repository (alembic.git), else the configured scripts'.
class DatabaseGate : public PromoteGate {
 public:
  /// `heads_at` (from the git history) gives each commit its own heads; empty: `graph`'s.
  DatabaseGate(db::VersionStore& store, const alembic::RevisionGraph& graph, HeadsAt heads_at = {})
      : store_(store), graph_(graph), heads_at_(std::move(heads_at)) {}

  /// Nothing when the table holds exactly the heads (compared as sets); else why the gate is
  /// closed ("the database is 2 behind: …, not at the heads e4b1f9a7c3d2 the image of 5880242
  /// carries"); an Error when the table cannot be read.
  Result<std::optional<std::string>> blocked(const std::string& sha) override;

 private:
  db::VersionStore& store_;
  const alembic::RevisionGraph& graph_;
  HeadsAt heads_at_;
};

}  // namespace mgate::backend::ops
