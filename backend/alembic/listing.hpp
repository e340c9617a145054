#pragma once
// The text `alembic heads` and `alembic history` print, and mgate's JSON for the same lists
// (documented in docs/cli-json.md).

#include <nlohmann/json.hpp>

#include <string>

#include "backend/alembic/revision_graph.hpp"
#include "backend/alembic/script_directory.hpp"

namespace mgate::backend::alembic {

/// One `alembic heads` line: "<id> (<labels>) (head)", or "(effective head)" for a head that
/// another revision depends on. Labels are printed sorted (alembic prints them in set order).
std::string head_line(const Revision& revision);

/// One `alembic history` line: "<down> [(<depends_on>)] -> <id> [(<labels>)] [(head)]
/// [(branchpoint)] [(mergepoint)], <message>"; a base's down is "<base>".
std::string history_line(const Revision& revision);

/// What `alembic heads` prints: a line per head, in load order.
std::string heads_text(const RevisionGraph& graph);

/// What `alembic history` prints: a line per revision, newest first, in alembic's order.
std::string history_text(const RevisionGraph& graph);

/// A revision as JSON: id, parents, dependencies, labels, message, file and flags.
nlohmann::json revision_json(const Revision& revision);

/// `mgate heads --json`: {"scripts", "heads": [revision…], "warnings": [diagnostic…]}.
nlohmann::json heads_json(const ScriptDirectory& directory);

/// `mgate history --json`: {"scripts", "heads", "bases", "revisions": [revision…, history order],
/// "warnings"}.
nlohmann::json history_json(const ScriptDirectory& directory);

}  // namespace mgate::backend::alembic
