#include "backend/ops/gate.hpp"

#include <fmt/format.h>

#include "backend/core/strings.hpp"
#include "backend/kube/job_json.hpp"
#include "backend/kube/view_json.hpp"

namespace mgate::backend::ops {
namespace {

std::string rows_text(const DatabaseData& db) {
  if (!db.state.table_exists) return "no version table";
  if (db.state.rows.empty()) return "base (no rows)";
  return join(db.state.rows, ", ");
}

/// "DB at 0a7f4d3e6c58, d2c6a8e1f3b9 (1 behind: e4b1f9a7c3d2)", or why it is not known.
std::string database_words(const EnvSnapshot& s, const std::optional<alembic::Relation>& relation) {
  if (!s.database.value) return "database not read";
  std::string text = "DB at " + rows_text(*s.database.value);
  if (relation) text += " (" + relation->sentence() + ")";
  return text;
}

/// The newest migration Job that ran this commit's image, with its pods.
std::pair<const kube::JobEntry*, const std::vector<kube::PodView>*> newest_job(const JobsData& jobs,
                                                                              const std::string& sha) {
  for (std::size_t i = jobs.jobs.size(); i-- > 0;) {
    if (jobs.jobs[i].view.sha == sha) return {&jobs.jobs[i], &jobs.pods[i]};
  }
  return {nullptr, nullptr};
}

/// The migration Job step: passed, or why not.
std::optional<std::string> job_blocker(const EnvSnapshot& s, const registry::ShaImages& row, ShaGate& gate) {
  if (!s.jobs.value) {
    if (row.migrated) return std::nullopt;  // the Job did its work: the tag is its proof
    return "migration Jobs unknown: " + (s.jobs.error ? s.jobs.error->message : std::string("not read"));
  }
  const auto [job, pods] = newest_job(*s.jobs.value, row.sha);
  if (job != nullptr) {
    gate.job = job->view.name;
    gate.job_status = kube::to_string(job->view.status.phase);
  }
  if (job == nullptr) {
    if (row.migrated) return std::nullopt;
    return fmt::format("no migration Job has run {} yet (CI submits it after the push; `mgate resubmit --sha {}` "
                       "runs one)",
                       short_commit(row.sha), row.sha.substr(0, 7));
  }
  const kube::MigrationJob& j = job->view;
  const auto attempts = kube::attempts_with_restarts(j, *pods);
  const std::string tries = fmt::format("{} attempt{}", attempts, attempts == 1 ? "" : "s");
  switch (j.status.phase) {
    case kube::JobPhase::kComplete:
    case kube::JobPhase::kSuccessCriteriaMet:
      return std::nullopt;
    case kube::JobPhase::kFailed:
    case kube::JobPhase::kFailureTarget:
      return fmt::format("migration Job {} failed: {} after {}; {}", j.name,
                         j.status.reason.empty() ? std::string("no reason given") : j.status.reason, tries,
                         database_words(s, gate.relation));
    case kube::JobPhase::kSuspended:
      return fmt::format("migration Job {} is suspended; {}", j.name, database_words(s, gate.relation));
    case kube::JobPhase::kPending:
    case kube::JobPhase::kActive:
      break;
  }
  return fmt::format("migration Job {} is running ({}{}); {}", j.name, tries,
                     j.duration ? ", for " + kube::short_duration(*j.duration) : std::string(), database_words(s, gate.relation));
}

std::optional<std::string> database_blocker(const EnvSnapshot& s, ShaGate& gate) {
  if (!gate.relation) {
    const auto& e = s.database.error ? s.database.error : s.heads.error;
    return "database state unknown: " + (e ? e->message : std::string("not read"));
  }
  gate.database_at_heads = gate.relation->kind == alembic::Relation::Kind::kAtHeads;
  if (*gate.database_at_heads) return std::nullopt;
  std::string text = database_words(s, gate.relation);
  if (gate.job && gate.job_status == "Complete") {
    text += fmt::format(", although migration Job {} completed: was the database restored?", *gate.job);
  }
  return text;
}

std::optional<std::string> promote_blocker(const registry::ShaImages& row, const registry::TagPatterns& patterns,
                                           ShaGate& gate) {
  gate.promoted = row.migrated && row.same_digest();
  if (gate.promoted) return std::nullopt;
  if (row.migrated && row.built) {
    return fmt::format("{} names {}, not the built {}: the migrated tag is on another image", row.migrated->tag,
                       row.migrated->digest, row.built->digest);
  }
  return fmt::format("{} does not exist: the migration Job tags it when it succeeds (`mgate promote` does it by hand)",
                     patterns.migrated.tag_for(row.sha));
}

std::optional<std::string> deploy_blocker(const EnvSnapshot& s, const registry::ShaImages& row, ShaGate& gate) {
  if (!s.deploy.value || !s.deploy.value->deployment) {
    return "what runs is unknown: " +
           (s.deploy.error ? s.deploy.error->message : std::string("no deploy.deployment configured"));
  }
  const std::string tag(kube::image_tag(s.deployed_image.value_or("")));
  gate.deployed = row.migrated && tag == row.migrated->tag;
  if (gate.deployed) return std::nullopt;
  std::string why = fmt::format("{} is not deployed: the Deployment {} runs {}", row.migrated->tag,
                                s.deploy.value->deployment->name, tag.empty() ? s.deployed_image.value_or("?") : tag);
  if (s.prediction) {
    for (const auto& v : s.prediction->verdicts) {
      if (v.tag == row.migrated->tag) why += "; Image Updater: " + v.reason;
    }
  }
  return why;
}

/// The database against the commit's own heads when the history gives them, else the scripts'.
void relate_commit(const EnvSnapshot& s, const HeadsAt& heads_at, ShaGate& gate) {
  gate.relation = s.relation;
  gate.heads_from = "scripts";
  if (!heads_at || !s.database.value) return;
  auto graph = heads_at(gate.sha);
  if (!graph) {
    gate.heads_from = "scripts (the commit's own could not be read: " + graph.error().message + ")";
    return;
  }
  gate.relation = alembic::relate(**graph, s.database.value->state.rows);
  gate.heads_from = "git";
}

ShaGate gate_of(const EnvSnapshot& s, const registry::ShaImages& row, const registry::TagPatterns& patterns,
                const HeadsAt& heads_at) {
  ShaGate gate;
  gate.sha = row.sha;
  gate.built = row.built.has_value();
  relate_commit(s, heads_at, gate);
  auto block = [&gate](GateStep step, std::string why) {
    gate.blocked_at = step;
    gate.blocking = std::move(why);
    return gate;
  };
  if (!gate.built) {
    return block(GateStep::kBuilt, fmt::format("no built tag {}", patterns.built.tag_for(row.sha)));
  }
  if (auto why = job_blocker(s, row, gate)) return block(GateStep::kMigrationJob, *why);
  if (auto why = database_blocker(s, gate)) return block(GateStep::kDatabase, *why);
  if (auto why = promote_blocker(row, patterns, gate)) return block(GateStep::kPromoted, *why);
  if (auto why = deploy_blocker(s, row, gate)) return block(GateStep::kDeployed, *why);
  gate.blocked_at = GateStep::kDone;
  return gate;
}

/// Image Updater's pick over the tag model: the Application's settings when it was read, else
/// the configuration's; the migrated tags are the ones explained.
Prediction gate_prediction(const EnvSnapshot& s, const config::DeployConfig& deploy) {
  std::optional<kube::UpdaterImage> app;
  if (s.deploy.value && s.deploy.value->application && s.deploy.value->application->image_updater.enabled()) {
    app = s.deploy.value->application->image_updater.images.front();
  }
  PredictionInput in;
  in.rule = updater_rule(deploy, app);
  in.repository = s.deployed_image ? std::string(kube::image_name(*s.deployed_image)) : std::string();
  in.tags = registry_tags(*s.tags.value);
  in.current_image = s.deployed_image.value_or("");
  for (const auto& row : s.tags.value->shas) {
    if (row.migrated) in.asked.push_back(row.migrated->tag);
  }
  return predict_next_deploy(in);
}

void find_drift(EnvSnapshot& s, const registry::TagPatterns& patterns) {
  if (!s.deployed_image) return;
  const std::string tag(kube::image_tag(*s.deployed_image));
  if (!patterns.migrated.match(tag)) {
    s.drift.push_back(fmt::format("the Deployment runs {}, which is not a migrated tag ({})", *s.deployed_image,
                                  patterns.migrated.text()));
  }
  // The heads of what runs: the deployed commit's own when its gate has them.
  std::optional<alembic::Relation> relation = s.relation;
  for (const auto& g : s.gates) {
    if (s.deployed_sha && g.sha == *s.deployed_sha && g.relation) relation = g.relation;
  }
  if (relation && relation->kind != alembic::Relation::Kind::kAtHeads) {
    s.drift.push_back(fmt::format("the Deployment runs {} while the database is {}", tag, relation->sentence()));
  }
}

}  // namespace

void evaluate_gate(EnvSnapshot& s, const registry::TagPatterns& patterns, const alembic::RevisionGraph* graph,
                   const config::DeployConfig* deploy, const HeadsAt& heads_at) {
  if (s.database.value && graph != nullptr) s.relation = alembic::relate(*graph, s.database.value->state.rows);
  if (s.deploy.value && s.deploy.value->deployment) {
    s.deployed_image = s.deploy.value->deployment->image_of(s.deploy.value->container);
    if (s.deployed_image) {
      const std::string tag(kube::image_tag(*s.deployed_image));
      if (auto sha = patterns.migrated.match(tag)) s.deployed_sha = *sha;
      else if (auto built = patterns.built.match(tag)) s.deployed_sha = *built;
    }
  }
  if (deploy != nullptr && s.tags.value) s.prediction = gate_prediction(s, *deploy);
  if (s.tags.value) {
    for (const auto& row : s.tags.value->shas) {
      if (s.gates.size() >= kGateCommits) break;
      s.gates.push_back(gate_of(s, row, patterns, heads_at));
    }
  }
  find_drift(s, patterns);
}

}  // namespace mgate::backend::ops
