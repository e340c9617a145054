// The gate over a snapshot built by hand: each step's blocking sentence, and each commit compared
// with its own heads when the history gives them (the real snapshots of the seeded scenarios are
// judged in tests/integration/kube_status_test.cpp).

#include "backend/ops/gate.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::ops {
namespace {

constexpr const char* kGateOld = "aaaaaaa1";  // migrated, deployed; its scripts end at r1
constexpr const char* kGateNew = "bbbbbbb2";  // built, migrated by its Job; its scripts add r2
constexpr const char* kGateRepo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";

alembic::Script gate_script(const std::string& id, std::vector<std::string> down) {
  alembic::Script s;
  s.revision = id;
  s.down_revisions = std::move(down);
  s.path = id + ".py";
  return s;
}

std::shared_ptr<const alembic::RevisionGraph> gate_graph(std::vector<alembic::Script> scripts) {
  auto built = alembic::RevisionGraph::build(std::move(scripts));
  EXPECT_TRUE(built.graph.has_value());
  return std::make_shared<const alembic::RevisionGraph>(std::move(*built.graph));
}

registry::TagState gate_tag(const std::string& name, const std::string& digest) {
  registry::TagState t;
  t.tag = name;
  t.digest = digest;
  return t;
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Environment env;
    env.name = "stage";
    env.registry.built_tag = "stage-{sha}";
    env.registry.migrated_tag = "stage-migrated-{sha}";
    patterns_ = *registry::TagPatterns::for_env(env);
    scripts_ = gate_graph({gate_script("r1", {}), gate_script("r2", {"r1"})});
    old_scripts_ = gate_graph({gate_script("r1", {})});

    registry::TagModel tags;
    registry::ShaImages newer;
    newer.sha = kGateNew;
    newer.built = gate_tag(std::string("stage-") + kGateNew, "sha256:bb");
    registry::ShaImages older;
    older.sha = kGateOld;
    older.built = gate_tag(std::string("stage-") + kGateOld, "sha256:aa");
    older.migrated = gate_tag(std::string("stage-migrated-") + kGateOld, "sha256:aa");
    tags.shas = {newer, older};
    s_.tags.value = std::make_shared<const registry::TagModel>(tags);

    s_.database.value = std::make_shared<const DatabaseData>(DatabaseData{"db", db::VersionState{true, {"r1"}}});

    kube::JobEntry job;
    job.view.name = "db-migration-bbbbbbb";
    job.view.sha = kGateNew;
    job.view.status.phase = kube::JobPhase::kComplete;
    job.view.succeeded = 1;
    JobsData jobs;
    jobs.jobs = {job};
    jobs.pods = {{}};
    s_.jobs.value = std::make_shared<const JobsData>(jobs);

    DeployData deploy;
    deploy.container = "app";
    kube::DeploymentView d;
    d.name = "udab-server";
    d.containers = {{"app", std::string(kGateRepo) + ":stage-migrated-" + kGateOld}};
    deploy.deployment = d;
    s_.deploy.value = std::make_shared<const DeployData>(deploy);
  }

  HeadsAt own_heads() const {
    return [this](const std::string& sha) -> Result<std::shared_ptr<const alembic::RevisionGraph>> {
      if (sha == kGateOld) return old_scripts_;
      if (sha == kGateNew) return scripts_;
      return make_error(ErrorCode::kNotFound, "commit " + sha + " is not in the repository");
    };
  }

  registry::TagPatterns patterns_;
  std::shared_ptr<const alembic::RevisionGraph> scripts_;
  std::shared_ptr<const alembic::RevisionGraph> old_scripts_;
  EnvSnapshot s_;
};

TEST_F(GateTest, EachCommitIsComparedWithItsOwnHeads) {
  evaluate_gate(s_, patterns_, scripts_.get(), nullptr, own_heads());
  ASSERT_EQ(s_.gates.size(), 2u);
  const ShaGate& newer = s_.gates[0];
  EXPECT_EQ(newer.sha, kGateNew);
  EXPECT_EQ(newer.blocked_at, GateStep::kDatabase);
  EXPECT_EQ(newer.heads_from, "git");
  EXPECT_EQ(newer.blocking,
            "DB at r1 (1 behind: r2), although migration Job db-migration-bbbbbbb completed: was the database "
            "restored?");
  const ShaGate& older = s_.gates[1];
  EXPECT_EQ(older.blocked_at, GateStep::kDone) << older.blocking;
  EXPECT_EQ(older.database_at_heads, true) << "r1 is the old commit's own head";
  EXPECT_TRUE(older.deployed);
  EXPECT_EQ(s_.deployed_sha, kGateOld);
  EXPECT_TRUE(s_.drift.empty()) << "the database is at the heads of what runs";
}

TEST_F(GateTest, WithoutTheHistoryEveryCommitMeetsTheConfiguredHeads) {
  evaluate_gate(s_, patterns_, scripts_.get());
  ASSERT_EQ(s_.gates.size(), 2u);
  EXPECT_EQ(s_.gates[1].blocked_at, GateStep::kDatabase);
  EXPECT_EQ(s_.gates[1].heads_from, "scripts");
  EXPECT_EQ(s_.gates[1].blocking, "DB at r1 (1 behind: r2)");
  ASSERT_EQ(s_.drift.size(), 1u);
  EXPECT_EQ(s_.drift[0], std::string("the Deployment runs stage-migrated-") + kGateOld + " while the database is 1 behind: r2");
}

TEST_F(GateTest, AnUnreadableCommitFallsBackToTheScriptsAndSaysSo) {
  evaluate_gate(s_, patterns_, scripts_.get(), nullptr, [](const std::string& sha) -> Result<std::shared_ptr<const alembic::RevisionGraph>> {
    return make_error(ErrorCode::kNotFound, "commit " + sha + " is not in the repository");
  });
  EXPECT_EQ(s_.gates[0].heads_from,
            std::string("scripts (the commit's own could not be read: commit ") + kGateNew + " is not in the repository)");
  EXPECT_EQ(s_.gates[0].blocked_at, GateStep::kDatabase);
}

TEST_F(GateTest, AFailedJobNamesItsReasonAttemptsAndTheDatabase) {
  JobsData jobs = *s_.jobs.value;
  jobs.jobs[0].view.status.phase = kube::JobPhase::kFailed;
  jobs.jobs[0].view.status.reason = "BackoffLimitExceeded";
  jobs.jobs[0].view.failed = 4;
  jobs.jobs[0].view.succeeded = 0;
  jobs.jobs[0].view.attempts = 4;
  s_.jobs.value = std::make_shared<const JobsData>(jobs);
  evaluate_gate(s_, patterns_, scripts_.get(), nullptr, own_heads());
  EXPECT_EQ(s_.gates[0].blocked_at, GateStep::kMigrationJob);
  EXPECT_EQ(s_.gates[0].blocking,
            "migration Job db-migration-bbbbbbb failed: BackoffLimitExceeded after 4 attempts; DB at r1 (1 behind: r2)");
  EXPECT_EQ(s_.current_gate(), &s_.gates[0]);
}

TEST_F(GateTest, NoJobYetAndAMissingMigratedTagAreNamed) {
  s_.jobs.value = std::make_shared<const JobsData>(JobsData{});
  evaluate_gate(s_, patterns_, scripts_.get());
  EXPECT_EQ(s_.gates[0].blocked_at, GateStep::kMigrationJob);
  EXPECT_EQ(s_.gates[0].blocking,
            "no migration Job has run bbbbbbb2 yet (CI submits it after the push; `mgate resubmit --sha bbbbbbb` runs "
            "one)");

  EnvSnapshot at_heads = s_;
  at_heads.gates.clear();
  at_heads.drift.clear();
  at_heads.database.value = std::make_shared<const DatabaseData>(DatabaseData{"db", db::VersionState{true, {"r2"}}});
  JobsData done = *s_.jobs.value;
  kube::JobEntry job;
  job.view.name = "db-migration-bbbbbbb";
  job.view.sha = kGateNew;
  job.view.status.phase = kube::JobPhase::kComplete;
  done.jobs = {job};
  done.pods = {{}};
  at_heads.jobs.value = std::make_shared<const JobsData>(done);
  evaluate_gate(at_heads, patterns_, scripts_.get());
  EXPECT_EQ(at_heads.gates[0].blocked_at, GateStep::kPromoted);
  EXPECT_EQ(at_heads.gates[0].blocking,
            "stage-migrated-bbbbbbb2 does not exist: the migration Job tags it when it succeeds (`mgate promote` does "
            "it by hand)");
}

}  // namespace
}  // namespace mgate::backend::ops
