#include "backend/alembic/stamp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace mgate::backend::alembic {

// alembic's ScriptDirectory._stamp_revs (the steps) and HeadMaintainer.update_to_step (what each
// step does to the rows), step for step.
class StampPlanner {
 public:
  StampPlanner(const RevisionGraph& graph, std::vector<std::string> rows)
      : g_(graph), rows_(std::move(rows)) {}

  Result<std::vector<std::string>> run(std::vector<std::string> targets) {
    std::vector<int> heads;
    for (const auto& row : rows_) {
      const int i = g_.index_of(row);
      if (i < 0) {
        return make_error(
            ErrorCode::kInvalidArgument,
            fmt::format("the version table holds '{}', which no revision file defines: alembic's stamp "
                        "fails on it (Can't locate revision identified by '{}'); only a stamp with "
                        "purge can replace it",
                        row, row));
      }
      heads.push_back(i);
    }
    if (targets.empty()) targets.push_back("base");
    std::vector<int> filtered;
    std::vector<std::optional<int>> dests;
    for (const auto& target : targets) {
      if (target.empty()) continue;
      auto on_line = g_.lineage_filter(heads, target, true);
      if (!on_line) return on_line.error();
      for (int h : *on_line)
        if (std::find(filtered.begin(), filtered.end(), h) == filtered.end()) filtered.push_back(h);
    }
    for (const auto& target : targets) {
      auto named = g_.resolve_indices(target);
      if (!named) return named.error();
      dests.insert(dests.end(), named->begin(), named->end());
    }
    if (dests.empty()) dests.push_back(std::nullopt);
    for (const auto& dest : dests) {
      auto status = step(filtered, dest);
      if (!status) return status.error();
    }
    return rows_;
  }

 private:
  struct Step {
    std::vector<std::string> from;
    std::vector<std::string> to;
    bool upgrade = true;
    bool branch_move = false;
  };

  std::string id(int i) const { return g_.revisions_[static_cast<std::size_t>(i)].id(); }

  Status step(const std::vector<int>& filtered, const std::optional<int>& dest) {
    if (!dest) {
      for (int h : filtered) {
        auto s = apply(Step{{id(h)}, {}, false, true});
        if (!s) return s;
      }
      return ok_status();
    }
    if (std::find(filtered.begin(), filtered.end(), *dest) != filtered.end()) return ok_status();
    std::vector<std::string> from;
    for (int h : filtered) from.push_back(id(h));
    const auto below = g_.descendants({*dest}, true);
    const auto above = g_.ancestors({*dest}, true);
    auto any_in = [&filtered](const RevisionGraph::Mask& m) {
      return std::any_of(filtered.begin(), filtered.end(),
                         [&m](int h) { return m[static_cast<std::size_t>(h)] != 0; });
    };
    if (any_in(below)) {
      // alembic asserts that no current row is both above and below the target.
      if (any_in(above)) return fail(fmt::format("rows lie both above and below '{}'", id(*dest)));
      return apply(Step{from, {id(*dest)}, false, false});
    }
    if (any_in(above)) return apply(Step{from, {id(*dest)}, true, false});
    return apply(Step{{}, {id(*dest)}, true, true});
  }

  bool has(const std::string& row) const { return std::find(rows_.begin(), rows_.end(), row) != rows_.end(); }

  Status fail(const std::string& what) const {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("alembic's stamp fails from this state ({}); stamp with purge instead", what));
  }

  Status remove(const std::string& row) {
    auto it = std::find(rows_.begin(), rows_.end(), row);
    if (it == rows_.end()) return fail(fmt::format("it would delete '{}', which is no longer a row", row));
    rows_.erase(it);
    return ok_status();
  }

  Status update(const std::string& from, const std::string& to) {
    if (has(to)) return fail(fmt::format("'{}' is already a row", to));
    auto it = std::find(rows_.begin(), rows_.end(), from);
    if (it == rows_.end()) return fail(fmt::format("it would update '{}', which is no longer a row", from));
    *it = to;
    return ok_status();
  }

  Status apply(const Step& s) {
    auto missing = [this](const std::vector<std::string>& ids) {
      return std::any_of(ids.begin(), ids.end(), [this](const std::string& r) { return !has(r); });
    };
    if (!s.upgrade && s.branch_move) return remove(s.from.front());
    if (s.upgrade && (s.branch_move || missing(s.from)) && missing(s.to)) {
      rows_.push_back(s.to.front());
      return ok_status();
    }
    if (s.from.size() > 1) {
      for (std::size_t i = 0; i + 1 < s.from.size(); ++i) {
        auto r = remove(s.from[i]);
        if (!r) return r;
      }
      return update(s.from.back(), s.to.front());
    }
    if (s.from.size() != 1) return fail(fmt::format("'{}' is already a row", s.to.front()));
    return update(s.from.front(), s.to.front());
  }

  const RevisionGraph& g_;
  std::vector<std::string> rows_;
};

Result<std::vector<std::string>> stamp_rows(const RevisionGraph& graph,
                                            const std::vector<std::string>& current_rows,
                                            const std::vector<std::string>& targets) {
  std::vector<std::string> rows;
  for (const auto& r : current_rows)
    if (std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
  return StampPlanner(graph, std::move(rows)).run(targets);
}

}  // namespace mgate::backend::alembic
