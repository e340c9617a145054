#include "backend/ops/snapshot.hpp"

#include <set>

#include "backend/kube/job_json.hpp"

namespace mgate::backend::ops {
namespace {

using Json = nlohmann::json;

Json snapshot_error_json(const std::optional<Error>& e) {
  if (!e) return nullptr;
  return {{"code", to_string(e->code)}, {"message", e->message}, {"detail", e->detail}};
}

/// The part every source shares: ok / stale / failed, when, how long, why.
template <typename T>
Json source_json(const Sourced<T>& s, Json value) {
  const char* state = s.error ? (s.value ? "stale" : "failed") : (s.value ? "ok" : "absent");
  return {{"state", state},
          {"fetched_at", s.fetched_at ? Json(format_rfc3339(*s.fetched_at)) : Json(nullptr)},
          {"took_ms", s.took.count()},
          {"error", snapshot_error_json(s.error)},
          {"value", s.value ? std::move(value) : Json(nullptr)}};
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
              {"application_error", d.application_error ? Json(*d.application_error) : Json(nullptr)}};
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
          {"job", g.job ? Json(*g.job) : Json(nullptr)},
          {"job_status", g.job_status},
          {"database_at_heads", g.database_at_heads ? Json(*g.database_at_heads) : Json(nullptr)},
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
  Json database = nullptr;
  if (s.database.value) {
    database = {{"database", s.database.value->database},
                {"table_exists", s.database.value->state.table_exists},
                {"rows", s.database.value->state.rows}};
  }
  Json heads = nullptr;
  if (s.heads.value) heads = {{"scripts", s.heads.value->scripts}, {"heads", s.heads.value->heads}};
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
          {"deployed_image", s.deployed_image ? Json(*s.deployed_image) : Json(nullptr)},
          {"deployed_sha", s.deployed_sha ? Json(*s.deployed_sha) : Json(nullptr)},
          {"drift", s.drift},
          {"image_updater", s.prediction ? prediction_json(*s.prediction) : Json(nullptr)},
          {"sources",
           {{"jobs", source_json(s.jobs, s.jobs.value ? jobs_json(*s.jobs.value, s.gates) : Json(nullptr))},
            {"database", source_json(s.database, database)},
            {"heads", source_json(s.heads, heads)},
            {"tags", source_json(s.tags, s.tags.value ? tags_json(*s.tags.value, s) : Json(nullptr))},
            {"deploy", source_json(s.deploy, s.deploy.value ? deploy_json(*s.deploy.value) : Json(nullptr))}}}};
}

}  // namespace mgate::backend::ops
