#include "backend/ops/database_gate.hpp"

#include <fmt/format.h>

#include "backend/alembic/relation.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::ops {

Result<std::optional<std::string>> DatabaseGate::blocked(const std::string& sha) {
  auto state = store_.read();
  if (!state) return state.error();
  std::shared_ptr<const alembic::RevisionGraph> own;
  if (heads_at_) {
    auto graph = heads_at_(sha);
    if (!graph) return graph.error();
    own = std::move(*graph);
  }
  const alembic::Relation relation = alembic::relate(own ? *own : graph_, state->rows);
  if (relation.kind == alembic::Relation::Kind::kAtHeads) return std::optional<std::string>();
  return std::optional<std::string>(fmt::format("gate closed: the database is {}, not at the head{} {} the image of "
                                                "{} carries",
                                                relation.sentence(), relation.heads.size() == 1 ? "" : "s",
                                                join(relation.heads, ", "), sha.substr(0, 7)));
}

}  // namespace mgate::backend::ops
