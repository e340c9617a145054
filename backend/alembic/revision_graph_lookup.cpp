// RevisionGraph::resolve: revision arguments as alembic's RevisionMap resolves them (ids, unique
// prefixes, branch labels, `label@…`, `heads`, `head`, `base`).

#include <fmt/format.h>

#include <algorithm>

#include "backend/alembic/revision_graph.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {
namespace {

// alembic matches a prefix only against keys longer than this.
constexpr std::size_t kShortestMatchable = 3;
// How many candidates an ambiguous-prefix error lists.
constexpr std::size_t kListedCandidates = 10;

// A negative number is a relative step ("-1"), which alembic walks from the heads.
bool is_negative_number(std::string_view s) {
  s = trim(s);
  if (s.size() < 2 || s.front() != '-') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

bool RevisionGraph::shares(int target, const std::vector<int>& against, bool with_dependencies) const {
  if (against.empty()) return true;
  const Mask up = ancestors({target}, with_dependencies);
  const Mask down = descendants({target}, with_dependencies);
  return std::any_of(against.begin(), against.end(), [&](int a) {
    return up[static_cast<std::size_t>(a)] || down[static_cast<std::size_t>(a)];
  });
}

bool RevisionGraph::shares_lineage(std::string_view a, std::string_view b, bool with_dependencies) const {
  const int ia = index_of(a), ib = index_of(b);
  return ia >= 0 && ib >= 0 && shares(ia, {ib}, with_dependencies);
}

Result<int> RevisionGraph::branch_revision(std::string_view branch) const {
  if (int i = index_of(branch); i >= 0) return i;
  if (auto it = by_label_.find(std::string(branch)); it != by_label_.end()) return it->second;
  auto rev = revision_for(branch, {});
  if (!rev) return make_error(ErrorCode::kNotFound, fmt::format("No such branch: '{}'", branch));
  return rev;
}

Result<int> RevisionGraph::revision_for(std::string_view id, std::string_view branch) const {
  int branch_rev = -1;
  if (!branch.empty()) {
    auto b = branch_revision(branch);
    if (!b) return b.error();
    branch_rev = *b;
  }
  int found = index_of(id);
  if (auto it = by_label_.find(std::string(id)); found < 0 && it != by_label_.end()) found = it->second;
  if (found < 0) {
    if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "an empty revision identifier");
    std::vector<std::string> keys;
    for (const auto& r : revisions_)
      if (r.id().size() > kShortestMatchable && r.id().starts_with(id)) keys.push_back(r.id());
    for (const auto& label : label_order_)
      if (label.size() > kShortestMatchable && label.starts_with(id)) keys.push_back(label);
    if (branch_rev >= 0) {
      std::vector<std::string> kept;
      for (const auto& key : keys) {
        auto k = revision_for(key, {});
        if (k && shares(*k, {branch_rev}, false)) kept.push_back(key);
      }
      keys = std::move(kept);
    }
    if (keys.empty()) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("No such revision or branch '{}'{}", id,
                                    id.size() <= kShortestMatchable
                                        ? "; please ensure at least four characters are present for partial "
                                          "revision identifier matches"
                                        : ""));
    }
    if (keys.size() > 1) {
      std::vector<std::string> listed;
      for (std::size_t i = 0; i < keys.size() && i < kListedCandidates; ++i)
        listed.push_back("'" + keys[i] + "'");
      const std::string more =
          keys.size() > kListedCandidates ? fmt::format(" and {} more", keys.size() - kListedCandidates) : "";
      return make_error(ErrorCode::kInvalidArgument, fmt::format("Multiple revisions start with '{}': {}{}",
                                                                 id, join(listed, ", "), more));
    }
    found = index_of(keys.front());
    if (found < 0) found = by_label_.at(keys.front());
  }
  if (branch_rev >= 0 && !shares(found, {branch_rev}, false)) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("Revision {} is not a member of branch '{}'",
                                  revisions_[static_cast<std::size_t>(found)].id(), branch));
  }
  return found;
}

// alembic's filter_for_lineage: the targets on a line with what `check` names (its branch part
// and the revisions of its id part).
Result<std::vector<int>> RevisionGraph::lineage_filter(const std::vector<int>& targets,
                                                       std::string_view check, bool with_dependencies) const {
  std::vector<std::string> shares_with;
  std::string_view id = check;
  if (const auto at = check.find('@'); at != std::string_view::npos) {
    if (at > 0) shares_with.emplace_back(check.substr(0, at));
    id = check.substr(at + 1);
  }
  if (id == "heads" || id == "head") {
    auto symbol = resolve_indices(check);
    if (!symbol) return symbol.error();
    for (int i : *symbol) shares_with.push_back(revisions_[static_cast<std::size_t>(i)].id());
  } else if (id != "base") {
    shares_with.emplace_back(id);
  }
  std::vector<int> against;
  for (const auto& s : shares_with) {
    auto r = revision_for(s, {});
    if (!r) return r.error();
    against.push_back(*r);
  }
  std::vector<int> out;
  for (int t : targets)
    if (shares(t, against, with_dependencies)) out.push_back(t);
  return out;
}

Result<std::vector<int>> RevisionGraph::resolve_indices(std::string_view argument) const {
  std::string_view branch, id = argument;
  if (const auto at = argument.find('@'); at != std::string_view::npos) {
    branch = argument.substr(0, at);
    id = argument.substr(at + 1);
  }
  std::vector<int> named;
  if (id == "heads" || id == "head") {
    std::vector<int> heads = id == "heads" && branch.empty() ? real_heads_ : heads_;
    if (!branch.empty()) {
      auto filtered = lineage_filter(heads, branch, false);
      if (!filtered) return filtered.error();
      heads = std::move(*filtered);
    }
    if (id == "head" && heads.size() > 1) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("Multiple head revisions are present for given argument '{}'; please specify a "
                      "specific target revision, '<branchname>@{}' to narrow to a specific head, or "
                      "'heads' for all heads ({})",
                      argument, id, join(ids(heads), ", ")));
    }
    named = std::move(heads);
  } else if (id == "base") {
    return named;
  } else if (is_negative_number(id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("relative revision '{}' is not supported; name a revision", argument));
  } else {
    auto r = revision_for(id, branch);
    if (!r) return r.error();
    return std::vector<int>{*r};
  }
  for (int h : named) {
    auto r = revision_for(revisions_[static_cast<std::size_t>(h)].id(), branch);
    if (!r) return r.error();
  }
  return named;
}

Result<std::vector<std::string>> RevisionGraph::resolve(std::string_view argument) const {
  auto r = resolve_indices(argument);
  if (!r) return r.error();
  return ids(*r);
}

}  // namespace mgate::backend::alembic
