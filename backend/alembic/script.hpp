#pragma once
// What one revision file declares, read without running it.

#include <string>
#include <vector>

namespace mgate::backend::alembic {

/// One revision file: the module attributes alembic reads, and where each was assigned.
struct Script {
  std::string revision;                     ///< `revision`: the id, whatever the file says
  std::vector<std::string> down_revisions;  ///< `down_revision`: empty = a base, 2+ = a merge
  std::vector<std::string> branch_labels;   ///< `branch_labels` as declared (not inherited ones)
  std::vector<std::string> depends_on;      ///< `depends_on`: ids or branch labels, as declared
  /// The docstring's first paragraph (alembic's `Script.doc`): usually its first line, the
  /// message given to `alembic revision -m`.
  std::string message;
  std::string create_date;     ///< the docstring's "Create Date:" value; empty when absent
  std::string path;            ///< the file, as found in its version location
  int revision_line = 0;       ///< 1-based line of the `revision` assignment; 0 = from the file name
  int down_revision_line = 0;  ///< line of the `down_revision` assignment
  int branch_labels_line = 0;  ///< line of the `branch_labels` assignment; 0 = absent
  int depends_on_line = 0;     ///< line of the `depends_on` assignment; 0 = absent

  /// Field-wise equality.
  bool operator==(const Script&) const = default;
};

}  // namespace mgate::backend::alembic
