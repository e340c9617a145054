// RevisionGraph queries: traversal, the history order and the upgrade path.

#include "backend/alembic/revision_graph.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {

const Revision* RevisionGraph::find(std::string_view id) const {
  const int i = index_of(id);
  return i < 0 ? nullptr : &revisions_[static_cast<std::size_t>(i)];
}

int RevisionGraph::index_of(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? -1 : it->second;
}

std::vector<std::string> RevisionGraph::ids(const std::vector<int>& indices) const {
  std::vector<std::string> out;
  out.reserve(indices.size());
  for (int i : indices) out.push_back(revisions_[static_cast<std::size_t>(i)].id());
  return out;
}

std::vector<std::string> RevisionGraph::branch_points() const {
  std::vector<std::string> out;
  for (const auto& r : revisions_)
    if (r.is_branch_point) out.push_back(r.id());
  return out;
}

std::vector<std::string> RevisionGraph::merge_points() const {
  std::vector<std::string> out;
  for (const auto& r : revisions_)
    if (r.is_merge_point) out.push_back(r.id());
  return out;
}

RevisionGraph::Mask RevisionGraph::ancestors(const std::vector<int>& from, bool with_dependencies) const {
  return reach(from, with_dependencies ? &Node::normalized_down : &Node::down);
}

RevisionGraph::Mask RevisionGraph::descendants(const std::vector<int>& from, bool with_dependencies) const {
  return reach(from, with_dependencies ? &Node::all_next : &Node::next);
}

// Every node reachable from `from` along one kind of edge, `from` included.
RevisionGraph::Mask RevisionGraph::reach(const std::vector<int>& from, std::vector<int> Node::*edges) const {
  Mask seen(nodes_.size(), 0);
  std::vector<int> todo(from.begin(), from.end());
  while (!todo.empty()) {
    const auto i = static_cast<std::size_t>(todo.back());
    todo.pop_back();
    if (seen[i]) continue;
    seen[i] = 1;
    for (int d : nodes_[i].*edges)
      if (!seen[static_cast<std::size_t>(d)]) todo.push_back(d);
  }
  return seen;
}

// alembic's RevisionMap._topological_sort, step for step: walk down from the heads (sorted by
// load order), staying on one head's line until a revision that another head still needs is
// reached, then switching to that head. The resulting order is what `alembic history` prints
// and, reversed, what `alembic upgrade` runs.
Result<std::vector<int>> RevisionGraph::topological(Mask todo, const std::vector<int>& heads) const {
  std::vector<int> current;
  for (int h : heads)
    if (todo[static_cast<std::size_t>(h)] && std::find(current.begin(), current.end(), h) == current.end())
      current.push_back(h);
  std::sort(current.begin(), current.end());
  std::vector<Mask> above;
  for (int h : current) above.push_back(ancestors({h}, true));
  std::vector<int> out;
  std::size_t idx = 0;
  // The walk always ends on a valid graph; the bound turns a bug into an error, not a hang.
  const std::size_t limit = (nodes_.size() + 2) * (nodes_.size() + 2) + 1000;
  for (std::size_t step = 0; !current.empty(); ++step) {
    if (step > limit) return make_error(ErrorCode::kInternal, "the revision order did not converge");
    const int candidate = current[idx];
    const auto c = static_cast<std::size_t>(candidate);
    bool moved = false;
    for (std::size_t k = 0; k < above.size(); ++k) {
      if (k != idx && above[k][c]) {
        idx = k;  // another head needs this revision first
        moved = true;
        break;
      }
    }
    if (moved) continue;
    if (todo[c]) {
      out.push_back(candidate);
      todo[c] = 0;
    }
    std::vector<int> add;
    for (int r : nodes_[c].normalized_down)
      if (todo[static_cast<std::size_t>(r)] && std::find(current.begin(), current.end(), r) == current.end())
        add.push_back(r);
    if (add.empty()) {
      current.erase(current.begin() + static_cast<std::ptrdiff_t>(idx));
      above.erase(above.begin() + static_cast<std::ptrdiff_t>(idx));
      idx = idx > 0 ? idx - 1 : 0;
    } else if (!nodes_[c].has_normalized_dependencies && revisions_[c].script.down_revisions.size() == 1) {
      current[idx] = add.front();
      above[idx][c] = 0;
    } else {
      current[idx] = add.front();
      above[idx] = ancestors({add.front()}, true);
      for (std::size_t k = 1; k < add.size(); ++k) {
        current.push_back(add[k]);
        above.push_back(ancestors({add[k]}, true));
      }
    }
  }
  return out;
}

std::vector<std::string> RevisionGraph::history() const {
  // Every revision is an ancestor of a real head in a graph without cycles.
  auto order = topological(ancestors(real_heads_, true), real_heads_);
  return order ? ids(*order) : std::vector<std::string>{};
}

Result<std::vector<int>> RevisionGraph::current_rows(const std::vector<std::string>& rows) const {
  std::vector<int> current;
  for (const auto& row : rows) {
    auto resolved = resolve_indices(row);
    if (!resolved) {
      return make_error(ErrorCode::kNotFound, fmt::format("Can't locate revision identified by '{}'", row),
                        resolved.error().message);
    }
    current.insert(current.end(), resolved->begin(), resolved->end());
  }
  // alembic refuses a state where one row is an ancestor of another.
  for (int r : current) {
    const auto above = ancestors({r}, true);
    std::vector<std::string> overlaps;
    for (int other : current)
      if (other != r && above[static_cast<std::size_t>(other)])
        overlaps.push_back(revisions_[static_cast<std::size_t>(other)].id());
    if (!overlaps.empty()) {
      std::sort(overlaps.begin(), overlaps.end());
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("Requested revision {} overlaps with other requested revisions {}",
                                    revisions_[static_cast<std::size_t>(r)].id(), join(overlaps, ", ")));
    }
  }
  return current;
}

Result<std::vector<std::string>> RevisionGraph::upgrade_path(const std::vector<std::string>& current) const {
  auto rows = current_rows(current);
  if (!rows) return rows.error();
  Mask needed = ancestors(real_heads_, true);
  const Mask done = ancestors(*rows, true);
  for (std::size_t i = 0; i < needed.size(); ++i) needed[i] = needed[i] && !done[i];
  auto order = topological(std::move(needed), real_heads_);
  if (!order) return order.error();
  std::reverse(order->begin(), order->end());
  return ids(*order);
}

}  // namespace mgate::backend::alembic
