// `mgate resubmit`, `jobs`, `logs` and `describe` through the real binary against the sandbox's
// simulated cluster: a resubmitted Job runs the real /migrate.sh (alembic upgrade head on the
// sandbox's PostgreSQL, the retag in moto's ECR or docker-registry), and kubectl is the second
// opinion on what mgate created. Its own binary, so it has its own sandbox (no other test's
// Jobs in its namespaces).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backend/http/client.hpp"
#include "backend/http/url.hpp"
#include "backend/registry/digest.hpp"
#include "backend/registry/oci_client.hpp"
#include "tests/integration/kube_migration_support.hpp"
#include "tests/integration/kube_support.hpp"
#include "tests/sandbox/scenario.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;
namespace reg = backend::registry;
using nlohmann::json;

// The healthy scenario's commit A (tests/sandbox/scenarios/healthy.json) and its Job.
constexpr const char* kShaA = "5880242bf3d73c6283cdaea806e27a735f636c06";
constexpr const char* kJobA = "db-migration-5880242";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ResubmitCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    api_ = std::make_unique<KubeApi>(*sandbox_);
    dir_ = make_test_dir("resubmit-cli");
    auto written = sandbox_->write_config(dir_ / "mgate.yaml");
    ASSERT_TRUE(written.ok()) << written.error().describe();
    if (!seeded_) {
      // The stage history every test starts from: commit A built, migrated by its Job, deployed.
      auto seeded = apply_scenario(*sandbox_, "healthy");
      ASSERT_TRUE(seeded.ok()) << seeded.error().describe();
      seeded_ = true;
    }
  }

  EnvVars env() const {
    EnvVars vars = sandbox_->environment(dir_ / "mgate.yaml");
    vars.emplace_back("PYTHONDONTWRITEBYTECODE", "1");
    vars.emplace_back("XDG_STATE_HOME", (dir_ / "state").string());
    return vars;
  }

  CommandResult mgate(const std::vector<std::string>& args) const { return run_mgate(env(), args); }

  KubeRun kubectl_ok(const std::vector<std::string>& args) const {
    KubeRun r = kubectl(*sandbox_, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  json kubectl_json(const std::vector<std::string>& args) const {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"-o", "json"});
    const KubeRun r = kubectl_ok(all);
    return json::parse(r.out, nullptr, false);
  }

  // alembic on one of the sandbox's environments' databases.
  void alembic(const std::string& database, const std::vector<std::string>& args) const {
    const CommandResult r = run_alembic(*sandbox_, database, args);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
  }


  std::string versions(const std::string& database) const {
    Command c;
    c.argv = {"psql", sandbox_->database_url(database), "-At", "-c", "SELECT version_num FROM alembic_version"};
    c.env = sandbox_env(*sandbox_);
    auto r = run_command(c);
    EXPECT_TRUE(r.ok() && r->exit_code == 0);
    return r.ok() ? r->out : std::string();
  }

  // A Job's condition of that type is True.
  static bool has_condition(const json& job, const std::string& type) {
    for (const json& c : job["status"].value("conditions", json::array()))
      if (c.value("type", "") == type && c.value("status", "") == "True") return true;
    return false;
  }

  std::vector<json> audit() const {
    std::vector<json> out;
    std::ifstream in(dir_ / "audit.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  static inline bool seeded_ = false;
  Sandbox* sandbox_ = nullptr;
  std::unique_ptr<KubeApi> api_;
  fs::path dir_;
};

TEST_F(ResubmitCli, PerShaResubmitRerunsTheRealMigrationAndItsRecordOutlivesTheJob) {
  alembic("stage", {"downgrade", "base"});
  ASSERT_EQ(versions("stage"), "");
  const CommandResult r = mgate({"--env", "stage", "resubmit", "--yes", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string name = std::string(kJobA) + "-2";
  EXPECT_NE(r.out.find("from:     Job " + std::string(kJobA) + " (Complete)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("created Job " + name + " (uid "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Job " + name + " succeeded"), std::string::npos) << r.out;

  // kubectl's opinion: the Job mgate made, Complete, carrying no server-set or hook fields.
  const json job = kubectl_json({"-n", "udab", "get", "job", name});
  EXPECT_TRUE(has_condition(job, "Complete")) << job.dump();
  EXPECT_EQ(job["metadata"]["annotations"].value("mgate.dev/resubmit-of", ""), kJobA);
  EXPECT_EQ(job["spec"]["template"]["spec"]["containers"][0]["image"],
            fmt::format("{}/udab-server:stage-{}", kKubeEcrRegistry, kShaA));
  const KubeRun logs = kubectl_ok({"-n", "udab", "logs", "job/" + name});
  EXPECT_EQ(count_of(logs.out, "Running upgrade"), 7) << logs.out;
  EXPECT_EQ(versions("stage"), "e4b1f9a7c3d2\n");

  const auto records = audit();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back()["action"], "resubmit");
  EXPECT_EQ(records.back()["outcome"], "succeeded");
  EXPECT_EQ(records.back()["after"]["job"], name);

  // As a TTL would: the Job goes, its outcome and logs stay.
  kubectl_ok({"-n", "udab", "delete", "job", name});
  const CommandResult jobs = mgate({"--env", "stage", "jobs"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  std::string row;
  std::istringstream lines(jobs.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find("  " + name + " ") != std::string::npos) row = line;
  EXPECT_NE(row.find("Complete"), std::string::npos) << jobs.out;
  EXPECT_NE(row.find("finished, from the record"), std::string::npos) << jobs.out;
  const CommandResult as_json = mgate({"--env", "stage", "jobs", "--json"});
  const json listed = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(listed.contains("environments")) << as_json.out;
  bool found = false;
  for (const json& j : listed["environments"][0]["jobs"]) {
    if (j["name"] != name) continue;
    found = true;
    EXPECT_EQ(j["status"], "Complete");
    EXPECT_EQ(j["from_record"], true);
    EXPECT_EQ(j["sha"], kShaA);
  }
  EXPECT_TRUE(found) << as_json.out;
  const CommandResult recorded = mgate({"--env", "stage", "logs", name});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(count_of(recorded.out, "Running upgrade"), 7) << recorded.out;
  const CommandResult described = mgate({"describe", name});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find("Source:         finished, from the record"), std::string::npos) << described.out;
}

TEST_F(ResubmitCli, AnotherShaRunsItsBuiltImageAndGetsItsMigratedTag) {
  const std::string sha_b = random_sha();
  const std::string digest = push_ecr_image(*sandbox_, dir_, "udab-server", "stage-" + sha_b, sha_b);
  ASSERT_FALSE(digest.empty());

  const CommandResult r = mgate({"--env", "stage", "resubmit", "--sha", sha_b.substr(0, 10), "--yes", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string name = "db-migration-" + sha_b.substr(0, 7);
  EXPECT_NE(r.out.find(fmt::format("env:      migrate: IMAGE_SHA {} → {}", kShaA, sha_b)), std::string::npos) << r.out;
  const json job = kubectl_json({"-n", "udab", "get", "job", name});
  EXPECT_TRUE(has_condition(job, "Complete")) << job.dump();
  const json& container = job["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"], fmt::format("{}/udab-server:stage-{}", kKubeEcrRegistry, sha_b));
  EXPECT_EQ(container["env"][0]["value"], sha_b);
  const CommandResult migrated = aws_ecr(*sandbox_, {"describe-images", "--repository-name", "udab-server",
                                                     "--image-ids", "imageTag=stage-migrated-" + sha_b});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.describe();
  EXPECT_EQ(json::parse(migrated.out)["imageDetails"][0].value("imageDigest", ""), digest);
}

TEST_F(ResubmitCli, ResubmitAndStampAreRefusedWhileAMigrationJobIsActive) {
  const json script = {{"attempts", {{{"stdout", {"migrating slowly"}}}}}, {"hang", true}};
  const json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", "db-migration-hanging"}, {"labels", {{"component", "migration"}}}}},
      {"spec",
       {{"backoffLimit", 0},
        {"template",
         {{"metadata", {{"annotations", {{"kubesim.mgate.dev/script", script.dump()}}}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"containers",
             {{{"name", "migrate"}, {"image", fmt::format("{}/udab-server:stage-{}", kKubeEcrRegistry, kShaA)}}}}}}}}}}};
  const ApiReply created = api_->post("/apis/batch/v1/namespaces/udab/jobs", job);
  ASSERT_EQ(created.status, 201) << created.body;
  kubectl_ok({"-n", "udab", "wait", "--for=jsonpath={.status.active}=1", "job/db-migration-hanging", "--timeout=60s"});
  const std::size_t before = kubectl_json({"-n", "udab", "get", "jobs"})["items"].size();

  const CommandResult resubmit = mgate({"--env", "stage", "resubmit", "--yes"});
  EXPECT_EQ(resubmit.exit_code, 3) << resubmit.out << resubmit.err;
  EXPECT_NE(resubmit.err.find("refused: a migration Job is active in stage: db-migration-hanging (active, 1 pod "
                              "running); wait for it to finish"),
            std::string::npos)
      << resubmit.err;
  const CommandResult stamp = mgate({"--env", "stage", "stamp", "heads", "--yes"});
  EXPECT_EQ(stamp.exit_code, 3) << stamp.out << stamp.err;
  EXPECT_NE(stamp.err.find("a migration Job is active in stage: db-migration-hanging"), std::string::npos) << stamp.err;
  EXPECT_EQ(kubectl_json({"-n", "udab", "get", "jobs"})["items"].size(), before) << "nothing was created";

  kubectl_ok({"-n", "udab", "delete", "job", "db-migration-hanging", "--wait=true"});
}

TEST_F(ResubmitCli, LogsFollowPrintsEachLineWithin200Milliseconds) {
  // The container waits until mgate follows it, then prints its clock every 300 ms.
  const std::string program =
      "sleep 1.5; for i in 1 2 3 4 5 6; do echo \"line $i $(date +%s.%N)\"; sleep 0.3; done";
  const json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", "follow-timing"}, {"labels", {{"component", "timing"}}}}},
      {"spec",
       {{"backoffLimit", 0},
        {"template",
         {{"spec",
           {{"restartPolicy", "Never"},
            {"containers",
             {{{"name", "clock"},
               {"image", fmt::format("{}/udab-server:stage-{}", kKubeEcrRegistry, kShaA)},
               {"command", {"/bin/sh", "-c", program}}}}}}}}}}}};
  const ApiReply created = api_->post("/apis/batch/v1/namespaces/udab/jobs", job);
  ASSERT_EQ(created.status, 201) << created.body;

  std::string command = "env -i";
  for (const auto& [k, v] : env()) command += fmt::format(" {}='{}'", k, v);
  command += fmt::format(" '{}' --env stage logs --follow follow-timing",
                         (fs::path(std::getenv("MGATE_BUILD_DIR")) / "bin" / "mgate").string());
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<double> delays_ms;
  std::string seen;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string line = buffer;
    seen += line;
    std::istringstream parts(line);
    std::string word;
    int index = 0;
    double printed = 0;
    if (parts >> word >> index >> printed && word == "line") delays_ms.push_back((now - printed) * 1000.0);
  }
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << seen;
  ASSERT_EQ(delays_ms.size(), 6u) << seen;
  for (std::size_t i = 0; i < delays_ms.size(); ++i) {
    EXPECT_GE(delays_ms[i], 0.0) << "line " << i + 1;
    EXPECT_LT(delays_ms[i], 200.0) << "line " << i + 1 << " arrived " << delays_ms[i] << " ms after it was printed";
  }
}

TEST_F(ResubmitCli, StaticNameIsDeletedWaitedOnAndCreatedAgainAndRunsTheMigration) {
  // Commit P built for prod on docker-registry: its config blob, then its manifest.
  const std::string sha = random_sha();
  const std::string config = docker_config_for(sha);
  backend::http::Client http;
  const auto opened = http.send(backend::http::Request{
      .method = "POST", .url = fmt::format("{}/v2/udab-server/blobs/uploads/", sandbox_->registry_url())});
  ASSERT_TRUE(opened.ok() && opened->status == 202);
  auto upload = backend::http::resolve_url(sandbox_->registry_url(), opened->header("Location").value_or(""));
  ASSERT_TRUE(upload.ok());
  backend::http::Request close{.method = "PUT",
                               .url = fmt::format("{}{}digest={}", *upload, upload->find('?') == std::string::npos ? '?' : '&',
                                                  reg::sha256_digest(config)),
                               .body = config};
  close.add_header("Content-Type", "application/octet-stream");
  const auto closed = http.send(close);
  ASSERT_TRUE(closed.ok() && closed->status == 201);
  const std::string manifest = docker_manifest_for(sha);
  reg::OciClient oci(reg::OciOptions{sandbox_->registry_url(), "udab-server", std::nullopt, {}});
  ASSERT_TRUE(oci.put_manifest("prod-" + sha, reg::Manifest{kDockerManifest, reg::sha256_digest(manifest), manifest}).ok());

  // The PreSync hook Job as Argo CD left it, on the prod database.
  const json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", "udab-db"}}},
                       {"stringData", {{"DATABASE_URL", sandbox_->database_url("prod")}}}};
  const ApiReply s = api_->post("/api/v1/namespaces/udab-prod/secrets", secret);
  ASSERT_TRUE(s.status == 201 || s.status == 409) << s.body;
  const std::string registry_host = sandbox_->registry_url().substr(sandbox_->registry_url().find("://") + 3);
  const json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", "udab-server-migration"},
        {"labels", {{"component", "migration"}}},
        {"annotations",
         {{"argocd.argoproj.io/hook", "PreSync"}, {"argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation"}}}}},
      {"spec",
       {{"backoffLimit", 1},
        {"template",
         {{"spec",
           {{"restartPolicy", "Never"},
            {"containers",
             {{{"name", "migrate"},
               {"image", fmt::format("{}/udab-server:prod-{}", registry_host, sha)},
               {"command", {"/migrate.sh"}},
               {"env", {{{"name", "IMAGE_SHA"}, {"value", sha}}, {{"name", "TAG_PREFIX"}, {"value", "prod"}}}},
               {"envFrom", {{{"secretRef", {{"name", "udab-db"}}}}}}}}}}}}}}}};
  const ApiReply created = api_->post("/apis/batch/v1/namespaces/udab-prod/jobs", job);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string old_uid = created.json["metadata"]["uid"];
  kubectl_ok({"-n", "udab-prod", "wait", "--for=condition=complete", "job/udab-server-migration", "--timeout=90s"});
  alembic("prod", {"downgrade", "base"});

  const CommandResult r = mgate({"--env", "prod", "resubmit", "--yes", "--confirm-env", "prod", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(fmt::format("deleting Job udab-server-migration (uid {}), propagationPolicy=Background", old_uid)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Job udab-server-migration is gone"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Job udab-server-migration succeeded"), std::string::npos) << r.out;

  const json now = kubectl_json({"-n", "udab-prod", "get", "job", "udab-server-migration"});
  const std::string new_uid = now["metadata"]["uid"];
  EXPECT_NE(new_uid, old_uid);
  EXPECT_NE(r.out.find("created Job udab-server-migration (uid " + new_uid + ")"), std::string::npos) << r.out;
  EXPECT_TRUE(has_condition(now, "Complete")) << now.dump();
  EXPECT_FALSE(now["metadata"].value("annotations", json::object()).contains("argocd.argoproj.io/hook"));
  const KubeRun logs = kubectl_ok({"-n", "udab-prod", "logs", "job/udab-server-migration"});
  EXPECT_EQ(count_of(logs.out, "Running upgrade"), 7) << logs.out;
  EXPECT_NE(logs.out.find(fmt::format("migrate: udab-server:prod-migrated-{} pushed", sha)), std::string::npos)
      << logs.out;
  auto migrated = oci.head_manifest("prod-migrated-" + sha);
  ASSERT_TRUE(migrated.ok() && migrated->has_value());
  EXPECT_EQ((*migrated)->digest, reg::sha256_digest(manifest));
  EXPECT_EQ(versions("prod"), "e4b1f9a7c3d2\n");

  // The replaced run was recorded before its deletion: both show, the old one from the record.
  const json listed = json::parse(mgate({"--env", "prod", "jobs", "--json"}).out, nullptr, false);
  ASSERT_TRUE(listed.contains("environments"));
  std::vector<std::pair<std::string, bool>> seen;
  for (const json& j : listed["environments"][0]["jobs"]) seen.emplace_back(j["uid"], j["from_record"]);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{old_uid, true}, {new_uid, false}}));
}

}  // namespace
}  // namespace mgate::sandbox::testing
