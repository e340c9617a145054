#pragma once
// How a database's version rows relate to the code's revision graph.

#include <string>
#include <vector>

#include "backend/alembic/revision_graph.hpp"

namespace mgate::backend::alembic {

/// Where a version table stands against the scripts: one value for the console, the CLI and the
/// gate.
struct Relation {
  /// The cases an operator has to tell apart, in the order relate() checks them.
  enum class Kind {
    kUnknown,  ///< a row names a revision the scripts lack: ahead of this code, or restored from elsewhere
    kInconsistent,   ///< two rows on one line (one is an ancestor of the other): alembic refuses to upgrade
    kAtHeads,        ///< the rows are exactly the heads (compared as sets)
    kOnBranch,       ///< several heads: some rows are heads, other heads are not applied
    kMultipleHeads,  ///< several heads, none applied: `upgrade head` fails until a merge revision exists
    kBehind,         ///< one head, not reached: `pending` lists what `upgrade head` runs
  };
  Kind kind = Kind::kBehind;
  std::vector<std::string> current;  ///< the version rows, sorted, once each (empty = base, never migrated)
  std::vector<std::string> heads;    ///< the code's heads, what `upgrade heads` targets, in load order
  std::vector<std::string> pending;  ///< what `alembic upgrade heads` would run, in order
  std::vector<std::string> unknown;  ///< rows no revision file defines, sorted
  std::string detail;                ///< kInconsistent: alembic's own message

  /// One sentence for a person, e.g. "2 behind: 48871d03964b, 1f2e0c9d7a61".
  std::string sentence() const;

  /// Field-wise equality.
  bool operator==(const Relation&) const = default;
};

/// A stable lower-case name for a Relation::Kind ("at_heads"), used in JSON.
const char* to_string(Relation::Kind kind);

/// Relates version rows (any order, duplicates ignored) to the graph. Rows must be exact ids: a
/// prefix or a label in a version table is a row alembic did not write.
Relation relate(const RevisionGraph& graph, const std::vector<std::string>& rows);

}  // namespace mgate::backend::alembic
