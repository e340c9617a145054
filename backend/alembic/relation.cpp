#include "backend/alembic/relation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {
namespace {

// How many ids a sentence lists before "and N more".
constexpr std::size_t kListed = 5;

std::string listing(const std::vector<std::string>& ids) {
  std::vector<std::string> shown(ids.begin(),
                                 ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), kListed)));
  std::string out = join(shown, ", ");
  if (ids.size() > kListed) out += fmt::format(" and {} more", ids.size() - kListed);
  return out;
}

std::string behind(const std::vector<std::string>& pending) {
  return fmt::format("{} behind: {}", pending.size(), listing(pending));
}

}  // namespace

const char* to_string(Relation::Kind kind) {
  switch (kind) {
    case Relation::Kind::kUnknown:
      return "unknown";
    case Relation::Kind::kInconsistent:
      return "inconsistent";
    case Relation::Kind::kAtHeads:
      return "at_heads";
    case Relation::Kind::kOnBranch:
      return "on_branch";
    case Relation::Kind::kMultipleHeads:
      return "multiple_heads";
    case Relation::Kind::kBehind:
      return "behind";
  }
  return "unknown";
}

std::string Relation::sentence() const {
  switch (kind) {
    case Kind::kUnknown:
      return fmt::format(
          "unknown revision{} {}: no revision file defines {} (the database is ahead of this code, "
          "or was restored from another history)",
          unknown.size() == 1 ? "" : "s", join(unknown, ", "), unknown.size() == 1 ? "it" : "them");
    case Kind::kInconsistent:
      return "inconsistent version rows: " + detail;
    case Kind::kAtHeads:
      if (heads.empty()) return "no revisions in the scripts, none applied";
      return fmt::format("at head{} {}", heads.size() == 1 ? "" : "s", join(heads, ", "));
    case Kind::kOnBranch: {
      std::vector<std::string> missing;
      for (const auto& h : heads)
        if (!std::binary_search(current.begin(), current.end(), h)) missing.push_back(h);
      return fmt::format("on a branch: head{} {} not applied; {}", missing.size() == 1 ? "" : "s",
                         join(missing, ", "), behind(pending));
    }
    case Kind::kMultipleHeads:
      return fmt::format(
          "the scripts have {} heads ({}): `alembic upgrade head` fails until a merge revision joins "
          "them; {} for `upgrade heads`",
          heads.size(), join(heads, ", "), behind(pending));
    case Kind::kBehind:
      return current.empty() ? "not migrated (base): " + behind(pending) : behind(pending);
  }
  return {};
}

Relation relate(const RevisionGraph& graph, const std::vector<std::string>& rows) {
  Relation out;
  const std::set<std::string> unique(rows.begin(), rows.end());
  out.current.assign(unique.begin(), unique.end());
  out.heads = graph.real_heads();
  for (const auto& row : out.current)
    if (graph.find(row) == nullptr) out.unknown.push_back(row);
  if (!out.unknown.empty()) {
    out.kind = Relation::Kind::kUnknown;
    return out;
  }
  auto path = graph.upgrade_path(out.current);
  if (!path) {
    out.kind = Relation::Kind::kInconsistent;
    out.detail = path.error().message;
    return out;
  }
  out.pending = std::move(*path);
  const std::set<std::string> heads(out.heads.begin(), out.heads.end());
  if (heads == unique) {
    out.kind = Relation::Kind::kAtHeads;
  } else if (heads.size() > 1) {
    const bool some_head = std::any_of(out.current.begin(), out.current.end(),
                                       [&](const std::string& r) { return heads.count(r) != 0; });
    out.kind = some_head ? Relation::Kind::kOnBranch : Relation::Kind::kMultipleHeads;
  } else {
    out.kind = Relation::Kind::kBehind;
  }
  return out;
}

}  // namespace mgate::backend::alembic
