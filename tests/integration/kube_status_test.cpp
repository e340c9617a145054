// `mgate status` on each seeded scenario (tests/sandbox/scenarios), each in a sandbox of its own:
// the gate of the newest commit and what blocks it, as the JSON states them; and a service
// stopped mid-run, which marks only its own source while the others still answer.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend/ops/refresher.hpp"
#include "tests/integration/shared_sandbox.hpp"
#include "tests/integration/kube_migration_support.hpp"
#include "tests/integration/kube_support.hpp"
#include "tests/integration/scenario_fixture.hpp"

namespace mgate::sandbox::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
namespace ops = backend::ops;

/// Sets variables in this process for a scope, then puts back what was there: the refresher
/// reads its environment (KUBECONFIG, the database URL, AWS_*) as mgate does, and the other tests
/// of this binary must not inherit a stopped sandbox's endpoints.
class ScopedEnv {
 public:
  explicit ScopedEnv(const EnvVars& vars) {
    for (const auto& [k, v] : vars) {
      const char* old = std::getenv(k.c_str());
      saved_.emplace_back(k, old == nullptr ? std::nullopt : std::optional<std::string>(old));
      ::setenv(k.c_str(), v.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class KubeStatus : public ScenarioTest {
 protected:
  void seed(const std::string& name) {
    ASSERT_NO_FATAL_FAILURE(apply(name));
    dir_ = make_test_dir("kube-status");
    ASSERT_TRUE(sandbox_->write_config(dir_ / "mgate.yaml").ok());
  }

  EnvVars env() const {
    EnvVars vars = sandbox_->environment(dir_ / "mgate.yaml");
    vars.emplace_back("XDG_STATE_HOME", (dir_ / "state").string());
    return vars;
  }

  // `mgate --env stage status --json`: the exit code and the stage environment's object.
  std::pair<int, Json> status() const {
    const CommandResult r = run_mgate(env(), {"--env", "stage", "status", "--json"});
    const Json out = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << r.out << r.err;
    if (out.is_discarded()) return {r.exit_code, Json()};
    EXPECT_EQ(out["schema"], "mgate.status/v1");
    return {r.exit_code, out["environments"][0]};
  }

  // Every source answered, and the gate names `key`'s commit, blocked at `step` (or done).
  Json expect_gate(const std::string& key, const std::string& step) const {
    const auto [code, env] = status();
    EXPECT_EQ(code, 0) << env.dump(2);
    for (const char* source : {"jobs", "database", "heads", "tags", "deploy"})
      EXPECT_EQ(env["sources"][source]["state"], "ok") << source << ": " << env["sources"][source]["error"].dump();
    EXPECT_EQ(env["gate"]["sha"], sha(key)) << env["gate"].dump(2);
    EXPECT_EQ(env["gate"]["blocked_at"], step) << env["gate"].dump(2);
    return env;
  }

  fs::path dir_;
};

TEST_F(KubeStatus, HealthyPassesEveryStep) {
  ASSERT_NO_FATAL_FAILURE(seed("healthy"));
  const Json env = expect_gate("A", "done");
  EXPECT_EQ(env["gate"]["blocking"], "");
  EXPECT_EQ(env["gate"]["job"], "db-migration-" + sha("A").substr(0, 7));
  EXPECT_EQ(env["gate"]["database_at_heads"], true);
  EXPECT_EQ(env["gate"]["promoted"], true);
  EXPECT_EQ(env["gate"]["deployed"], true);
  EXPECT_EQ(env["deployed_sha"], sha("A"));
  EXPECT_EQ(env["drift"], Json::array());
  EXPECT_EQ(env["relation"]["kind"], "at_heads");
}

TEST_F(KubeStatus, MigrationRunningIsBlockedAtItsRunningJob) {
  ASSERT_NO_FATAL_FAILURE(seed("migration-running"));
  const Json env = expect_gate("B", "migration_job");
  const std::string blocking = env["gate"]["blocking"];
  const std::string job = "db-migration-" + sha("B").substr(0, 7);
  EXPECT_EQ(blocking.rfind("migration Job " + job + " is running (1 attempt, for ", 0), 0u) << blocking;
  EXPECT_NE(blocking.find("); DB at 0a7f4d3e6c58, d2c6a8e1f3b9 (1 behind: e4b1f9a7c3d2)"), std::string::npos) << blocking;
  EXPECT_EQ(env["gate"]["job_status"], "Active");
}

TEST_F(KubeStatus, MigrationFailedNamesTheReasonTheAttemptsAndTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(seed("migration-failed"));
  const Json env = expect_gate("C", "migration_job");
  EXPECT_EQ(env["gate"]["blocking"],
            fmt::format("migration Job db-migration-{} failed: BackoffLimitExceeded after 2 attempts; DB at "
                        "0a7f4d3e6c58, d2c6a8e1f3b9 (1 behind: e4b1f9a7c3d2)",
                        sha("C").substr(0, 7)));
  EXPECT_EQ(env["gate"]["promoted"], false);
}

TEST_F(KubeStatus, RestoredBehindIsBlockedAtTheDatabaseAndReportsDrift) {
  ASSERT_NO_FATAL_FAILURE(seed("restored-behind"));
  const Json env = expect_gate("A", "database");
  EXPECT_EQ(env["gate"]["blocking"],
            fmt::format("DB at b7d3f5a19c20 (4 behind: 0a7f4d3e6c58, 5e9b2c8a4f17, d2c6a8e1f3b9, e4b1f9a7c3d2), "
                        "although migration Job db-migration-{} completed: was the database restored?",
                        sha("A").substr(0, 7)));
  EXPECT_EQ(env["gate"]["database_at_heads"], false);
  ASSERT_EQ(env["drift"].size(), 1u) << env["drift"].dump();
  EXPECT_EQ(env["drift"][0], fmt::format("the Deployment runs stage-migrated-{} while the database is 4 behind: "
                                         "0a7f4d3e6c58, 5e9b2c8a4f17, d2c6a8e1f3b9, e4b1f9a7c3d2",
                                         sha("A")));
}

TEST_F(KubeStatus, MigratedNotDeployedIsBlockedAtTheDeployment) {
  ASSERT_NO_FATAL_FAILURE(seed("migrated-not-deployed"));
  const Json env = expect_gate("D", "deployed");
  // moto serves no layers, so no image config gives a build date: newest-build cannot order the
  // tags, and the prediction says so rather than guess from push times.
  EXPECT_EQ(env["gate"]["blocking"],
            fmt::format("stage-migrated-{} is not deployed: the Deployment udab-server runs stage-migrated-{}; Image "
                        "Updater: no build date: newest-build cannot order it (the updater skips a tag whose image "
                        "config it cannot read)",
                        sha("D"), sha("A")));
  EXPECT_EQ(env["image_updater"]["next_tag"], nullptr);
  ASSERT_EQ(env["image_updater"]["verdicts"].size(), 2u) << env["image_updater"].dump(2);
  EXPECT_EQ(env["image_updater"]["verdicts"][0]["tag"], "stage-migrated-" + sha("D"));
  EXPECT_EQ(env["image_updater"]["verdicts"][0]["kind"], "undated");
  EXPECT_EQ(env["gate"]["promoted"], true);
  ASSERT_EQ(env["gates"].size(), 2u);
  EXPECT_EQ(env["gates"][1]["sha"], sha("A"));
  EXPECT_EQ(env["gates"][1]["blocked_at"], "done");
}

TEST_F(KubeStatus, AStoppedServiceMarksOnlyItsSourceStaleAndExitsFour) {
  ASSERT_NO_FATAL_FAILURE(seed("healthy"));
  auto loaded = backend::config::load(dir_ / "mgate.yaml");
  ASSERT_TRUE(std::holds_alternative<backend::config::Loaded>(loaded));
  const auto& config = std::get<backend::config::Loaded>(loaded).config;
  const ScopedEnv scoped(env());
  ops::Refresher refresher(config, {config.find("stage")}, ops::RefreshOptions{dir_ / "refresher-state"});
  const auto first = refresher.refresh();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(first[0]->partial()) << ops::to_json(*first[0])["sources"].dump(2);

  // moto (ECR) goes away mid-run.
  pid_t moto = 0;
  for (const auto& p : sandbox_->processes())
    if (p.name == "moto") moto = p.pid;
  ASSERT_GT(moto, 0);
  ASSERT_EQ(::kill(moto, SIGKILL), 0);
  for (int i = 0; i < 100 && ::kill(moto, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));

  const auto second = refresher.refresh();
  const ops::EnvSnapshot& s = *second[0];
  EXPECT_TRUE(s.partial());
  EXPECT_TRUE(s.tags.stale()) << "the last good tags are kept";
  ASSERT_TRUE(s.tags.error);
  EXPECT_EQ(s.tags.fetched_at, first[0]->tags.fetched_at);
  EXPECT_FALSE(s.jobs.error);
  EXPECT_FALSE(s.database.error);
  EXPECT_FALSE(s.deploy.error);
  EXPECT_GT(*s.database.fetched_at, *first[0]->database.fetched_at);
  EXPECT_EQ(s.heads.fetched_at, first[0]->heads.fetched_at) << "unchanged scripts are not parsed again";
  EXPECT_FALSE(s.heads.error);
  const Json j = ops::to_json(s);
  EXPECT_EQ(j["sources"]["tags"]["state"], "stale");
  ASSERT_NE(s.current_gate(), nullptr) << "the gate still stands on the kept tags";

  const auto [code, env] = status();
  EXPECT_EQ(code, 4);
  EXPECT_EQ(env["sources"]["tags"]["state"], "failed") << env["sources"]["tags"].dump();
  EXPECT_NE(env["sources"]["tags"]["error"]["message"].get<std::string>().find("DescribeImages"), std::string::npos)
      << env["sources"]["tags"]["error"].dump();
  EXPECT_EQ(env["sources"]["database"]["state"], "ok");
  EXPECT_EQ(env["sources"]["jobs"]["state"], "ok");
  EXPECT_EQ(env["sources"]["deploy"]["state"], "ok");
}

class KubeStatusRecords : public KubeStatus, public ::testing::WithParamInterface<bool> {};

TEST_P(KubeStatusRecords, AJobDeletedBetweenRefreshesIsShownFromItsRecord) {
  const bool watch = GetParam();
  ASSERT_NO_FATAL_FAILURE(seed("healthy"));
  auto loaded = backend::config::load(dir_ / "mgate.yaml");
  ASSERT_TRUE(std::holds_alternative<backend::config::Loaded>(loaded));
  const auto& config = std::get<backend::config::Loaded>(loaded).config;
  const ScopedEnv scoped(env());
  ops::Refresher refresher(config, {config.find("stage")}, ops::RefreshOptions{dir_ / "refresher-state", watch});
  const std::string job = "db-migration-" + sha("A").substr(0, 7);
  const auto first = refresher.refresh();
  ASSERT_FALSE(first[0]->partial()) << ops::to_json(*first[0])["sources"].dump(2);
  ASSERT_TRUE(fs::exists(dir_ / "refresher-state" / "jobs" / "stage")) << "the Complete Job was recorded";

  // Its TTL ran out, say: the cluster no longer has it.
  const KubeRun del = kubectl(*sandbox_, {"delete", "job", job, "-n", "udab", "--wait=true"});
  ASSERT_EQ(del.exit_code, 0) << del.err;

  // With watches the deletion arrives as an event, at once but not within the same instant.
  std::shared_ptr<const ops::EnvSnapshot> s;
  auto from_record = [&] {
    const auto& jobs = s->jobs.value->jobs;
    return std::find_if(jobs.begin(), jobs.end(), [&](const auto& j) { return j.view.name == job && j.from_record; });
  };
  for (int i = 0; i < 50; ++i) {
    s = refresher.refresh()[0];
    ASSERT_FALSE(s->partial()) << ops::to_json(*s)["sources"].dump(2);
    if (from_record() != s->jobs.value->jobs.end()) break;
    ASSERT_TRUE(watch) << "a refresh that lists sees the deletion at once";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int round = 0; round < 2; ++round) {  // the second reads the kept record, not the disk
    if (round == 1) s = refresher.refresh()[0];
    const auto it = from_record();
    ASSERT_NE(it, s->jobs.value->jobs.end()) << "round " << round;
    EXPECT_EQ(it->view.status.phase, backend::kube::JobPhase::kComplete);
    const auto& pods = s->jobs.value->pods[static_cast<std::size_t>(it - s->jobs.value->jobs.begin())];
    ASSERT_EQ(pods.size(), 1u) << "the record's pod";
    EXPECT_EQ(pods[0].phase, "Succeeded");
    ASSERT_NE(s->current_gate(), nullptr);
    EXPECT_EQ(s->current_gate()->job, job);
    EXPECT_EQ(s->current_gate()->blocked_at, ops::GateStep::kDone) << s->current_gate()->blocking;
    const Json listed = ops::to_json(*s)["sources"]["jobs"]["value"];
    ASSERT_EQ(listed["jobs"].size(), 1u);
    EXPECT_EQ(listed["jobs"][0]["from_record"], true);
  }
}

INSTANTIATE_TEST_SUITE_P(ListedOrWatched, KubeStatusRecords, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Watched" : "Listed"; });

// Runs git in `repo` (argv, never a shell); the output, or "" after a failed command.
std::string git(const fs::path& repo, const std::vector<std::string>& args) {
  Command c;
  c.argv = {"git", "-C", repo.string()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  auto r = run_command(c);
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->describe() : r.error().describe());
  return r.ok() ? r->out : std::string();
}

TEST_F(KubeStatus, EachCommitIsComparedWithItsOwnHeadsFromTheHistory) {
  ASSERT_NO_FATAL_FAILURE(seed("healthy"));  // the database at e4b1f9a7c3d2, the merge
  // The app's repository: commit 1 before the merge revision existed, commit 2 with it.
  const fs::path repo = dir_ / "app";
  fs::copy(fs::path(MGATE_SANDBOX_SOURCE_DIR) / "tests/sandbox/app", repo, fs::copy_options::recursive);
  const fs::path merge = repo / "migrations/versions/e4b1f9a7c3d2_merge_notifications_and_points.py";
  const std::string merge_text = [&] {
    std::ifstream in(merge);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  fs::remove(merge);
  git(repo, {"init", "-q"});
  git(repo, {"config", "user.email", "ci@example.com"});
  git(repo, {"config", "user.name", "CI"});
  git(repo, {"add", "-A"});
  git(repo, {"commit", "-q", "-m", "two branches"});
  const std::string before = git(repo, {"rev-parse", "HEAD"}).substr(0, 40);
  std::ofstream(merge) << merge_text;
  git(repo, {"add", "-A"});
  git(repo, {"commit", "-q", "-m", "merge"});
  const std::string after = git(repo, {"rev-parse", "HEAD"}).substr(0, 40);
  ASSERT_EQ(before.size(), 40u);
  ASSERT_EQ(after.size(), 40u);

  // Both commits built and migrated (the migrated tags are their Jobs' proof).
  for (const std::string& sha : {before, after}) {
    const std::string digest = push_ecr_image(*sandbox_, dir_, "udab-server", "stage-" + sha, sha);
    ASSERT_FALSE(digest.empty());
    ASSERT_FALSE(push_ecr_image(*sandbox_, dir_, "udab-server", "stage-migrated-" + sha, sha).empty());
  }
  // The configuration names the repository's scripts and the repository.
  std::string config = [&] {
    std::ifstream in(dir_ / "mgate.yaml");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const std::size_t at = config.find("  scripts: ");
  ASSERT_NE(at, std::string::npos) << config;
  const std::size_t end = config.find('\n', at);
  config.replace(at, end - at,
                 fmt::format("  scripts: \"{}\"\n  git: \"{}\"", (repo / "alembic.ini").string(), repo.string()));
  std::ofstream(dir_ / "mgate.yaml") << config;

  const auto [code, env] = status();
  EXPECT_EQ(code, 0) << env.dump(2);
  const Json* old_gate = nullptr;
  const Json* new_gate = nullptr;
  for (const Json& g : env["gates"]) {
    if (g["sha"] == before) old_gate = &g;
    if (g["sha"] == after) new_gate = &g;
  }
  ASSERT_NE(old_gate, nullptr) << env["gates"].dump(2);
  ASSERT_NE(new_gate, nullptr) << env["gates"].dump(2);
  EXPECT_EQ((*new_gate)["heads_from"], "git");
  EXPECT_EQ((*new_gate)["heads"], Json({"e4b1f9a7c3d2"}));
  EXPECT_EQ((*new_gate)["database_at_heads"], true);
  EXPECT_EQ((*new_gate)["blocked_at"], "deployed");
  EXPECT_EQ((*old_gate)["heads_from"], "git");
  EXPECT_EQ((*old_gate)["heads"], Json({"0a7f4d3e6c58", "d2c6a8e1f3b9"}));
  EXPECT_EQ((*old_gate)["blocked_at"], "database");
  EXPECT_EQ((*old_gate)["blocking"],
            "DB at e4b1f9a7c3d2 (unknown revision e4b1f9a7c3d2: no revision file defines it (the database is ahead "
            "of this code, or was restored from another history))");
  // The scenario's own commit A is not in this repository: compared with the scripts, and said so.
  for (const Json& g : env["gates"]) {
    if (g["sha"] != sha("A")) continue;
    EXPECT_EQ(g["heads_from"],
              fmt::format("scripts (the commit's own could not be read: commit {} is not in the repository {})", sha("A"),
                          fs::canonical(repo).string()));
  }
}

}  // namespace
}  // namespace mgate::sandbox::testing
