// Pod and Event views. Captured Pods from $MGATE_SHARED_DIR/testdata/kube (see its README.md), and
// inline objects for waiting/running states, init containers, the job-name label fallback and Events.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/core/time.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using TimePoint = Clock::time_point;
using Kind = ContainerStateView::Kind;

Json pod_fixture(const std::string& name) {
  const char* shared = std::getenv("MGATE_SHARED_DIR");
  const fs::path path = fs::path(shared != nullptr ? shared : "../shared") / "testdata" / "kube" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Json::parse(in);
}

TimePoint pod_at(const std::string& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

PodView pod_ok(const Json& json) {
  auto pod = parse_pod(json);
  EXPECT_TRUE(pod.ok()) << (pod.ok() ? "" : pod.error().message);
  return pod.ok() ? *pod : PodView{};
}

TEST(PodView, ErrorRestartingMinikube2018) {
  // pod-error-restarting-minikube-2018.json: restartCount 2, the previous run in lastState.
  const PodView pod = pod_ok(pod_fixture("pod-error-restarting-minikube-2018.json"));
  EXPECT_EQ(pod.name, "my-pod");
  EXPECT_EQ(pod.namespace_, "argocd");
  EXPECT_EQ(pod.uid, "63674389-f613-11e8-a057-fe5f49266390");
  EXPECT_EQ(pod.created, pod_at("2018-12-02T09:19:36Z"));
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_EQ(pod.node, "minikube");
  EXPECT_EQ(pod.start, pod_at("2018-12-02T09:19:36Z"));
  EXPECT_TRUE(pod.init_containers.empty());
  ASSERT_EQ(pod.containers.size(), 1u);
  const ContainerView& c = pod.containers[0];
  EXPECT_EQ(c.name, "main");
  EXPECT_EQ(c.image, "alpine:latest");
  EXPECT_FALSE(c.init);
  EXPECT_FALSE(c.ready);
  EXPECT_EQ(c.restart_count, 2);
  EXPECT_EQ(c.state.kind, Kind::kTerminated);
  EXPECT_EQ(c.state.exit_code, 1);
  EXPECT_EQ(c.state.reason, "Error");
  EXPECT_EQ(c.state.started_at, pod_at("2018-12-02T09:19:56Z"));
  EXPECT_EQ(c.state.finished_at, pod_at("2018-12-02T09:19:56Z"));
  EXPECT_EQ(c.last_state.kind, Kind::kTerminated);
  EXPECT_EQ(c.last_state.exit_code, 1);
  EXPECT_EQ(c.last_state.reason, "Error");
  EXPECT_EQ(c.last_state.finished_at, pod_at("2018-12-02T09:19:41Z"));
  EXPECT_EQ(pod.restarts(), 2);
  EXPECT_EQ(pod.exit_code(), 1);
}

TEST(PodView, FailedExit1Minikube2018) {
  // pod-failed-exit1-minikube-2018.json: restartPolicy Never, lastState {}.
  const PodView pod = pod_ok(pod_fixture("pod-failed-exit1-minikube-2018.json"));
  EXPECT_EQ(pod.phase, "Failed");
  ASSERT_EQ(pod.containers.size(), 1u);
  EXPECT_EQ(pod.containers[0].restart_count, 0);
  EXPECT_EQ(pod.containers[0].state.kind, Kind::kTerminated);
  EXPECT_EQ(pod.containers[0].state.exit_code, 1);
  EXPECT_EQ(pod.containers[0].state.finished_at, pod_at("2018-12-02T09:17:59Z"));
  EXPECT_EQ(pod.containers[0].last_state.kind, Kind::kUnknown);
  EXPECT_EQ(pod.containers[0].last_state.exit_code, std::nullopt);
  EXPECT_EQ(pod.restarts(), 0);
  EXPECT_EQ(pod.exit_code(), 1);
}

TEST(PodView, OfJobCompletedOpenShift2023) {
  // pod-of-job-completed-openshift-2023.json: exit 0, reason Completed.
  const PodView pod = pod_ok(pod_fixture("pod-of-job-completed-openshift-2023.json"));
  EXPECT_EQ(pod.name, "example-cj-28080681-clstf");
  EXPECT_EQ(pod.namespace_, "div");
  EXPECT_EQ(pod.phase, "Succeeded");
  EXPECT_EQ(pod.node, "ip-10-0-142-122.sa-east-1.compute.internal");
  EXPECT_EQ(pod.labels.at("job-name"), "example-cj-28080681");
  ASSERT_EQ(pod.containers.size(), 1u);
  EXPECT_EQ(pod.containers[0].name, "hello");
  EXPECT_EQ(pod.containers[0].image, "busybox");
  EXPECT_EQ(pod.containers[0].state.exit_code, 0);
  EXPECT_EQ(pod.containers[0].state.reason, "Completed");
  EXPECT_EQ(pod.containers[0].state.finished_at, pod_at("2023-05-23T11:21:05Z"));
  EXPECT_EQ(pod.exit_code(), 0);
}

TEST(PodView, WaitingRunningAndInitContainers) {
  const Json json = {
      {"metadata", {{"name", "mig-abc12"}, {"creationTimestamp", "2026-11-20T10:00:00Z"}}},
      {"spec",
       {{"initContainers", {{{"name", "wait-db"}, {"image", "busybox:1.36"}}}},
        {"containers",
         {{{"name", "migrate"}, {"image", "app:stage-0123abc"}},
          {{"name", "sidecar"}, {"image", "envoy"}}}}}},
      {"status",
       {{"phase", "Pending"},
        {"initContainerStatuses",
         {{{"name", "wait-db"},
           {"ready", false},
           {"restartCount", 3},
           {"state", {{"terminated", {{"exitCode", 2}, {"reason", "Error"}}}}}}}},
        {"containerStatuses",
         {{{"name", "migrate"},
           {"ready", false},
           {"restartCount", 0},
           {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}},
          {{"name", "sidecar"},
           {"ready", true},
           {"restartCount", 1},
           {"state", {{"running", {{"startedAt", "2026-11-20T10:00:05Z"}}}}},
           {"lastState",
            {{"terminated",
              {{"exitCode", 137}, {"reason", "OOMKilled"}, {"finishedAt", "2026-11-20T10:00:04Z"}}}}}}}}}}};
  const PodView pod = pod_ok(json);
  EXPECT_EQ(pod.node, "");
  EXPECT_EQ(pod.start, std::nullopt);
  ASSERT_EQ(pod.init_containers.size(), 1u);
  EXPECT_TRUE(pod.init_containers[0].init);
  EXPECT_EQ(pod.init_containers[0].image, "busybox:1.36");
  ASSERT_EQ(pod.containers.size(), 2u);
  EXPECT_EQ(pod.containers[0].state.kind, Kind::kWaiting);
  EXPECT_EQ(pod.containers[0].state.reason, "PodInitializing");
  EXPECT_EQ(pod.containers[1].state.kind, Kind::kRunning);
  EXPECT_EQ(pod.containers[1].state.started_at, pod_at("2026-11-20T10:00:05Z"));
  EXPECT_TRUE(pod.containers[1].ready);
  EXPECT_EQ(pod.containers[1].last_state.reason, "OOMKilled");
  EXPECT_EQ(pod.containers[1].last_state.exit_code, 137);
  EXPECT_EQ(pod.restarts(), 4);
  EXPECT_EQ(pod.exit_code(), 2);  // the failed init container, not the running ones

  auto bad = parse_pod({{"metadata", {{"namespace", "x"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(bad.error().message, "Pod: metadata.name is missing");
  bad = parse_pod({{"metadata", {{"name", "p"}}}, {"status", {{"containerStatuses", {{{"ready", true}}}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Pod: status.containerStatuses[0].name is missing");
}

Json labelled_pod(const char* name, const char* created, Json labels, const char* ns = "stage") {
  return {
      {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", created}, {"labels", labels}}},
      {"spec", {{"containers", {{{"name", "migrate"}, {"image", "app"}}}}}},
      {"status", {{"containerStatuses", {{{"name", "migrate"}, {"restartCount", 2}}}}}}};
}

TEST(PodView, PodsOfJobByLabelWithFallback) {
  MigrationJob job;
  job.name = "db-migration";
  job.namespace_ = "stage";
  job.restart_policy = "OnFailure";
  job.attempts = 1;
  const std::vector<Json> pods = {
      labelled_pod("new-b", "2026-11-20T10:02:00Z",
                   {{"batch.kubernetes.io/job-name", "db-migration"}, {"job-name", "db-migration"}}),
      labelled_pod("old-a", "2026-11-20T10:01:00Z", {{"job-name", "db-migration"}}),  // before v1.27
      labelled_pod("other", "2026-11-20T10:00:00Z", {{"batch.kubernetes.io/job-name", "db-migration-2"}}),
      labelled_pod("stale", "2026-11-20T10:00:00Z",
                   {{"batch.kubernetes.io/job-name", "other"}, {"job-name", "db-migration"}}),
      labelled_pod("elsewhere", "2026-11-20T10:00:00Z", {{"job-name", "db-migration"}}, "prod"),
      {{"metadata", {{"labels", {{"job-name", "db-migration"}}}}}},  // no name: left out
  };
  const auto mine = pods_of_job(pods, job);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].name, "old-a");
  EXPECT_EQ(mine[1].name, "new-b");
  EXPECT_EQ(attempts_with_restarts(job, mine), 5);
  job.restart_policy = "Never";
  EXPECT_EQ(attempts_with_restarts(job, mine), 1);
}

TEST(PodView, PodsByJobFilesEachPodOnceUnderTheSameLabels) {
  const std::vector<Json> pods = {
      labelled_pod("new-b", "2026-11-20T10:02:00Z",
                   {{"batch.kubernetes.io/job-name", "db-migration"}, {"job-name", "db-migration"}}),
      labelled_pod("old-a", "2026-11-20T10:01:00Z", {{"job-name", "db-migration"}}),
      labelled_pod("other", "2026-11-20T10:00:00Z", {{"batch.kubernetes.io/job-name", "db-migration-2"}}),
      labelled_pod("stale", "2026-11-20T10:00:00Z",
                   {{"batch.kubernetes.io/job-name", "other"}, {"job-name", "db-migration"}}),
      labelled_pod("elsewhere", "2026-11-20T10:00:00Z", {{"job-name", "db-migration"}}, "prod"),
      labelled_pod("web", "2026-11-20T09:00:00Z", {{"app", "udab-server"}}),  // no Job's
  };
  const auto by_job = pods_by_job(pods, "stage");
  std::map<std::string, std::vector<std::string>> names;
  for (const auto& [job, list] : by_job)
    for (const auto& p : list) names[job].push_back(p.name);
  EXPECT_EQ(names, (std::map<std::string, std::vector<std::string>>{
                       {"db-migration", {"old-a", "new-b"}}, {"db-migration-2", {"other"}}, {"other", {"stale"}}}));
  // The same answer pods_of_job gives for each of them.
  MigrationJob job;
  job.name = "db-migration";
  job.namespace_ = "stage";
  ASSERT_EQ(pods_of_job(pods, job).size(), by_job.at("db-migration").size());
}

TEST(EventView, CoreEventWithCount) {
  const Json json = {{"apiVersion", "v1"},
                     {"kind", "Event"},
                     {"metadata", {{"name", "db-migration.1879f2a1b2c3d4e5"}, {"namespace", "stage"}}},
                     {"involvedObject", {{"kind", "Job"}, {"name", "db-migration"}, {"namespace", "stage"}}},
                     {"reason", "BackoffLimitExceeded"},
                     {"message", "Job has reached the specified backoff limit"},
                     {"source", {{"component", "job-controller"}}},
                     {"firstTimestamp", "2026-11-20T10:00:00Z"},
                     {"lastTimestamp", "2026-11-20T10:05:00Z"},
                     {"count", 3},
                     {"type", "Warning"},
                     {"eventTime", nullptr}};
  auto event = parse_event(json);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->name, "db-migration.1879f2a1b2c3d4e5");
  EXPECT_EQ(event->type, "Warning");
  EXPECT_EQ(event->reason, "BackoffLimitExceeded");
  EXPECT_EQ(event->message, "Job has reached the specified backoff limit");
  EXPECT_EQ(event->count, 3);
  EXPECT_EQ(event->first, pod_at("2026-11-20T10:00:00Z"));
  EXPECT_EQ(event->last, pod_at("2026-11-20T10:05:00Z"));
  EXPECT_EQ(event->source, "job-controller");
  EXPECT_EQ(event->involved_kind, "Job");
  EXPECT_EQ(event->involved_name, "db-migration");
}

TEST(EventView, EventTimeAndSeries) {
  // Newer reporters set eventTime (microseconds), series and reportingComponent, and leave the
  // legacy timestamps null.
  const Json json = {{"metadata", {{"name", "mig-abc12.18"}}},
                     {"involvedObject", {{"kind", "Pod"}, {"name", "mig-abc12"}}},
                     {"reason", "BackOff"},
                     {"message", "Back-off restarting failed container"},
                     {"type", "Warning"},
                     {"eventTime", "2026-11-20T10:00:00.123456Z"},
                     {"series", {{"count", 7}, {"lastObservedTime", "2026-11-20T10:04:00.000001Z"}}},
                     {"reportingComponent", "kubelet"},
                     {"firstTimestamp", nullptr},
                     {"lastTimestamp", nullptr},
                     {"source", Json::object()}};
  auto event = parse_event(json);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->count, 7);
  EXPECT_EQ(event->first, pod_at("2026-11-20T10:00:00.123456Z"));
  EXPECT_EQ(event->last, pod_at("2026-11-20T10:04:00.000001Z"));
  EXPECT_EQ(event->source, "kubelet");
  EXPECT_EQ(event->involved_kind, "Pod");

  auto bad = parse_event({{"metadata", {{"name", "e"}}}, {"count", "many"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Event: count is not an integer");
}

}  // namespace
}  // namespace mgate::backend::kube
