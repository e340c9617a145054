#pragma once
// The revision graph of an alembic script directory, with alembic's own semantics: heads and
// bases, branch labels inherited along a branch, the order `alembic history` lists, the path
// `alembic upgrade heads` runs (depends_on included) and revision lookup by prefix or label.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/alembic/diagnostic.hpp"
#include "backend/alembic/script.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::alembic {

/// One revision in the graph: what its file declares, and where it stands.
struct Revision {
  Script script;                           ///< what the file declares
  std::vector<std::string> branch_labels;  ///< its own labels and the inherited ones, sorted
  std::vector<std::string> children;       ///< revisions whose down_revision names it, in load order
  std::vector<std::string> dependents;     ///< revisions whose depends_on names it, in load order
  bool is_head = false;                    ///< no down_revision names it (alembic's `heads`)
  bool is_real_head =
      false;             ///< nothing names it, depends_on included; is_head without it = "effective head"
  bool is_base = false;  ///< its down_revision is None
  bool is_branch_point = false;  ///< two or more children
  bool is_merge_point = false;   ///< two or more down_revisions

  /// The revision id.
  const std::string& id() const { return script.revision; }
};

struct GraphBuild;

/// An immutable, validated revision graph. Revisions keep the order they were loaded in, which
/// decides the order of heads and bases and breaks ties in the history, as in alembic.
class RevisionGraph {
 public:
  /// Validates the scripts (in load order) and builds the graph. Errors, each at file:line:
  /// a duplicate id, an id with '@', '-' or '+', a revision naming itself, a down_revision or
  /// depends_on naming no revision, a branch label used twice or equal to an id, a cycle.
  static GraphBuild build(std::vector<Script> scripts);

  /// Every revision, in load order.
  const std::vector<Revision>& revisions() const { return revisions_; }
  /// The revision with exactly this id, or nullptr.
  const Revision* find(std::string_view id) const;

  /// `alembic heads`: revisions no down_revision names, in load order.
  std::vector<std::string> heads() const { return ids(heads_); }
  /// The `heads` symbol (what `alembic upgrade heads` targets): revisions nothing names,
  /// depends_on included.
  std::vector<std::string> real_heads() const { return ids(real_heads_); }
  /// Revisions whose down_revision is None, in load order.
  std::vector<std::string> bases() const { return ids(bases_); }
  /// Bases without depends_on.
  std::vector<std::string> real_bases() const { return ids(real_bases_); }
  /// Revisions with two or more children, in load order.
  std::vector<std::string> branch_points() const;
  /// Revisions with two or more down_revisions, in load order.
  std::vector<std::string> merge_points() const;

  /// Every revision in the order `alembic history` lists them: heads first, each before its
  /// down_revisions and dependencies (alembic's topological walk, ties broken by load order).
  std::vector<std::string> history() const;

  /// What `alembic upgrade heads` would run, in order, from a version table holding `current`
  /// (empty = base). Errors as alembic's: a row naming no revision, two rows on one line
  /// ("overlaps").
  Result<std::vector<std::string>> upgrade_path(const std::vector<std::string>& current) const;

  /// The revisions an argument names, as alembic resolves it: an id or a unique prefix of one
  /// (over four characters long), a branch label, `label@head`, `label@heads`, `label@<prefix>`,
  /// `heads`, `head` (an error when there are several heads), `base` (no revision).
  Result<std::vector<std::string>> resolve(std::string_view argument) const;

  /// True when a and b are on one line (one is an ancestor of the other, or they are equal),
  /// following down_revision only, or depends_on too.
  bool shares_lineage(std::string_view a, std::string_view b, bool with_dependencies = false) const;

 private:
  friend class GraphBuilder;
  friend class StampPlanner;

  // Index lists in load order; a revision's index is its load position.
  struct Node {
    std::vector<int> down;             // down_revision
    std::vector<int> dependencies;     // depends_on, resolved (labels to their revision)
    std::vector<int> normalized_down;  // down + dependencies not already a dependency of an ancestor
    bool has_normalized_dependencies = false;
    std::vector<int> next;      // children
    std::vector<int> all_next;  // children and dependents, once each
  };
  using Mask = std::vector<std::uint8_t>;

  std::vector<std::string> ids(const std::vector<int>& indices) const;
  int index_of(std::string_view id) const;
  Mask ancestors(const std::vector<int>& from, bool with_dependencies) const;
  Mask descendants(const std::vector<int>& from, bool with_dependencies) const;
  Mask reach(const std::vector<int>& from, std::vector<int> Node::*edges) const;
  Result<std::vector<int>> topological(Mask todo, const std::vector<int>& heads) const;
  Result<std::vector<int>> resolve_indices(std::string_view argument) const;
  Result<int> revision_for(std::string_view id, std::string_view branch) const;
  Result<int> branch_revision(std::string_view branch) const;
  Result<std::vector<int>> lineage_filter(const std::vector<int>& targets, std::string_view check,
                                          bool with_dependencies) const;
  bool shares(int target, const std::vector<int>& against, bool with_dependencies) const;
  Result<std::vector<int>> current_rows(const std::vector<std::string>& rows) const;

  std::vector<Revision> revisions_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, int> by_id_;
  std::unordered_map<std::string, int> by_label_;  // label -> the revision that declares it
  std::vector<std::string> label_order_;           // labels in declaration order, for prefix lookup
  std::vector<int> heads_, real_heads_, bases_, real_bases_;
};

/// What RevisionGraph::build made of a set of scripts.
struct GraphBuild {
  std::optional<RevisionGraph> graph;   ///< absent when any diagnostic is an error
  std::vector<Diagnostic> diagnostics;  ///< duplicate ids, unknown down_revision / depends_on, cycles...
};

}  // namespace mgate::backend::alembic
