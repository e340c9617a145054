#include "backend/alembic/listing.hpp"

#include "backend/core/strings.hpp"

namespace mgate::backend::alembic {
namespace {

std::string labels_part(const Revision& r) {
  return r.branch_labels.empty() ? std::string() : " (" + join(r.branch_labels, ", ") + ")";
}

std::string head_part(const Revision& r) {
  if (r.is_real_head) return " (head)";
  return r.is_head ? " (effective head)" : "";
}

nlohmann::json warnings_json(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : diagnostics) {
    if (d.severity != Diagnostic::Severity::kWarning) continue;
    out.push_back({{"file", d.file}, {"line", d.line}, {"message", d.message}});
  }
  return out;
}

std::string scripts_of(const ScriptDirectory& directory) {
  return directory.source.origin.string();
}

}  // namespace

std::string head_line(const Revision& r) {
  return r.id() + labels_part(r) + head_part(r);
}

std::string history_line(const Revision& r) {
  const auto& s = r.script;
  std::string text = s.down_revisions.empty() ? "<base>" : join(s.down_revisions, ", ");
  if (!s.depends_on.empty()) text += " (" + join(s.depends_on, ", ") + ")";
  text += " -> " + r.id() + labels_part(r) + head_part(r);
  if (r.is_branch_point) text += " (branchpoint)";
  if (r.is_merge_point) text += " (mergepoint)";
  return text + ", " + s.message;
}

std::string heads_text(const RevisionGraph& graph) {
  std::string out;
  for (const auto& id : graph.heads()) out += head_line(*graph.find(id)) + "\n";
  return out;
}

std::string history_text(const RevisionGraph& graph) {
  std::string out;
  for (const auto& id : graph.history()) out += history_line(*graph.find(id)) + "\n";
  return out;
}

nlohmann::json revision_json(const Revision& r) {
  const auto& s = r.script;
  return {
      {"revision", r.id()},
      {"down_revisions", s.down_revisions},
      {"depends_on", s.depends_on},
      {"branch_labels", r.branch_labels},
      {"own_branch_labels", s.branch_labels},
      {"message", s.message},
      {"create_date", s.create_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.create_date)},
      {"path", s.path},
      {"line", s.revision_line},
      {"head", r.is_head},
      {"effective_head", r.is_head && !r.is_real_head},
      {"base", r.is_base},
      {"branch_point", r.is_branch_point},
      {"merge_point", r.is_merge_point},
  };
}

nlohmann::json heads_json(const ScriptDirectory& directory) {
  nlohmann::json heads = nlohmann::json::array();
  for (const auto& id : directory.graph->heads()) heads.push_back(revision_json(*directory.graph->find(id)));
  return {{"scripts", scripts_of(directory)},
          {"heads", heads},
          {"warnings", warnings_json(directory.diagnostics)}};
}

nlohmann::json history_json(const ScriptDirectory& directory) {
  const RevisionGraph& g = *directory.graph;
  nlohmann::json revisions = nlohmann::json::array();
  for (const auto& id : g.history()) revisions.push_back(revision_json(*g.find(id)));
  return {{"scripts", scripts_of(directory)},
          {"heads", g.heads()},
          {"bases", g.bases()},
          {"revisions", revisions},
          {"warnings", warnings_json(directory.diagnostics)}};
}

}  // namespace mgate::backend::alembic
