// MigrationJob views. Captured Jobs from $MGATE_SHARED_DIR/testdata/kube (see its README.md), and
// small inline objects for what no captured Job shows: the v1.31 conditions, hook annotations, the
// TTL countdown, sha extraction.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/core/time.hpp"
#include "backend/kube/migration_jobs.hpp"
#include "backend/kube/views.hpp"
#include "backend/registry/tag_pattern.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using TimePoint = Clock::time_point;

Json fixture(const std::string& name) {
  const char* shared = std::getenv("MGATE_SHARED_DIR");
  const fs::path path = fs::path(shared != nullptr ? shared : "../shared") / "testdata" / "kube" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Json::parse(in);
}

TimePoint at(const std::string& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

registry::TagPattern stage_pattern() {
  auto p = registry::TagPattern::parse("stage-{sha}", "stage");
  EXPECT_TRUE(p.ok());
  return *p;
}

/// A minimal Job around `status`, with `extra` merged into it.
Json job_with(Json status, Json extra = Json::object()) {
  Json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", "db-migration"},
        {"namespace", "stage"},
        {"uid", "u-1"},
        {"creationTimestamp", "2026-11-20T10:00:00Z"}}},
      {"spec",
       {{"backoffLimit", 2},
        {"template",
         {{"spec",
           {{"restartPolicy", "Never"},
            {"containers",
             {{{"name", "migrate"},
               {"image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:stage-0123abcd"}}}}}}}}}},
      {"status", std::move(status)},
  };
  job.merge_patch(extra);
  return job;
}

MigrationJob parse_ok(const Json& json, TimePoint now) {
  const auto pattern = stage_pattern();
  auto job = parse_migration_job(json, sha_of_tag(pattern), now);
  EXPECT_TRUE(job.ok()) << (job.ok() ? "" : job.error().message);
  return job.ok() ? *job : MigrationJob{};
}

const TimePoint kNow = at("2026-11-20T10:30:00Z");

TEST(MigrationJobView, CompleteJob2019) {
  // job-complete-2019.json: an old server's Complete with no reason, owned by a v1beta1 CronJob.
  const MigrationJob job = parse_ok(fixture("job-complete-2019.json"), kNow);
  EXPECT_EQ(job.name, "hello-1567179180");
  EXPECT_EQ(job.namespace_, "default");
  EXPECT_EQ(job.uid, "7473e6d0-cb3b-11e9-990f-42010a800218");
  EXPECT_EQ(job.created, at("2019-08-30T15:33:02Z"));
  EXPECT_EQ(job.container, "c1");
  EXPECT_EQ(job.image, "blang/busybox-bash");
  EXPECT_EQ(job.sha, std::nullopt);
  EXPECT_EQ(job.status.phase, JobPhase::kComplete);
  EXPECT_STREQ(to_string(job.status.phase), "Complete");
  EXPECT_EQ(job.status.reason, "");
  EXPECT_TRUE(job.status.terminal());
  EXPECT_TRUE(job.status.succeeded());
  EXPECT_EQ(job.succeeded, 1);
  EXPECT_EQ(job.failed, 0);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.start, at("2019-08-30T15:33:02Z"));
  EXPECT_EQ(job.completion, at("2019-08-30T15:33:10Z"));
  EXPECT_EQ(job.finished, at("2019-08-30T15:33:10Z"));
  EXPECT_EQ(job.duration, seconds(8));
  EXPECT_EQ(job.backoff_limit, 6);
  EXPECT_EQ(job.restart_policy, "OnFailure");
  EXPECT_EQ(job.ttl_seconds_after_finished, std::nullopt);
  EXPECT_EQ(job.ttl_left, std::nullopt);
  EXPECT_FALSE(job.hooks.any());
  EXPECT_EQ(job.labels,
            (std::map<std::string, std::string>{{"controller-uid", "7473e6d0-cb3b-11e9-990f-42010a800218"},
                                                {"job-name", "hello-1567179180"}}));
}

TEST(MigrationJobView, FailedBackoffLimit2018) {
  // job-failed-backofflimit-2018.json: Failed has no completionTime; the condition dates the end.
  const MigrationJob job = parse_ok(fixture("job-failed-backofflimit-2018.json"), kNow);
  EXPECT_EQ(job.name, "fail");
  EXPECT_EQ(job.namespace_, "argoci-workflows");
  EXPECT_EQ(job.image, "alpine:latest");
  EXPECT_EQ(job.sha, std::nullopt);  // "latest" is not a stage-{sha} tag
  EXPECT_EQ(job.status.phase, JobPhase::kFailed);
  EXPECT_EQ(job.status.reason, "BackoffLimitExceeded");
  EXPECT_EQ(job.status.message, "Job has reached the specified backoff limit");
  EXPECT_FALSE(job.status.succeeded());
  EXPECT_EQ(job.failed, 1);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.completion, std::nullopt);
  EXPECT_EQ(job.finished, at("2018-12-02T08:09:27Z"));
  EXPECT_EQ(job.duration, seconds(2));
  EXPECT_EQ(job.backoff_limit, 0);
  EXPECT_EQ(job.restart_policy, "Never");
}

TEST(MigrationJobView, CompleteOpenShift2023WithItsPod) {
  // job-complete-openshift-2023.json and pod-of-job-completed-openshift-2023.json.
  const MigrationJob job = parse_ok(fixture("job-complete-openshift-2023.json"), kNow);
  EXPECT_EQ(job.name, "example-cj-28080681");
  EXPECT_EQ(job.namespace_, "div");
  EXPECT_EQ(job.uid, "a758623e-6ddd-4858-acd8-efa18b336c25");
  EXPECT_EQ(job.image, "busybox");
  EXPECT_EQ(job.status.phase, JobPhase::kComplete);
  EXPECT_EQ(job.duration, seconds(9));
  EXPECT_FALSE(job.suspend);
  EXPECT_EQ(job.annotations, (std::map<std::string, std::string>{{"batch.kubernetes.io/job-tracking", ""}}));
  EXPECT_EQ(job.labels.at("backstage.io/kubernetes-id"), "nationalparks-py");

  const auto pods = pods_of_job(
      {fixture("pod-of-job-completed-openshift-2023.json"), fixture("pod-failed-exit1-minikube-2018.json")},
      job);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].name, "example-cj-28080681-clstf");
  EXPECT_EQ(attempts_with_restarts(job, pods), 1);
}

TEST(MigrationJobView, AllFieldsRoundTripFixture) {
  // job-allfields-roundtrip-fixture.json: every field set with placeholder values. The condition's
  // status is "statusValue", not "True", so it decides nothing and active: 4 makes it Active.
  const MigrationJob job = parse_ok(fixture("job-allfields-roundtrip-fixture.json"), kNow);
  EXPECT_EQ(job.name, "nameValue");
  EXPECT_EQ(job.namespace_, "namespaceValue");
  EXPECT_EQ(job.uid, "uidValue");
  EXPECT_EQ(job.created, at("2008-01-01T01:01:01Z"));
  EXPECT_EQ(job.container, "nameValue");
  EXPECT_EQ(job.image, "imageValue");
  EXPECT_EQ(job.status.phase, JobPhase::kActive);
  EXPECT_EQ(job.active, 4);
  EXPECT_EQ(job.succeeded, 5);
  EXPECT_EQ(job.failed, 6);
  EXPECT_EQ(job.attempts, 15);
  EXPECT_EQ(job.start, at("2002-01-01T01:01:01Z"));
  EXPECT_EQ(job.completion, at("2003-01-01T01:01:01Z"));
  EXPECT_EQ(job.finished, std::nullopt);
  EXPECT_EQ(job.duration, std::chrono::duration_cast<seconds>(kNow - at("2002-01-01T01:01:01Z")));
  EXPECT_EQ(job.ttl_seconds_after_finished, 8);
  EXPECT_EQ(job.ttl_left, std::nullopt);  // not finished: the TTL clock has not started
  EXPECT_EQ(job.backoff_limit, 7);
  EXPECT_EQ(job.active_deadline_seconds, 3);
  EXPECT_EQ(job.restart_policy, "restartPolicyValue");
  EXPECT_TRUE(job.suspend);
  EXPECT_EQ(job.labels, (std::map<std::string, std::string>{{"labelsKey", "labelsValue"}}));
  EXPECT_EQ(job.annotations, (std::map<std::string, std::string>{{"annotationsKey", "annotationsValue"}}));
}

TEST(MigrationJobView, ShaFromTheBuiltTag) {
  const MigrationJob job = parse_ok(job_with(Json::object()), kNow);
  EXPECT_EQ(job.sha, "0123abcd");
  // A registry port is not a tag, and a digest after the tag is ignored.
  const MigrationJob ported = parse_ok(
      job_with(Json::object(),
               {{"spec",
                 {{"template",
                   {{"spec",
                     {{"containers",
                       {{{"name", "m"}, {"image", "localhost:5000/app:stage-89abcdef0@sha256:aa"}}}}}}}}}}}),
      kNow);
  EXPECT_EQ(ported.image, "localhost:5000/app:stage-89abcdef0@sha256:aa");
  EXPECT_EQ(ported.sha, "89abcdef0");
  const MigrationJob untagged = parse_ok(
      job_with(Json::object(),
               {{"spec",
                 {{"template",
                   {{"spec", {{"containers", {{{"name", "m"}, {"image", "localhost:5000/app"}}}}}}}}}}}),
      kNow);
  EXPECT_EQ(untagged.sha, std::nullopt);
}

Json condition(const char* type, const char* reason, const char* time) {
  return {{"type", type},          {"status", "True"},
          {"reason", reason},      {"message", std::string(reason) + " message"},
          {"lastProbeTime", time}, {"lastTransitionTime", time}};
}

TEST(MigrationJobView, V131FailureTargetBeforeFailed) {
  // v1.31+: FailureTarget first, while pods terminate; Failed only once they are gone.
  Json status = {
      {"startTime", "2026-11-20T10:00:00Z"},
      {"failed", 3},
      {"terminating", 1},
      {"conditions", {condition("FailureTarget", "BackoffLimitExceeded", "2026-11-20T10:05:00Z")}}};
  MigrationJob job = parse_ok(job_with(status), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kFailureTarget);
  EXPECT_STREQ(to_string(job.status.phase), "FailureTarget");
  EXPECT_EQ(job.status.reason, "BackoffLimitExceeded");
  EXPECT_EQ(job.status.message, "BackoffLimitExceeded message");
  EXPECT_TRUE(job.status.decided());
  EXPECT_FALSE(job.status.terminal());
  EXPECT_EQ(job.finished, std::nullopt);
  EXPECT_EQ(job.duration, seconds(1800));  // still running until now

  status["conditions"].push_back(condition("Failed", "BackoffLimitExceeded", "2026-11-20T10:05:30Z"));
  job = parse_ok(job_with(status), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kFailed);
  EXPECT_EQ(job.status.reason, "BackoffLimitExceeded");
  EXPECT_EQ(job.finished, at("2026-11-20T10:05:30Z"));
  EXPECT_EQ(job.duration, seconds(330));
}

TEST(MigrationJobView, V131SuccessCriteriaMetBeforeComplete) {
  Json status = {
      {"startTime", "2026-11-20T10:00:00Z"},
      {"succeeded", 1},
      {"conditions", {condition("SuccessCriteriaMet", "CompletionsReached", "2026-11-20T10:01:00Z")}}};
  MigrationJob job = parse_ok(job_with(status), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kSuccessCriteriaMet);
  EXPECT_EQ(job.status.reason, "CompletionsReached");
  EXPECT_TRUE(job.status.succeeded());
  EXPECT_FALSE(job.status.terminal());

  status["conditions"].push_back(condition("Complete", "CompletionsReached", "2026-11-20T10:01:02Z"));
  status["completionTime"] = "2026-11-20T10:01:02Z";
  job = parse_ok(job_with(status), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kComplete);
  EXPECT_EQ(job.status.reason, "CompletionsReached");
  EXPECT_EQ(job.duration, seconds(62));
}

TEST(MigrationJobView, DeadlineExceededSuspendedActivePending) {
  MigrationJob job =
      parse_ok(job_with({{"startTime", "2026-11-20T10:00:00Z"},
                         {"failed", 1},
                         {"conditions", {condition("Failed", "DeadlineExceeded", "2026-11-20T10:10:00Z")}}},
                        {{"spec", {{"activeDeadlineSeconds", 600}}}}),
               kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kFailed);
  EXPECT_EQ(job.status.reason, "DeadlineExceeded");
  EXPECT_EQ(job.active_deadline_seconds, 600);

  job = parse_ok(job_with({{"conditions", {condition("Suspended", "JobSuspended", "2026-11-20T10:00:00Z")}}},
                          {{"spec", {{"suspend", true}}}}),
                 kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kSuspended);
  EXPECT_EQ(job.status.reason, "JobSuspended");

  job = parse_ok(job_with({{"startTime", "2026-11-20T10:29:00Z"}, {"active", 1}, {"ready", 0}}), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kActive);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.duration, seconds(60));

  // Started, nothing active yet and no terminal condition: still running.
  job = parse_ok(job_with({{"startTime", "2026-11-20T10:29:00Z"}}), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kActive);

  job = parse_ok(job_with(Json::object()), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kPending);
  EXPECT_EQ(job.duration, std::nullopt);
  EXPECT_EQ(job.attempts, 0);

  // A False condition decides nothing.
  Json not_true = condition("Failed", "BackoffLimitExceeded", "2026-11-20T10:10:00Z");
  not_true["status"] = "False";
  job = parse_ok(job_with({{"active", 1}, {"conditions", {not_true}}}), kNow);
  EXPECT_EQ(job.status.phase, JobPhase::kActive);
}

TEST(MigrationJobView, HookAnnotations) {
  const MigrationJob job = parse_ok(
      job_with(Json::object(), {{"metadata",
                                 {{"annotations",
                                   {{"argocd.argoproj.io/hook", "PreSync"},
                                    {"argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation"},
                                    {"argocd.argoproj.io/sync-wave", "-1"},
                                    {"helm.sh/hook", "pre-install,pre-upgrade"},
                                    {"helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded"},
                                    {"helm.sh/hook-weight", "-5"}}}}}}),
      kNow);
  EXPECT_TRUE(job.hooks.any());
  EXPECT_EQ(job.hooks.argocd_hook, "PreSync");
  EXPECT_EQ(job.hooks.argocd_hook_delete_policy, "BeforeHookCreation");
  EXPECT_EQ(job.hooks.argocd_sync_wave, "-1");
  EXPECT_EQ(job.hooks.helm_hook, "pre-install,pre-upgrade");
  EXPECT_EQ(job.hooks.helm_hook_delete_policy, "before-hook-creation,hook-succeeded");
  EXPECT_EQ(job.hooks.helm_hook_weight, "-5");

  const MigrationJob argo_only = parse_ok(
      job_with(Json::object(), {{"metadata", {{"annotations", {{"argocd.argoproj.io/hook", "Sync"}}}}}}),
      kNow);
  EXPECT_EQ(argo_only.hooks.argocd_hook, "Sync");
  EXPECT_EQ(argo_only.hooks.helm_hook, std::nullopt);
}

TEST(MigrationJobView, TtlCountdownFromTheFinishCondition) {
  const Json json =
      job_with({{"startTime", "2026-11-20T10:00:00Z"},
                {"failed", 1},
                {"conditions", {condition("Failed", "BackoffLimitExceeded", "2026-11-20T10:10:00Z")}}},
               {{"spec", {{"ttlSecondsAfterFinished", 3600}}}});
  EXPECT_EQ(parse_ok(json, at("2026-11-20T10:20:00Z")).ttl_left, seconds(3000));
  EXPECT_EQ(parse_ok(json, at("2026-11-20T11:09:59Z")).ttl_left, seconds(1));
  EXPECT_EQ(parse_ok(json, at("2026-11-20T11:30:00Z")).ttl_left, seconds(0));  // overdue: due now
  EXPECT_EQ(parse_ok(json, kNow).ttl_seconds_after_finished, 3600);
  // The duration of a finished Job does not grow with now.
  EXPECT_EQ(parse_ok(json, at("2026-11-21T00:00:00Z")).duration, seconds(600));
}

TEST(MigrationJobView, MalformedJobsNameTheField) {
  Json json = job_with(Json::object());
  json["metadata"].erase("name");
  auto job = parse_migration_job(json, nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(job.error().message, "Job: metadata.name is missing");

  job = parse_migration_job(job_with({{"active", "1"}}), nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "Job: status.active is not an integer");

  job = parse_migration_job(job_with({{"startTime", "yesterday"}}), nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "Job: status.startTime is not an RFC 3339 time: yesterday");

  job =
      parse_migration_job(job_with({{"conditions", {{{"type", "Complete"}, {"status", 1}}}}}), nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "Job: status.conditions[0].status is not a string");

  Json no_containers = job_with(Json::object());
  no_containers["spec"]["template"]["spec"].erase("containers");
  job = parse_migration_job(no_containers, nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "Job: spec.template.spec.containers is missing");

  job = parse_migration_job(Json::array(), nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(job.error().message, "Job is not a JSON object");

  job =
      parse_migration_job(job_with(Json::object(), {{"metadata", {{"labels", {{"a", 1}}}}}}), nullptr, kNow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message, "Job: metadata.labels.a is not a string");
}

TEST(MigrationJobsOrder, ARecordedJobTiedWithItsReplacementInTheSameSecondComesFirst) {
  const auto at = Clock::time_point{} + std::chrono::seconds(1763720000);
  auto entry = [&](const std::string& uid, bool from_record, int seconds) {
    JobEntry e;
    e.view.name = "udab-server-migration";
    e.view.uid = uid;
    e.view.created = at + std::chrono::seconds(seconds);
    e.from_record = from_record;
    return e;
  };
  std::vector<JobEntry> live = {entry("new", false, 0)};
  std::vector<JobEntry> recorded = {entry("old", true, 0), entry("older", true, -60), entry("new", true, 0)};
  const auto all = MigrationJobs::with_recorded(std::move(live), std::move(recorded));
  std::vector<std::string> uids;
  for (const auto& e : all) uids.push_back(e.view.uid + (e.from_record ? " (record)" : ""));
  EXPECT_EQ(uids, (std::vector<std::string>{"older (record)", "old (record)", "new"}))
      << "oldest first; the live Job's own record is left out";
}

}  // namespace
}  // namespace mgate::backend::kube
