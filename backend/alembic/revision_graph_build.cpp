// RevisionGraph::build: validation, linking, and the derived facts alembic's RevisionMap computes
// when it is first used (heads, bases, normalized dependencies, inherited branch labels).

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "backend/alembic/revision_graph.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::vector<Script> scripts) : scripts_(std::move(scripts)) {}

  GraphBuild run() {
    index_ids();
    index_labels();
    link();
    if (!has_errors(diagnostics_)) find_cycles();
    GraphBuild out;
    if (!has_errors(diagnostics_)) {
      normalize_dependencies();
      classify();
      inherit_labels();
      out.graph = std::move(g_);
    }
    out.diagnostics = std::move(diagnostics_);
    return out;
  }

 private:
  using Node = RevisionGraph::Node;

  std::string file(const Script& s) const { return s.path; }
  std::string where(const Script& s, int line) const { return fmt::format("{}:{}", file(s), line); }
  void error(const Script& s, int line, std::string message) {
    diagnostics_.push_back(error_at(file(s), line, std::move(message)));
  }

  void index_ids() {
    g_.revisions_.reserve(scripts_.size());
    g_.by_id_.reserve(scripts_.size());
    for (auto& script : scripts_) {
      const std::string& id = script.revision;
      if (auto it = g_.by_id_.find(id); it != g_.by_id_.end()) {
        const Script& first = g_.revisions_[static_cast<std::size_t>(it->second)].script;
        error(script, script.revision_line,
              fmt::format("revision '{}' is already defined at {}", id, where(first, first.revision_line)));
        continue;
      }
      if (id.empty()) error(script, script.revision_line, "the revision id is empty");
      const auto bad = id.find_first_of("@-+");
      if (bad != std::string::npos) {
        error(script, script.revision_line,
              fmt::format("revision id '{}' contains '{}': alembic does not allow '@', '-' or '+' in ids", id,
                          id[bad]));
      }
      for (const auto& d : script.down_revisions)
        if (d == id)
          error(script, script.down_revision_line, fmt::format("down_revision names '{}' itself", id));
      for (const auto& d : script.depends_on)
        if (d == id) error(script, script.depends_on_line, fmt::format("depends_on names '{}' itself", id));
      g_.by_id_.emplace(id, static_cast<int>(g_.revisions_.size()));
      g_.revisions_.push_back(Revision{std::move(script), {}, {}, {}, false, false, false, false, false});
    }
    scripts_.clear();
    g_.nodes_.resize(g_.revisions_.size());
  }

  void index_labels() {
    for (std::size_t i = 0; i < g_.revisions_.size(); ++i) {
      const Script& s = g_.revisions_[i].script;
      for (const auto& label : s.branch_labels) {
        if (auto it = g_.by_id_.find(label); it != g_.by_id_.end()) {
          error(s, s.branch_labels_line,
                fmt::format("branch label '{}' is also the id of a revision", label));
        } else if (auto used = g_.by_label_.find(label); used != g_.by_label_.end()) {
          const Script& other = g_.revisions_[static_cast<std::size_t>(used->second)].script;
          error(s, s.branch_labels_line,
                fmt::format("branch label '{}' is already used by revision {} ({})", label, other.revision,
                            where(other, other.branch_labels_line)));
        } else {
          g_.by_label_.emplace(label, static_cast<int>(i));
          g_.label_order_.push_back(label);
        }
      }
    }
  }

  std::string suggestion(const std::string& word) const {
    std::vector<std::string> ids;
    ids.reserve(g_.revisions_.size());
    for (const auto& r : g_.revisions_) ids.push_back(r.id());
    auto close = did_you_mean(word, ids);
    return close ? fmt::format("; did you mean '{}'?", *close) : std::string();
  }

  static void add_once(std::vector<int>& v, int x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }

  void link() {
    for (std::size_t i = 0; i < g_.revisions_.size(); ++i) {
      const Script& s = g_.revisions_[i].script;
      Node& node = g_.nodes_[i];
      for (const auto& d : s.down_revisions) {
        if (auto it = g_.by_id_.find(d); it != g_.by_id_.end()) {
          if (d != s.revision) add_once(node.down, it->second);
        } else if (g_.by_label_.count(d) != 0) {
          error(s, s.down_revision_line,
                fmt::format("down_revision names branch label '{}'; alembic needs a revision id there", d));
        } else {
          error(s, s.down_revision_line,
                fmt::format("down_revision names '{}', which no revision file defines{}", d, suggestion(d)));
        }
      }
      for (const auto& d : s.depends_on) {
        auto it = g_.by_id_.find(d);
        auto label = g_.by_label_.find(d);
        if (it != g_.by_id_.end()) {
          if (d != s.revision) node.dependencies.push_back(it->second);
        } else if (label != g_.by_label_.end()) {
          if (label->second != static_cast<int>(i)) node.dependencies.push_back(label->second);
        } else {
          error(s, s.depends_on_line,
                fmt::format("depends_on names '{}', which is neither a revision id nor a branch label{}", d,
                            suggestion(d)));
        }
      }
    }
  }

  // Strongly connected components that hold a cycle, following down_revision (and depends_on
  // when with_dependencies), each as a sorted list of indices.
  std::vector<std::vector<int>> cycles(bool with_dependencies) const;
  void report_cycles(const std::vector<std::vector<int>>& components, std::string_view kind);

  void find_cycles() {
    const auto versioned = cycles(false);
    if (!versioned.empty()) {
      report_cycles(versioned, "down_revision");
      return;
    }
    report_cycles(cycles(true), "down_revision and depends_on");
  }

  void normalize_dependencies();
  void classify();
  void inherit_labels();

  std::vector<Script> scripts_;
  RevisionGraph g_;
  std::vector<Diagnostic> diagnostics_;
};

std::vector<std::vector<int>> GraphBuilder::cycles(bool with_dependencies) const {
  // Tarjan's algorithm, iterative: histories can be long enough to exhaust a recursive one.
  const int n = static_cast<int>(g_.nodes_.size());
  std::vector<int> index(static_cast<std::size_t>(n), -1), low(static_cast<std::size_t>(n), 0);
  std::vector<std::uint8_t> on_stack(static_cast<std::size_t>(n), 0);
  std::vector<int> stack;
  std::vector<std::vector<int>> out;
  int counter = 0;
  struct Frame {
    int v;
    std::size_t next = 0;  // over down, then dependencies
  };
  auto edge = [this, with_dependencies](int v, std::size_t k) {
    const Node& node = g_.nodes_[static_cast<std::size_t>(v)];
    if (k < node.down.size()) return node.down[k];
    k -= node.down.size();
    return with_dependencies && k < node.dependencies.size() ? node.dependencies[k] : -1;
  };
  for (int root = 0; root < n; ++root) {
    if (index[static_cast<std::size_t>(root)] >= 0) continue;
    std::vector<Frame> frames;
    auto enter = [&](int v) {
      index[static_cast<std::size_t>(v)] = low[static_cast<std::size_t>(v)] = counter++;
      stack.push_back(v);
      on_stack[static_cast<std::size_t>(v)] = 1;
      frames.push_back(Frame{v, 0});
    };
    // The stack down to v is one component; only one that holds a cycle is kept.
    auto pop_component = [&](int v) {
      std::vector<int> component;
      int w = -1;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[static_cast<std::size_t>(w)] = 0;
        component.push_back(w);
      } while (w != v);
      if (component.size() > 1) {
        std::sort(component.begin(), component.end());
        out.push_back(std::move(component));
      }
    };
    enter(root);
    while (!frames.empty()) {
      Frame& f = frames.back();
      const auto v = static_cast<std::size_t>(f.v);
      if (const int w = edge(f.v, f.next); w >= 0) {
        ++f.next;
        const auto wi = static_cast<std::size_t>(w);
        if (index[wi] < 0) {
          enter(w);
        } else if (on_stack[wi]) {
          low[v] = std::min(low[v], index[wi]);
        }
        continue;
      }
      if (low[v] == index[v]) pop_component(f.v);
      const int done = f.v;
      frames.pop_back();
      if (!frames.empty()) {
        const auto parent = static_cast<std::size_t>(frames.back().v);
        low[parent] = std::min(low[parent], low[static_cast<std::size_t>(done)]);
      }
    }
  }
  return out;
}

void GraphBuilder::report_cycles(const std::vector<std::vector<int>>& components, std::string_view kind) {
  for (const auto& component : components) {
    std::vector<std::string> names;
    for (int i : component) names.push_back(g_.revisions_[static_cast<std::size_t>(i)].id());
    const Script& first = g_.revisions_[static_cast<std::size_t>(component.front())].script;
    error(first, first.down_revision_line,
          fmt::format("cycle through {}: revisions {} lead back to themselves", kind, join(names, ", ")));
  }
}

void GraphBuilder::normalize_dependencies() {
  // alembic drops a dependency that an ancestor (by down_revision) already depends on.
  for (std::size_t i = 0; i < g_.nodes_.size(); ++i) {
    Node& node = g_.nodes_[i];
    node.normalized_down = node.down;
    if (node.dependencies.empty()) continue;
    const auto above = g_.ancestors({static_cast<int>(i)}, false);
    std::set<int> inherited;
    for (std::size_t a = 0; a < above.size(); ++a) {
      if (above[a] && a != i)
        inherited.insert(g_.nodes_[a].dependencies.begin(), g_.nodes_[a].dependencies.end());
    }
    std::vector<int> kept;
    for (int d : node.dependencies)
      if (inherited.count(d) == 0 && std::find(kept.begin(), kept.end(), d) == kept.end()) kept.push_back(d);
    node.has_normalized_dependencies = !kept.empty();
    for (int d : kept) add_once(node.normalized_down, d);
  }
}

void GraphBuilder::classify() {
  const std::size_t n = g_.nodes_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = g_.nodes_[i];
    std::vector<int> all_down = node.down;
    for (int d : node.dependencies) add_once(all_down, d);
    for (int d : node.down) g_.nodes_[static_cast<std::size_t>(d)].next.push_back(static_cast<int>(i));
    for (int d : all_down) g_.nodes_[static_cast<std::size_t>(d)].all_next.push_back(static_cast<int>(i));
    for (int d : node.dependencies) {
      auto& dependents = g_.revisions_[static_cast<std::size_t>(d)].dependents;
      if (dependents.empty() || dependents.back() != g_.revisions_[i].id())
        dependents.push_back(g_.revisions_[i].id());
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    Revision& r = g_.revisions_[i];
    const Node& node = g_.nodes_[i];
    for (int c : node.next) r.children.push_back(g_.revisions_[static_cast<std::size_t>(c)].id());
    r.is_head = node.next.empty();
    r.is_real_head = node.all_next.empty();
    r.is_base = r.script.down_revisions.empty();
    r.is_branch_point = node.next.size() > 1;
    r.is_merge_point = r.script.down_revisions.size() > 1;
    const int self = static_cast<int>(i);
    if (r.is_head) g_.heads_.push_back(self);
    if (r.is_real_head) g_.real_heads_.push_back(self);
    if (r.is_base) g_.bases_.push_back(self);
    if (r.is_base && r.script.depends_on.empty()) g_.real_bases_.push_back(self);
  }
}

void GraphBuilder::inherit_labels() {
  // A label covers every descendant of the revision declaring it (down_revision links only,
  // through merges too). alembic also walks down from the top of that set, labelling ancestors
  // until a branch point (depends_on counted) or a merge point; that walk reaches below the
  // declaring revision only when its descendants form a plain line, which is the rule here.
  const std::size_t n = g_.nodes_.size();
  std::vector<std::vector<int>> owners(n);  // the labelled revisions whose labels each revision carries
  for (std::size_t r = 0; r < n; ++r) {
    if (g_.revisions_[r].script.branch_labels.empty()) continue;
    const int owner = static_cast<int>(r);
    const auto below = g_.descendants({owner}, false);
    bool plain = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (!below[i]) continue;
      owners[i].push_back(owner);
      plain =
          plain && g_.nodes_[i].all_next.size() <= 1 && g_.revisions_[i].script.down_revisions.size() <= 1;
    }
    if (!plain || g_.nodes_[r].down.empty()) continue;
    auto p = static_cast<std::size_t>(g_.nodes_[r].down.front());
    while (g_.nodes_[p].all_next.size() <= 1 && g_.revisions_[p].script.down_revisions.size() <= 1) {
      owners[p].push_back(owner);
      if (g_.nodes_[p].down.empty()) break;
      p = static_cast<std::size_t>(g_.nodes_[p].down.front());
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto& labels = g_.revisions_[i].branch_labels;
    for (int owner : owners[i]) {
      const auto& own = g_.revisions_[static_cast<std::size_t>(owner)].script.branch_labels;
      labels.insert(labels.end(), own.begin(), own.end());
    }
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  }
}

GraphBuild RevisionGraph::build(std::vector<Script> scripts) {
  return GraphBuilder(std::move(scripts)).run();
}

}  // namespace mgate::backend::alembic
