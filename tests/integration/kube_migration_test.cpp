// The common migration Job spec, created through the API server directly (HTTPS, admin token),
// run by the kubelet-lite as the sandbox image's real /migrate.sh: real alembic against a fresh
// database of the sandbox's PostgreSQL, then the real retag in moto's ECR. Judged by psql, the
// aws CLI, the pod's log and the Job's status.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/kube_migration_support.hpp"
#include "tests/integration/kube_support.hpp"

namespace mgate::sandbox::testing {
namespace {

using nlohmann::json;

constexpr const char* kRepository = "udab-server";
// The example app's head: the merge of its two branches (tests/sandbox/app/migrations).
constexpr const char* kHead = "e4b1f9a7c3d2";
constexpr auto kJobTimeout = std::chrono::seconds(90);

class KubeMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    api_ = std::make_unique<KubeApi>(*sandbox_);
    ASSERT_FALSE(api_->token().empty()) << "no token in " << (sandbox_->kube_dir() / "kubeconfig");
    dir_ = make_test_dir("kube-migration");
    ensure_repository();
  }

  // udab-server is the repository the image's REPOSITORY names; another test may have made it.
  void ensure_repository() const {
    const CommandResult r = aws_ecr(*sandbox_, {"create-repository", "--repository-name", kRepository});
    if (r.exit_code != 0) {
      ASSERT_NE(r.err.find("RepositoryAlreadyExistsException"), std::string::npos) << r.describe();
    }
  }

  // What CI's build pushes under stage-<sha>. Returns the digest.
  std::string push_built_image(const std::string& sha) const {
    return push_ecr_image(*sandbox_, dir_, kRepository, "stage-" + sha, sha);
  }

  // The database Secret, as the deploy tooling creates it: DATABASE_URL for envFrom.
  void create_secret(const std::string& name, const std::string& url) const {
    const json secret = {{"apiVersion", "v1"},
                         {"kind", "Secret"},
                         {"metadata", {{"name", name}}},
                         {"type", "Opaque"},
                         {"stringData", {{"DATABASE_URL", url}}}};
    const ApiReply r = api_->post("/api/v1/namespaces/udab/secrets", secret);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json["data"].size(), 1u) << r.body;
    EXPECT_FALSE(r.json.contains("stringData")) << r.body;
  }

  // The common migration spec (the issue's): db-migration-<sha7>, the stage-<sha> image,
  // /migrate.sh, IMAGE_SHA, the Secret through envFrom, OnFailure.
  static json migration_job(const std::string& sha, const std::string& secret, int backoff_limit) {
    const json container = {{"name", "migrate"},
                            {"image", fmt::format("{}/{}:stage-{}", kKubeEcrRegistry, kRepository, sha)},
                            {"command", {"/migrate.sh"}},
                            {"env", {{{"name", "IMAGE_SHA"}, {"value", sha}}}},
                            {"envFrom", {{{"secretRef", {{"name", secret}}}}}}};
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", {{"name", "db-migration-" + sha.substr(0, 7)}}},
            {"spec",
             {{"backoffLimit", backoff_limit},
              {"ttlSecondsAfterFinished", 3600},
              {"template", {{"spec", {{"restartPolicy", "OnFailure"}, {"containers", {container}}}}}}}}};
  }

  // POSTs the Job and checks what the API server's defaulting added.
  void create_job(const json& job) const {
    const ApiReply r = api_->post("/apis/batch/v1/namespaces/udab/jobs", job);
    ASSERT_EQ(r.status, 201) << r.body;
    const json& created = r.json;
    const std::string name = job["metadata"]["name"];
    const std::string uid = created["metadata"].value("uid", "");
    ASSERT_FALSE(uid.empty()) << r.body;
    EXPECT_EQ(created["spec"]["selector"],
              json({{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}}));
    EXPECT_EQ(created["spec"]["template"]["metadata"]["labels"],
              json({{"batch.kubernetes.io/controller-uid", uid},
                    {"batch.kubernetes.io/job-name", name},
                    {"controller-uid", uid},
                    {"job-name", name}}));
    EXPECT_EQ(created["spec"]["backoffLimit"], job["spec"]["backoffLimit"]);
    EXPECT_EQ(created["spec"]["ttlSecondsAfterFinished"], 3600);
    EXPECT_EQ(created["spec"]["completions"], 1);
    EXPECT_EQ(created["spec"]["parallelism"], 1);
    EXPECT_EQ(created["spec"]["completionMode"], "NonIndexed");
    EXPECT_EQ(created["spec"]["suspend"], false);
    EXPECT_EQ(created["spec"]["podReplacementPolicy"], "TerminatingOrFailed");
    EXPECT_EQ(created["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
  }

  // describe-images for one tag: the digest, or the error's text.
  CommandResult describe_tag(const std::string& tag) const {
    return aws_ecr(*sandbox_,
                   {"describe-images", "--repository-name", kRepository, "--image-ids", "imageTag=" + tag});
  }

  // stage-migrated-<sha> names the digest of stage-<sha>, and that image carries both tags.
  void expect_migrated_tag(const std::string& sha, const std::string& digest) const {
    const CommandResult migrated = describe_tag("stage-migrated-" + sha);
    ASSERT_EQ(migrated.exit_code, 0) << migrated.describe();
    const json details = json::parse(migrated.out, nullptr, false);
    ASSERT_TRUE(details.contains("imageDetails")) << migrated.out;
    ASSERT_EQ(details["imageDetails"].size(), 1u) << migrated.out;
    EXPECT_EQ(details["imageDetails"][0].value("imageDigest", ""), digest);
    // Both tags on the one image (moto lists only the asked-for tag when asked by tag).
    const CommandResult by_digest = aws_ecr(*sandbox_, {"describe-images", "--repository-name", kRepository,
                                                        "--image-ids", "imageDigest=" + digest});
    ASSERT_EQ(by_digest.exit_code, 0) << by_digest.describe();
    const json image = json::parse(by_digest.out, nullptr, false);
    ASSERT_TRUE(image.contains("imageDetails")) << by_digest.out;
    std::vector<std::string> tags = image["imageDetails"][0].value("imageTags", std::vector<std::string>{});
    std::sort(tags.begin(), tags.end());
    EXPECT_EQ(tags, (std::vector<std::string>{"stage-" + sha, "stage-migrated-" + sha}));
    // The very bytes of the built manifest under the migrated tag.
    const CommandResult got =
        aws_ecr(*sandbox_, {"batch-get-image", "--repository-name", kRepository, "--image-ids",
                            "imageTag=stage-" + sha, "imageTag=stage-migrated-" + sha});
    ASSERT_EQ(got.exit_code, 0) << got.describe();
    const json images = json::parse(got.out, nullptr, false).value("images", json::array());
    ASSERT_EQ(images.size(), 2u) << got.out;
    EXPECT_EQ(images[0]["imageManifest"], images[1]["imageManifest"]) << got.out;
    EXPECT_EQ(images[1]["imageId"].value("imageDigest", ""), digest) << got.out;
  }

  // alembic_version's rows, one per line, read by psql.
  std::string alembic_versions(const std::string& database) const {
    Command c;
    c.argv = {"psql", sandbox_->database_url(database), "-At", "-c",
              "SELECT version_num FROM alembic_version ORDER BY version_num"};
    c.env = sandbox_env(*sandbox_);
    auto r = run_command(c);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->describe() : r.error().describe());
    return r.ok() ? r->out : std::string();
  }

  Sandbox* sandbox_ = nullptr;
  std::unique_ptr<KubeApi> api_;
  std::filesystem::path dir_;
};

// The alembic lines one `upgrade head` logs on an empty database of the example app: linear for
// three revisions, then the two branches (in an order alembic does not promise), then the merge.
const std::vector<std::string> kUpgradeLines = {
    "Running upgrade  -> 3f2a9c1d7b4e, create users table",
    "Running upgrade 3f2a9c1d7b4e -> 8c41e07d2b95, create chores table",
    "Running upgrade 8c41e07d2b95 -> b7d3f5a19c20, add chore assignments",
    "Running upgrade b7d3f5a19c20 -> 0a7f4d3e6c58, add points to chores",
    "Running upgrade b7d3f5a19c20 -> 5e9b2c8a4f17, add notifications table",
    "Running upgrade 5e9b2c8a4f17 -> d2c6a8e1f3b9, add notification preferences to users",
    "Running upgrade d2c6a8e1f3b9, 0a7f4d3e6c58 -> e4b1f9a7c3d2, merge notifications and points",
};

// Each "Running upgrade ..." line of a log, from those words on (alembic's logger prefix dropped).
std::vector<std::string> upgrade_lines(const std::string& log) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = log.find("Running upgrade", at)) != std::string::npos) {
    const std::size_t end = log.find('\n', at);
    out.push_back(log.substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end == std::string::npos ? log.size() : end;
  }
  return out;
}

// The log of a successful /migrate.sh run: its start line, alembic's upgrade lines, the retag.
void expect_migration_log(const std::string& log, const std::string& sha) {
  const std::size_t start = log.find("migrate: alembic upgrade head for " + sha + "\n");
  const std::size_t first_upgrade = log.find("Running upgrade");
  const std::size_t tagging =
      log.find(fmt::format("migrate: database at head; tagging stage-{0} as stage-migrated-{0}\n", sha));
  const std::size_t pushed = log.find(fmt::format("migrate: udab-server:stage-migrated-{} pushed\n", sha));
  ASSERT_NE(start, std::string::npos) << log;
  ASSERT_NE(tagging, std::string::npos) << log;
  ASSERT_NE(pushed, std::string::npos) << log;
  EXPECT_LT(start, first_upgrade) << log;
  EXPECT_LT(first_upgrade, tagging) << log;
  EXPECT_LT(tagging, pushed) << log;
  const std::vector<std::string> upgrades = upgrade_lines(log);
  ASSERT_EQ(upgrades.size(), kUpgradeLines.size()) << log;
  // The trunk in order and the merge last; the branch revisions in any interleaving that keeps
  // 5e9b2c8a4f17 before d2c6a8e1f3b9.
  for (std::size_t i : {0u, 1u, 2u, 6u}) EXPECT_EQ(upgrades[i], kUpgradeLines[i]) << log;
  EXPECT_TRUE(std::is_permutation(upgrades.begin() + 3, upgrades.begin() + 6, kUpgradeLines.begin() + 3))
      << log;
  const auto at = [&](std::size_t i) {
    return std::find(upgrades.begin(), upgrades.end(), kUpgradeLines[i]);
  };
  EXPECT_LT(at(4), at(5)) << log;
}

TEST_F(KubeMigration, CommonSpecJobMigratesTheDatabaseAndTagsTheImageMigrated) {
  const std::string sha = random_sha();
  auto database = create_database(*sandbox_, "kube_migration");
  ASSERT_TRUE(database.ok()) << database.error().describe();
  const std::string digest = push_built_image(sha);
  const std::string secret = "db-url-" + sha.substr(0, 12);
  ASSERT_NO_FATAL_FAILURE(create_secret(secret, sandbox_->database_url(*database)));
  const json job = migration_job(sha, secret, 3);
  ASSERT_NO_FATAL_FAILURE(create_job(job));
  const std::string name = job["metadata"]["name"];

  const JobHistory h = watch_job(*api_, name, kJobTimeout);
  ASSERT_TRUE(h.finished) << h.job.dump(2);
  EXPECT_EQ(condition_types(h.job), (std::vector<std::string>{"SuccessCriteriaMet", "Complete"}))
      << h.job.dump(2);
  EXPECT_EQ(job_condition(h.job, "Complete").value("status", ""), "True");
  EXPECT_EQ(h.job["status"].value("succeeded", 0), 1);
  EXPECT_FALSE(h.job["status"].contains("failed")) << h.job.dump(2);
  EXPECT_TRUE(h.job["status"].contains("completionTime"));

  // The database is at the app's one head, and nothing else.
  EXPECT_EQ(alembic_versions(*database), std::string(kHead) + "\n");

  // The retag: the same manifest, so the same digest, under stage-migrated-<sha>.
  expect_migrated_tag(sha, digest);

  // One pod, one run: its log holds the real alembic upgrade and the retag.
  ASSERT_EQ(h.pods.size(), 1u);
  const std::string pod = *h.pods.begin();
  EXPECT_EQ(h.max_restarts.at(pod), 0);
  const ApiReply done = api_->get("/api/v1/namespaces/udab/pods/" + pod);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.json["status"].value("phase", ""), "Succeeded") << done.body;
  EXPECT_EQ(done.json["status"]["containerStatuses"][0]["state"]["terminated"].value("reason", ""),
            "Completed");
  const ApiReply log = api_->get("/api/v1/namespaces/udab/pods/" + pod + "/log");
  ASSERT_EQ(log.status, 200) << log.body;
  ASSERT_NO_FATAL_FAILURE(expect_migration_log(log.body, sha));
}

TEST_F(KubeMigration, MissingDatabaseRestartsInThePodAndFailsWithoutTagging) {
  const std::string sha = random_sha();
  push_built_image(sha);
  const std::string missing = "kube_missing_" + sha.substr(0, 12);
  const std::string secret = "db-url-" + sha.substr(0, 12);
  ASSERT_NO_FATAL_FAILURE(create_secret(secret, sandbox_->database_url(missing)));
  // backoffLimit 2 rather than the spec's 3 (the first test covers 3): two restarts are enough
  // to see OnFailure restart in place and a CrashLoopBackOff between attempts.
  const json job = migration_job(sha, secret, 2);
  ASSERT_NO_FATAL_FAILURE(create_job(job));
  const std::string name = job["metadata"]["name"];

  std::string previous_log;  // the first attempt's log, read while the second runs or waits
  const JobHistory h = watch_job(*api_, name, kJobTimeout, [&](const json& pod) {
    const json statuses = pod["status"].value("containerStatuses", json::array());
    if (!previous_log.empty() || statuses.empty() ||
        !statuses[0].value("lastState", json::object()).contains("terminated")) {
      return;
    }
    const ApiReply r =
        api_->get("/api/v1/namespaces/udab/pods/" + pod["metadata"].value("name", "") + "/log?previous=true");
    if (r.status == 200) previous_log = r.body;
  });
  ASSERT_TRUE(h.finished) << h.job.dump(2);
  EXPECT_EQ(condition_types(h.job), (std::vector<std::string>{"FailureTarget", "Failed"})) << h.job.dump(2);
  const json failed = job_condition(h.job, "Failed");
  EXPECT_EQ(failed.value("reason", ""), "BackoffLimitExceeded");
  EXPECT_EQ(failed.value("message", ""), "Job has reached the specified backoff limit");
  EXPECT_EQ(h.job["status"].value("failed", 0), 1);
  EXPECT_FALSE(h.job["status"].contains("succeeded"));

  // OnFailure: every attempt ran in the one pod, which restarted up to the limit.
  ASSERT_EQ(h.pods.size(), 1u) << h.job.dump(2);
  const std::string pod = *h.pods.begin();
  EXPECT_GE(h.max_restarts.at(pod), 1);
  // Three runs in the one pod: the first, its immediate restart, and the one after the back-off
  // that brings restartCount to the limit (the pod may be gone before a poll sees that count).
  EXPECT_EQ(event_count(*api_, pod, "Started"), 3);
  EXPECT_GE(event_count(*api_, pod, "BackOff"), 1);  // a real kubelet may repeat it
  EXPECT_NE(std::find(h.waiting_reasons.begin(), h.waiting_reasons.end(), "CrashLoopBackOff"),
            h.waiting_reasons.end());
  EXPECT_NE(previous_log.find("migrate: alembic upgrade head for " + sha + "\n"), std::string::npos)
      << previous_log;
  EXPECT_NE(previous_log.find(fmt::format("database \"{}\" does not exist", missing)), std::string::npos)
      << previous_log;
  EXPECT_EQ(previous_log.find("tagging"), std::string::npos) << previous_log;

  // No migrated tag for a migration that never succeeded.
  const CommandResult tag = describe_tag("stage-migrated-" + sha);
  EXPECT_NE(tag.exit_code, 0) << tag.out;
  EXPECT_NE(tag.err.find("ImageNotFoundException"), std::string::npos) << tag.err;
  EXPECT_EQ(describe_tag("stage-" + sha).exit_code, 0);
}

}  // namespace
}  // namespace mgate::sandbox::testing
