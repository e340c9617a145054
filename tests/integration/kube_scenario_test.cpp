// The seeded scenarios (tests/sandbox/scenarios): each applied to a sandbox of its own (a
// scenario changes the stage environment, which the shared sandbox's tests also use), then its
// real state read back with the tools a person would use — psql, alembic, aws ecr, kubectl —
// and compared with the scenario's "expect" block and a few facts each scenario exists for.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/integration/kube_support.hpp"
#include "tests/integration/shared_sandbox.hpp"
#include "tests/integration/scenario_fixture.hpp"
#include "tests/sandbox/scenario.hpp"

namespace mgate::sandbox::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kScenarioTestImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";
constexpr const char* kScenarioTestHead = "e4b1f9a7c3d2";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::vector<std::string> strings(const Json& array) {
  std::vector<std::string> out;
  for (const Json& s : array) out.push_back(s.get<std::string>());
  return out;
}

class KubeScenario : public ScenarioTest {
 protected:
  CommandResult run(std::vector<std::string> argv, const EnvVars& extra = {}) const {
    Command c;
    c.argv = std::move(argv);
    c.env = sandbox_env(*sandbox_, extra);
    auto r = run_command(c);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : CommandResult{};
  }

  std::string psql(const std::string& sql) const {
    const auto r = run({"psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", sandbox_->database_url("stage"), "-c", sql});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return r.out;
  }

  // `aws ecr ...` against moto: exit code and parsed output.
  std::pair<int, Json> ecr(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"aws", "--endpoint-url", sandbox_->moto_url(), "--region", "us-east-1",
                                  "--output", "json", "ecr"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(std::move(argv));
    return {r.exit_code, r.out.empty() ? Json() : Json::parse(r.out, nullptr, false)};
  }

  Json kube_json(const std::vector<std::string>& args) const {
    const KubeRun r = kubectl(*sandbox_, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  void expect_database(const Json& want) const;
  void expect_images(const Json& want) const;
  void expect_jobs(const Json& want) const;
  void expect_deployment(const Json& want) const;
  void expect_application(const Json& want) const;

  // Every part of the scenario's "expect" block against the sandbox.
  void expect_state() const {
    const Json& want = scenario_["expect"];
    expect_database(want["database"]);
    expect_images(want["images"]);
    expect_jobs(want["jobs"]);
    expect_deployment(want["deployment"]);
    expect_application(want["application"]);
  }

};

void KubeScenario::expect_database(const Json& want) const {
  EXPECT_EQ(lines_of(psql("SELECT version_num FROM alembic_version ORDER BY 1")), strings(want["alembic_version"]));
  const auto heads = run({"/usr/bin/python3", "-m", "alembic", "-c", sandbox_->alembic_ini().string(), "heads"},
                         {{"DATABASE_URL", sandbox_->database_url("stage")}});
  std::vector<std::string> head_ids;
  for (const std::string& line : lines_of(heads.out)) head_ids.push_back(line.substr(0, line.find(' ')));
  EXPECT_EQ(head_ids, strings(want["heads"])) << heads.describe();
  for (const Json& table : want.value("tables_absent", Json::array())) {
    EXPECT_EQ(psql(fmt::format("SELECT to_regclass('{}') IS NULL", table.get<std::string>())), "t\n") << table;
  }
}

void KubeScenario::expect_images(const Json& want) const {
  const auto [listed_rc, listed] = ecr({"list-images", "--repository-name", "udab-server"});
  ASSERT_EQ(listed_rc, 0);
  std::size_t tag_count = 0;
  for (const auto& [image_sha, tags] : want.items()) {
    const auto [rc, found] = ecr({"describe-images", "--repository-name", "udab-server", "--image-ids",
                                  "imageTag=stage-" + image_sha});
    ASSERT_EQ(rc, 0) << "stage-" << image_sha;
    std::vector<std::string> got = found["imageDetails"][0].value("imageTags", std::vector<std::string>{});
    std::sort(got.begin(), got.end());
    std::vector<std::string> want_tags = strings(tags);
    std::sort(want_tags.begin(), want_tags.end());
    EXPECT_EQ(got, want_tags) << image_sha;
    tag_count += tags.size();
    if (tags.size() == 1) {
      // Never migrated: the tag /migrate.sh pushes on success does not exist.
      EXPECT_NE(ecr({"describe-images", "--repository-name", "udab-server", "--image-ids",
                     "imageTag=stage-migrated-" + image_sha})
                    .first,
                0);
    }
  }
  EXPECT_EQ(listed["imageIds"].size(), tag_count) << listed.dump();
}

void KubeScenario::expect_jobs(const Json& want) const {
  for (const auto& [name, job_want] : want.items()) {
    const Json job = kube_json({"get", "job", name, "-o", "json"});
    EXPECT_EQ(job["metadata"]["labels"].value("component", ""), "migration") << name;
    EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"].value("component", ""), "migration") << name;
    const Json& container = job["spec"]["template"]["spec"]["containers"][0];
    EXPECT_EQ(container["command"], Json::array({"/migrate.sh"})) << name;
    EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"], "udab-db") << name;
    std::string finished;
    std::string reason;
    for (const Json& c : job["status"].value("conditions", Json::array())) {
      const std::string type = c.value("type", "");
      if ((type == "Complete" || type == "Failed") && c.value("status", "") == "True") {
        finished = type;
        reason = c.value("reason", "");
      }
    }
    EXPECT_EQ(finished, job_want.value("condition", "")) << job.dump();
    if (job_want.contains("reason")) {
      EXPECT_EQ(reason, job_want["reason"].get<std::string>()) << name;
    }
    for (const char* count : {"succeeded", "failed", "active"}) {
      if (job_want.contains(count)) {
        EXPECT_EQ(job["status"].value(count, 0), job_want[count].get<int>()) << count;
      }
    }
    if (job_want.contains("log_contains")) {
      const KubeRun logs = kubectl(*sandbox_, {"logs", "job/" + name});
      EXPECT_EQ(logs.exit_code, 0) << logs.err;
      EXPECT_NE(logs.out.find(job_want["log_contains"].get<std::string>()), std::string::npos) << logs.out;
    }
  }
}

void KubeScenario::expect_deployment(const Json& want) const {
  const Json d = kube_json({"get", "deployment", "udab-server", "-o", "json"});
  const Json& container = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["name"], "app");
  EXPECT_EQ(container["image"], want["image"]);
  EXPECT_EQ(d["spec"]["replicas"], want["replicas"]);
  EXPECT_EQ(d["status"]["readyReplicas"], want["readyReplicas"]);
  EXPECT_EQ(d["status"]["availableReplicas"], want["availableReplicas"]);
  EXPECT_EQ(d["status"]["observedGeneration"], d["metadata"]["generation"]);
  std::vector<std::string> conditions;
  for (const Json& c : d["status"]["conditions"]) conditions.push_back(c["type"].get<std::string>() + "=" + c["status"].get<std::string>());
  EXPECT_EQ(conditions, (std::vector<std::string>{"Available=True", "Progressing=True"}));
  // kubectl's table: READY, UP-TO-DATE and AVAILABLE come from the status subresource.
  const KubeRun table = kubectl(*sandbox_, {"get", "deployment", "udab-server", "--no-headers"});
  std::istringstream words(table.out);
  std::vector<std::string> columns{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
  ASSERT_EQ(columns.size(), 5u) << table.out << table.err;
  columns.pop_back();  // AGE
  EXPECT_EQ(columns, (std::vector<std::string>{"udab-server", "2/2", "2", "2"}));
}

void KubeScenario::expect_application(const Json& want) const {
  const Json a = kube_json({"get", "applications.argoproj.io", "udab-server-stage", "-o", "json"});
  const Json& annotations = a["metadata"]["annotations"];
  EXPECT_EQ(annotations.value("argocd-image-updater.argoproj.io/image-list", ""), fmt::format("app={}", kScenarioTestImage));
  EXPECT_EQ(annotations.value("argocd-image-updater.argoproj.io/app.allow-tags", ""), "regexp:^stage-migrated-");
  EXPECT_EQ(annotations.value("argocd-image-updater.argoproj.io/app.update-strategy", ""), "newest-build");
  EXPECT_EQ(a["spec"]["project"], "default");
  EXPECT_EQ(a["spec"]["destination"], Json({{"server", "https://kubernetes.default.svc"}, {"namespace", "udab"}}));
  EXPECT_EQ(a["status"]["sync"]["status"], want["sync"]);
  EXPECT_EQ(a["status"]["sync"]["revision"], want["revision"]);
  EXPECT_EQ(a["status"]["health"]["status"], want["health"]);
  EXPECT_EQ(a["status"]["operationState"]["phase"], want["operation"]);
  EXPECT_TRUE(a["status"]["operationState"].contains("finishedAt"));
  EXPECT_EQ(a["status"]["summary"]["images"], want["images"]);
}

TEST_F(KubeScenario, NamesAreTheSeededFiveAndAnUnknownOneListsThem) {
  EXPECT_EQ(scenario_names(MGATE_SANDBOX_SOURCE_DIR),
            (std::vector<std::string>{"healthy", "migrated-not-deployed", "migration-failed", "migration-running",
                                      "restored-behind"}));
  auto loaded = load_scenario(MGATE_SANDBOX_SOURCE_DIR, "no-such");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message,
            "no scenario named 'no-such'; known: healthy, migrated-not-deployed, migration-failed, "
            "migration-running, restored-behind");
}

TEST_F(KubeScenario, HealthyIsMigratedAtHeadDeployedAndSynced) {
  ASSERT_NO_FATAL_FAILURE(apply("healthy"));
  expect_state();
  EXPECT_EQ(psql("SELECT version_num FROM alembic_version"), std::string(kScenarioTestHead) + "\n");
  EXPECT_EQ(scenario_["expect"]["deployment"]["image"], fmt::format("{}:stage-migrated-{}", kScenarioTestImage, sha("A")));
  const KubeRun logs = kubectl(*sandbox_, {"logs", "job/db-migration-" + sha("A").substr(0, 7)});
  EXPECT_NE(logs.out.find("migrate: udab-server:stage-migrated-" + sha("A") + " pushed"), std::string::npos) << logs.out;
}

TEST_F(KubeScenario, MigrationRunningLeavesBsPodRunning) {
  ASSERT_NO_FATAL_FAILURE(apply("migration-running"));
  expect_state();
  const std::string job = "db-migration-" + sha("B").substr(0, 7);
  const KubeRun pods = kubectl(*sandbox_, {"get", "pods", "-l", "batch.kubernetes.io/job-name=" + job, "--no-headers",
                                           "-o", "custom-columns=PHASE:.status.phase"});
  EXPECT_EQ(pods.out, "Running\n") << pods.err;
}

TEST_F(KubeScenario, MigrationFailedIsBackoffLimitExceededOnADuplicateTable) {
  ASSERT_NO_FATAL_FAILURE(apply("migration-failed"));
  expect_state();
  const std::string job = "db-migration-" + sha("C").substr(0, 7);
  const Json j = kube_json({"get", "job", job, "-o", "json"});
  EXPECT_EQ(j["spec"]["backoffLimit"], 1);
  EXPECT_EQ(j["spec"]["template"]["spec"]["restartPolicy"], "Never");
  const KubeRun logs = kubectl(*sandbox_, {"logs", "job/" + job});
  EXPECT_NE(logs.out.find("psycopg2.errors.DuplicateTable) relation \"user_points\" already exists"), std::string::npos)
      << logs.out;
}

TEST_F(KubeScenario, RestoredBehindIsFourRevisionsDownWithTheNewTablesGone) {
  ASSERT_NO_FATAL_FAILURE(apply("restored-behind"));
  expect_state();
  EXPECT_EQ(psql("SELECT version_num FROM alembic_version"), "b7d3f5a19c20\n");
  EXPECT_EQ(psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'chores' AND column_name = 'points'"),
            "0\n");
}

TEST_F(KubeScenario, MigratedNotDeployedHasDMigratedAndAStillDeployed) {
  ASSERT_NO_FATAL_FAILURE(apply("migrated-not-deployed"));
  expect_state();
  const auto [rc, d] = ecr({"describe-images", "--repository-name", "udab-server", "--image-ids",
                            "imageTag=stage-migrated-" + sha("D")});
  ASSERT_EQ(rc, 0);
  EXPECT_NE(d["imageDetails"][0]["imageDigest"],
            ecr({"describe-images", "--repository-name", "udab-server", "--image-ids", "imageTag=stage-" + sha("A")})
                .second["imageDetails"][0]["imageDigest"]);
  EXPECT_EQ(scenario_["expect"]["deployment"]["image"], fmt::format("{}:stage-migrated-{}", kScenarioTestImage, sha("A")));
}

}  // namespace
}  // namespace mgate::sandbox::testing
