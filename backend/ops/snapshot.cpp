#include "backend/ops/snapshot.hpp"

#include <set>

#include "backend/core/json_values.hpp"
#include "backend/kube/job_json.hpp"

namespace mgate::backend::ops {
namespace {

using Json = nlohmann::json;

Json snapshot_error_json(const std::optional<Error>& e) {
  if (!e) return nullptr;
  return {{"code", to_string(e->code)}, {"message", e->message}, {"detail", e->detail}};
}

/// The part every source shares: ok / stale / failed, when, how long, why; and its value as
/// `value_json` writes it, when there is one.
template <typename T, typename ValueJson>
Json source_json(const Sourced<T>& s, ValueJson&& value_json) {
  const char* state = s.error ? (s.value ? "stale" : "failed") : (s.value ? "ok" : "absent");
  return {{"state", state},
          {"fetched_at", time_or_null(s.fetched_at)},
          {"took_ms", s.took.count()},
          {"error", snapshot_error_json(s.error)},
          {"value", s.value ? Json(value_json(*s.value)) : Json(nullptr)}};
}

bool job_in_flight(const kube::MigrationJob& job) {
  using kube::JobPhase;
  const JobPhase phase = job.status.phase;
  return phase == JobPhase::kPending || phase == JobPhase::kActive || phase == JobPhase::kSuccessCriteriaMet ||
         phase == JobPhase::kFailureTarget;
}

// The Jobs a status shows: the newest few, every one in flight, and those the gates name; the
// whole list is `mgate jobs --json`'s. A namespace with thousands of Jobs would otherwise make
// the status megabytes long.
Json jobs_json(const JobsData& d, const std::vector<ShaGate>& gates) {
  std::set<std::string> named;
  for (const auto& g : gates)
    if (g.job) named.insert(*g.job);
  Json jobs = Json::array();
  const std::size_t n = d.jobs.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& view = d.jobs[i].view;
    if (n - i <= kStatusRecentJobs || job_in_flight(view) || named.contains(view.name)) {
      jobs.push_back(kube::to_json(d.jobs[i], d.pods[i]));
    }
  }
  return {{"namespace", d.ns}, {"total", n}, {"jobs", jobs}};
}

// The commits the gates judge, and the one that runs; the whole model is `mgate tags --json`'s.
Json tags_json(const registry::TagModel& model, const EnvSnapshot& s) {
  std::set<std::string> shown;
  for (const auto& g : s.gates) shown.insert(g.sha);
  if (s.deployed_sha) shown.insert(*s.deployed_sha);
  return registry::to_json(model, &shown);
}

Json deploy_json(const DeployData& d) {
  Json out = {{"container", d.container}, {"deployment", nullptr}, {"application", nullptr},
              {"application_error", or_null(d.application_error)}};
  if (d.deployment) {
    Json containers = Json::array();
    for (const auto& c : d.deployment->containers) containers.push_back({{"name", c.name}, {"image", c.image}});
    out["deployment"] = {{"name", d.deployment->name},        {"containers", containers},
                         {"replicas", d.deployment->replicas}, {"ready", d.deployment->ready},
                         {"updated", d.deployment->updated},   {"available", d.deployment->available},
                         {"rolled_out", d.deployment->rolled_out()}};
  }
  if (d.application) {
    const auto& a = *d.application;
    out["application"] = {{"name", a.name},
                          {"sync", a.sync_status},
                          {"revision", a.sync_revision},
                          {"health", a.health_status},
                          {"operation", a.operation_phase},
                          {"operation_message", a.operation_message}};
  }
  return out;
}

Json gate_json(const ShaGate& g) {
  return {{"sha", g.sha},
          {"built", g.built},
          {"job", or_null(g.job)},
          {"job_status", g.job_status},
          {"database_at_heads", or_null(g.database_at_heads)},
          {"heads", g.relation ? Json(g.relation->heads) : Json(nullptr)},
          {"heads_from", g.heads_from},
          {"promoted", g.promoted},
          {"deployed", g.deployed},
          {"blocked_at", to_string(g.blocked_at)},
          {"blocking", g.blocking}};
}

Json prediction_json(const Prediction& p) {
  Json verdicts = Json::array();
  for (const auto& v : p.verdicts) verdicts.push_back({{"tag", v.tag}, {"kind", to_string(v.kind)}, {"reason", v.reason}});
  return {{"next_tag", p.next ? Json(p.next->tag) : Json(nullptr)},
          {"changes", p.changes},
          {"why", p.why},
          {"candidates", p.candidates},
          {"verdicts", verdicts},
          {"notes", p.notes}};
}

}  // namespace

const char* to_string(GateStep step) {
  switch (step) {
    case GateStep::kBuilt:
      return "built";
    case GateStep::kMigrationJob:
      return "migration_job";
    case GateStep::kDatabase:
      return "database";
    case GateStep::kPromoted:
      return "promoted";
    case GateStep::kDeployed:
      return "deployed";
    case GateStep::kDone:
      break;
  }
  return "done";
}

bool EnvSnapshot::partial() const {
  return jobs.error || database.error || heads.error || tags.error || deploy.error;
}

const ShaGate* EnvSnapshot::current_gate() const {
  for (const auto& g : gates)
    if (g.built) return &g;
  return gates.empty() ? nullptr : &gates.front();
}

Json to_json(const EnvSnapshot& s) {
  Json gates = Json::array();
  for (const auto& g : s.gates) gates.push_back(gate_json(g));
  const ShaGate* current = s.current_gate();
  Json relation = nullptr;
  if (s.relation) {
    relation = {{"kind", alembic::to_string(s.relation->kind)},
                {"sentence", s.relation->sentence()},
                {"pending", s.relation->pending}};
  }
  return {{"env", s.env},
          {"taken_at", format_rfc3339(s.taken_at)},
          {"partial", s.partial()},
          {"gate", current ? gate_json(*current) : Json(nullptr)},
          {"gates", gates},
          {"relation", relation},
          {"deployed_image", or_null(s.deployed_image)},
          {"deployed_sha", or_null(s.deployed_sha)},
          {"drift", s.drift},
          {"image_updater", s.prediction ? prediction_json(*s.prediction) : Json(nullptr)},
          {"sources",
           {{"jobs", source_json(s.jobs, [&](const JobsData& d) { return jobs_json(d, s.gates); })},
            {"database", source_json(s.database,
                                     [](const DatabaseData& d) {
                                       return Json{{"database", d.database},
                                                   {"table_exists", d.state.table_exists},
                                                   {"rows", d.state.rows}};
                                     })},
            {"heads", source_json(s.heads,
                                  [](const HeadsData& d) { return Json{{"scripts", d.scripts}, {"heads", d.heads}}; })},
            {"tags", source_json(s.tags, [&](const registry::TagModel& m) { return tags_json(m, s); })},
            {"deploy", source_json(s.deploy, deploy_json)}}}};
}

}  // namespace mgate::backend::ops
