// The resubmit's guards, naming, cloning and plan → confirm → execute → verify → audit sequence,
// against the simulated API server in process (tests/sandbox/kubesim; no job controller runs, so
// each Job's status is what the test stores). The real migration Jobs a resubmit starts run in
// tests/integration/kube_resubmit_test.cpp.

#include "backend/ops/resubmit_action.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "backend/registry/media_types.hpp"
#include "backend/registry/tag_model.hpp"
#include "tests/sandbox/kubesim/api_server.hpp"
#include "tests/support/memory_registry.hpp"

namespace mgate::backend::ops {
namespace {

namespace fs = std::filesystem;
namespace sim = mgate::kubesim;
using Json = nlohmann::json;

constexpr const char* kShaA = "5880242bf3d73c6283cdaea806e27a735f636c06";
constexpr const char* kShaB = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
constexpr const char* kRepo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";

Json condition(const std::string& type, const std::string& reason = "") {
  return {{"type", type}, {"status", "True"}, {"reason", reason}, {"lastTransitionTime", "2026-11-21T10:00:10Z"}};
}

/// A Job as the API server serves a finished (or running) one: server-set fields included.
Json served_job(const std::string& name, const std::string& sha, const Json& status) {
  const std::string uid = "uid-" + name;
  const Json selector_labels = {{"batch.kubernetes.io/controller-uid", uid},
                                {"batch.kubernetes.io/job-name", name},
                                {"controller-uid", uid},
                                {"job-name", name}};
  Json template_labels = selector_labels;
  template_labels["component"] = "migration";
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"namespace", "udab"},
            {"labels", {{"component", "migration"}, {"app.kubernetes.io/instance", "udab-server-stage"}}},
            {"annotations", {{"argocd.argoproj.io/hook", "PreSync"}}},
            {"creationTimestamp", "2026-11-21T10:00:00Z"}}},
          {"spec",
           {{"backoffLimit", 3},
            {"selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}}},
            {"template",
             {{"metadata", {{"labels", template_labels}}},
              {"spec",
               {{"restartPolicy", "OnFailure"},
                {"containers",
                 {{{"name", "migrate"},
                   {"image", fmt::format("{}:stage-{}", kRepo, sha)},
                   {"command", {"/migrate.sh"}},
                   {"env", {{{"name", "IMAGE_SHA"}, {"value", sha}}, {{"name", "SHORT"}, {"value", std::string(sha).substr(0, 7)}}}}}}}}}}}}},
          {"status", status}};
}

const Json kComplete = {{"succeeded", 1}, {"startTime", "2026-11-21T10:00:01Z"},
                        {"conditions", {condition("SuccessCriteriaMet"), condition("Complete")}}};
const Json kRunning = {{"active", 1}, {"startTime", "2026-11-21T10:00:01Z"}};

class ResubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("mgate-resubmit-test-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    access_.add_token("t", sim::Principal{{"tester", {}}, {sim::AccessRule{}}});
    server_ = std::make_unique<sim::ApiServer>(store_, access_, sim::ServerOptions{});
    server_->start();
    store_.create(sim::kNamespaces, {{"metadata", {{"name", "udab"}}}});
    kube::ApiClientOptions o;
    o.server = "http://127.0.0.1:" + std::to_string(server_->port());
    o.token = std::make_shared<kube::StaticToken>(Secret("t"));
    client_ = std::make_unique<kube::ApiClient>(o);

    env_.name = "stage";
    env_.kube.jobs.selector = "component=migration";
    env_.kube.jobs.name = "db-migration-{sha7}";
    env_.registry.built_tag = "stage-{sha}";
    env_.registry.migrated_tag = "stage-migrated-{sha}";
    env_.deploy = config::DeployConfig{};
    env_.deploy->argocd_application = "udab-server-stage";
    patterns_ = *registry::TagPatterns::for_env(env_);
    jobs_ = std::make_unique<kube::MigrationJobs>(*client_, "udab", env_.kube.jobs.selector,
                                                  kube::sha_of_tag(patterns_.built));
    records_.emplace(dir_ / "state");
    audit_ = std::make_unique<AuditLog>(dir_ / "audit.jsonl");
    ctx_.config = &config_;
    ctx_.env = &env_;
    ctx_.jobs = jobs_.get();
    ctx_.records = &*records_;
    ctx_.audit = audit_.get();
    ctx_.user = "oncall";
    ctx_.kube_context = "stage-eks";
    ctx_.delete_wait = std::chrono::seconds(5);
    hooks_.show = [this](const ResubmitPlan& p) { shown_ = p.describe(); };
    hooks_.confirm = [this](const Confirmation& c) -> Status {
      asked_ = c;
      if (on_confirm_) on_confirm_();
      return ok_status();
    };
    hooks_.progress = [this](const std::string& line) { progress_.push_back(line); };
  }
  void TearDown() override {
    client_.reset();
    server_->stop();
    fs::remove_all(dir_);
  }

  void store(const Json& job) { store_.create(sim::kJobs, job); }
  std::optional<Json> stored(const std::string& name) { return store_.get(sim::kJobs, "udab", name); }

  std::vector<Json> audit() {
    auto all = audit_->read_all();
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<Json>{};
  }

  Result<ResubmitResult> resubmit(std::optional<std::string> sha = std::nullopt, bool dry_run = false) {
    return run_resubmit(ctx_, ResubmitRequest{"stage", std::move(sha)}, hooks_, dry_run);
  }

  fs::path dir_;
  sim::ObjectStore store_;
  sim::AccessControl access_;
  std::unique_ptr<sim::ApiServer> server_;
  std::unique_ptr<kube::ApiClient> client_;
  config::Config config_;
  config::Environment env_;
  registry::TagPatterns patterns_;
  std::unique_ptr<kube::MigrationJobs> jobs_;
  std::optional<kube::JobRecordCache> records_;
  std::unique_ptr<AuditLog> audit_;
  ResubmitContext ctx_;
  ResubmitHooks hooks_;
  std::vector<std::string> shown_;
  std::vector<std::string> progress_;
  std::optional<Confirmation> asked_;
  std::function<void()> on_confirm_;
};

TEST_F(ResubmitTest, RefusedWhileAMigrationJobIsActiveAndNothingIsCreated) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  store(served_job("db-migration-1a2b3c4", kShaB, kRunning));
  auto result = resubmit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kRefused);
  EXPECT_EQ(result.error().message,
            "refused: a migration Job is active in stage: db-migration-1a2b3c4 (active, 1 pod running); wait for it "
            "to finish");
  EXPECT_EQ(store_.list(sim::kJobs, "udab").size(), 2u);
  EXPECT_FALSE(asked_);
  const auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["action"], "resubmit");
  EXPECT_EQ(records[0]["outcome"], "refused");
}

TEST_F(ResubmitTest, SuspendedAndTerminatingJobsCountAsActive) {
  Json suspended = served_job("db-migration-5880242", kShaA, {{"conditions", {condition("Suspended")}}});
  suspended["spec"]["suspend"] = true;
  store(suspended);
  auto result = plan_resubmit(ctx_, ResubmitRequest{"stage", std::nullopt});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("db-migration-5880242 (suspended; it may be resumed)"), std::string::npos)
      << result.error().message;

  store_.remove(sim::kJobs, "udab", "db-migration-5880242");
  store(served_job("db-migration-1a2b3c4", kShaB,
                   {{"failed", 1}, {"active", 1}, {"conditions", {condition("FailureTarget", "BackoffLimitExceeded")}}}));
  result = plan_resubmit(ctx_, ResubmitRequest{"stage", std::nullopt});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("(failed, its pods still terminating)"), std::string::npos)
      << result.error().message;
}

TEST_F(ResubmitTest, PerShaNameGetsAnAttemptSuffixAndTheCloneIsClean) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  auto result = resubmit();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  const ResubmitPlan& plan = result->plan;
  EXPECT_EQ(plan.name, "db-migration-5880242-2");
  EXPECT_EQ(plan.sha, kShaA);
  EXPECT_EQ(plan.source, "Job db-migration-5880242 (Complete)");
  EXPECT_FALSE(plan.replaces);
  ASSERT_TRUE(asked_);
  EXPECT_EQ(asked_->question, fmt::format("Create Job db-migration-5880242-2 in stage (image {}:stage-{})?", kRepo, kShaA));

  auto created = stored("db-migration-5880242-2");
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["metadata"]["uid"], result->uid);
  const Json& meta = (*created)["metadata"];
  EXPECT_EQ(meta["labels"], Json({{"component", "migration"}})) << "the instance label Argo CD tracks is dropped";
  EXPECT_FALSE(meta["annotations"].contains("argocd.argoproj.io/hook"));
  EXPECT_EQ(meta["annotations"]["mgate.dev/resubmit-of"], "db-migration-5880242");
  EXPECT_EQ(meta["annotations"]["mgate.dev/resubmitted-by"], "oncall");
  // The server generated a new selector for the new uid, not the source's.
  EXPECT_EQ((*created)["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], result->uid);
  EXPECT_FALSE((*created).contains("status") && (*created)["status"].contains("succeeded"));
  EXPECT_EQ((*created)["spec"]["template"]["spec"]["containers"][0]["image"], fmt::format("{}:stage-{}", kRepo, kShaA));
  ASSERT_EQ(progress_.size(), 1u);
  EXPECT_EQ(progress_[0], fmt::format("created Job db-migration-5880242-2 (uid {})", result->uid));

  const auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "succeeded");
  EXPECT_EQ(records[0]["arguments"]["name"], "db-migration-5880242-2");
  EXPECT_EQ(records[0]["before"]["source"], "Job db-migration-5880242 (Complete)");
  EXPECT_EQ(records[0]["after"]["uid"], result->uid);

  // Once more: -3.
  store_.update(sim::kJobs, "udab", "db-migration-5880242-2", [](Json& j) {
    j["status"] = kComplete;
    return true;
  });
  auto again = resubmit();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->plan.name, "db-migration-5880242-3");
  EXPECT_EQ(again->plan.source, "Job db-migration-5880242-2 (Complete)");
}

TEST_F(ResubmitTest, AnotherShaSwitchesTheImageAndTheEnvValuesNamingTheCommit) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  mgate::testing::MemoryRegistry mem;
  const std::string digest = mem.add_manifest(
      mgate::testing::docker_manifest(mem.add_blob(mgate::testing::image_config("2026-11-21T09:00:00Z"))),
      std::string(registry::kDockerManifestV2));
  mem.tag(std::string("stage-") + kShaB, digest);
  ctx_.registry = &mem;
  auto result = resubmit(std::string(kShaB).substr(0, 9));
  ASSERT_TRUE(result.ok()) << result.error().describe();
  const ResubmitPlan& plan = result->plan;
  EXPECT_EQ(plan.sha, kShaB) << "the prefix resolves to the commit the tags name";
  EXPECT_EQ(plan.name, "db-migration-1a2b3c4");
  EXPECT_EQ(plan.image, fmt::format("{}:stage-{}", kRepo, kShaB));
  EXPECT_EQ(plan.from_image, fmt::format("{}:stage-{}", kRepo, kShaA));
  EXPECT_EQ(plan.env_changes, (std::vector<std::string>{fmt::format("migrate: IMAGE_SHA {} → {}", kShaA, kShaB),
                                                        "migrate: SHORT 5880242 → 1a2b3c4"}));
  auto created = stored("db-migration-1a2b3c4");
  ASSERT_TRUE(created);
  const Json& c = (*created)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], plan.image);
  EXPECT_EQ(c["env"][0]["value"], kShaB);
  EXPECT_EQ(c["env"][1]["value"], "1a2b3c4");

  // A commit with no built image is refused before anything is made.
  store_.update(sim::kJobs, "udab", "db-migration-1a2b3c4", [](Json& j) {
    j["status"] = kComplete;
    return true;
  });
  auto missing = resubmit("abcdef0123");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kRefused);
  EXPECT_EQ(missing.error().message,
            "refused: MEM test/repo has no built tag stage-abcdef0123 (pattern stage-{sha}): there is no image to run");
  EXPECT_EQ(store_.list(sim::kJobs, "udab").size(), 2u);
}

TEST_F(ResubmitTest, StaticNameIsDeletedWaitedOnAndCreatedAgain) {
  env_.kube.jobs.name = "udab-server-migration";
  store(served_job("udab-server-migration", kShaA, kComplete));
  const std::string old_uid = (*stored("udab-server-migration"))["metadata"]["uid"];
  auto result = resubmit();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  const ResubmitPlan& plan = result->plan;
  EXPECT_TRUE(plan.static_name);
  ASSERT_TRUE(plan.replaces);
  EXPECT_EQ(plan.replaces_uid, old_uid);
  EXPECT_EQ(plan.commands,
            (std::vector<std::string>{
                "kubectl --context stage-eks -n udab delete job udab-server-migration --cascade=background --wait",
                "kubectl --context stage-eks -n udab create -f job.json   # job.json: the Job of this plan (--dry-run "
                "prints it)"}));
  ASSERT_TRUE(asked_);
  EXPECT_EQ(asked_->question.substr(0, 56), "Delete Job udab-server-migration in stage and create it ");
  auto now = stored("udab-server-migration");
  ASSERT_TRUE(now);
  EXPECT_NE((*now)["metadata"]["uid"], old_uid);
  EXPECT_EQ((*now)["metadata"]["uid"], result->uid);
  ASSERT_EQ(progress_.size(), 3u);
  EXPECT_EQ(progress_[0], fmt::format("deleting Job udab-server-migration (uid {}), propagationPolicy=Background", old_uid));
  EXPECT_EQ(progress_[1].substr(0, 34), "Job udab-server-migration is gone ");
  // The replaced Job's outcome was kept before it went.
  auto recorded = records_->load_uid("stage", old_uid);
  ASSERT_TRUE(recorded.ok() && recorded->has_value());
  EXPECT_EQ((**recorded).job["metadata"]["name"], "udab-server-migration");
  const auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["before"]["replaces_uid"], old_uid);
}

TEST_F(ResubmitTest, StaticNameThatIsNotFinishedIsRefused) {
  env_.kube.jobs.name = "udab-server-migration";
  env_.kube.jobs.selector = "component=other";  // not a migration Job by the selector, still in the way
  jobs_ = std::make_unique<kube::MigrationJobs>(*client_, "udab", "component=other", kube::sha_of_tag(patterns_.built));
  ctx_.jobs = jobs_.get();
  Json source = served_job("migration-source", kShaA, kComplete);
  source["metadata"]["labels"]["component"] = "other";
  store(source);
  store(served_job("udab-server-migration", kShaA, kRunning));
  auto result = resubmit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "refused: Job udab-server-migration is not finished (active, 1 pod running); a resubmit would delete it");
  EXPECT_TRUE(stored("udab-server-migration"));
}

TEST_F(ResubmitTest, AJobStartedWhileConfirmingRefusesAtExecute) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  on_confirm_ = [this] { store(served_job("db-migration-1a2b3c4", kShaB, kRunning)); };
  auto result = resubmit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kRefused);
  EXPECT_NE(result.error().message.find("db-migration-1a2b3c4"), std::string::npos);
  EXPECT_FALSE(stored("db-migration-5880242-2"));
}

TEST_F(ResubmitTest, DryRunAsksTheServerAndChangesNothing) {
  env_.kube.jobs.name = "udab-server-migration";
  store(served_job("udab-server-migration", kShaA, kComplete));
  const std::string old_uid = (*stored("udab-server-migration"))["metadata"]["uid"];
  auto result = resubmit(std::nullopt, true);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_TRUE(result->dry_run);
  EXPECT_FALSE(asked_) << "a dry run needs no confirmation";
  EXPECT_EQ(result->created["metadata"]["name"], "udab-server-migration");
  EXPECT_EQ(result->created["kind"], "Job");
  // The server defaulted it (a dry run goes through admission), and stored nothing.
  EXPECT_EQ(result->created["spec"]["completions"], 1);
  EXPECT_EQ((*stored("udab-server-migration"))["metadata"]["uid"], old_uid);
  EXPECT_EQ(store_.list(sim::kJobs, "udab").size(), 1u);
  const auto records = audit();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "dry_run");
}

TEST_F(ResubmitTest, TemplateIsUsedWhenConfigured) {
  const fs::path file = dir_ / "migration-job.yaml";
  std::ofstream(file) << "apiVersion: batch/v1\n"
                         "kind: Job\n"
                         "metadata:\n"
                         "  name: from-template\n"
                         "  labels: {component: migration}\n"
                         "spec:\n"
                         "  backoffLimit: 2\n"
                         "  template:\n"
                         "    spec:\n"
                         "      restartPolicy: Never\n"
                         "      containers:\n"
                         "        - name: migrate\n"
                         "          image: " << kRepo << ":stage-{sha}\n"
                         "          env:\n"
                         "            - {name: IMAGE_SHA, value: \"{sha}\"}\n"
                         "            - {name: ENVIRONMENT, value: \"{env}\"}\n";
  env_.kube.jobs.template_file = file;
  auto none = resubmit();
  ASSERT_FALSE(none.ok()) << "no Job names a commit and no --sha was given";
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);

  auto result = resubmit(std::string(kShaA));
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->plan.source, "template " + file.string());
  EXPECT_EQ(result->plan.name, "db-migration-5880242");
  auto created = stored("db-migration-5880242");
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["spec"]["backoffLimit"], 2);
  const Json& c = (*created)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], fmt::format("{}:stage-{}", kRepo, kShaA));
  EXPECT_EQ(c["env"][0]["value"], kShaA);
  EXPECT_EQ(c["env"][1]["value"], "stage");
}

TEST_F(ResubmitTest, ReadOnlyRefusesBeforeAnything) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  ctx_.read_only_flag = true;
  auto result = resubmit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kRefused);
  EXPECT_FALSE(stored("db-migration-5880242-2"));
}

TEST_F(ResubmitTest, NothingToCloneSaysWhereItLooked) {
  auto result = resubmit();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message,
            "no migration Job to resubmit in stage: none matches component=migration in namespace udab, none is "
            "recorded, and no jobs.template is configured");
}

TEST_F(ResubmitTest, ARecordedJobIsASourceWhenTheClusterDeletedIt) {
  const Json job = served_job("db-migration-5880242", kShaA, kComplete);
  store(job);
  auto listed = jobs_->list();
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE(jobs_->record_decided(*records_, "stage", *listed).ok());
  store_.remove(sim::kJobs, "udab", "db-migration-5880242");
  auto result = resubmit();
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->plan.source, "Job db-migration-5880242 (Complete, from the record)");
  EXPECT_EQ(result->plan.name, "db-migration-5880242") << "the name is free again";
}

TEST_F(ResubmitTest, RecordingWithAMemoSkipsJobsAlreadyRecordedAtTheirPhase) {
  store(served_job("db-migration-5880242", kShaA, kComplete));
  auto listed = jobs_->list();
  ASSERT_TRUE(listed.ok());
  std::map<std::string, kube::JobPhase> known;
  auto first = jobs_->record_decided(*records_, "stage", *listed, {}, &known);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, 1);
  ASSERT_EQ(known.size(), 1u);
  EXPECT_EQ(known.begin()->second, kube::JobPhase::kComplete);

  // The memo answers for the disk: a record that vanished is not looked for, nor taken again.
  std::filesystem::remove_all(records_->root());
  auto second = jobs_->record_decided(*records_, "stage", *listed, {}, &known);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 0);
  EXPECT_TRUE(records_->stamps("stage").empty());
  // Without the memo the disk is read and the record taken again.
  auto third = jobs_->record_decided(*records_, "stage", *listed);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 1);
}

TEST(ResubmitProgress, DescribesTheJobAndEachPod) {
  kube::JobEntry job;
  job.view.name = "db-migration-5880242";
  job.view.status.phase = kube::JobPhase::kFailed;
  job.view.status.reason = "BackoffLimitExceeded";
  job.view.failed = 2;
  kube::JobPods pods;
  kube::PodView p;
  p.name = "db-migration-5880242-x1";
  p.phase = "Failed";
  kube::ContainerView c;
  c.name = "migrate";
  c.restart_count = 2;
  c.state.kind = kube::ContainerStateView::Kind::kTerminated;
  c.state.exit_code = 3;
  p.containers.push_back(c);
  pods.views.push_back(p);
  EXPECT_EQ(describe_progress(job, pods),
            "db-migration-5880242: Failed (BackoffLimitExceeded), active 0 succeeded 0 failed 2; pod "
            "db-migration-5880242-x1 Failed restarts 2 exit 3");
}

}  // namespace
}  // namespace mgate::backend::ops
