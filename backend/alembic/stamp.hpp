#pragma once
// What alembic's non-purge `stamp` leaves in the version table, computed without a database.

#include <string>
#include <vector>

#include "backend/alembic/revision_graph.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// The version rows `alembic stamp <targets>` (without --purge) would leave, starting from
/// `current_rows`. Targets are what alembic accepts: ids, unique prefixes, branch labels,
/// `label@head`, `heads`, `head`, `base`; none means `base`.
///
/// As alembic: a target replaces the rows on its own line (moving them up or down, or merging
/// several into one), a target on no current row's line is added as a new branch, rows of
/// unrelated branches stay, and `base` deletes the rows of the lines it names. Errors: a current
/// row no revision file defines (alembic fails on it; only a purge stamp can replace it), a
/// target that does not resolve, and the states where alembic's own stamp fails.
/// Rows keep the order of `current_rows`; a new row comes last.
Result<std::vector<std::string>> stamp_rows(const RevisionGraph& graph,
                                            const std::vector<std::string>& current_rows,
                                            const std::vector<std::string>& targets);

}  // namespace mgate::backend::alembic
