// Restart policies as the real kubelet and job controller apply them, judged through the API
// and kubectl: Never makes a new pod per failure (each with its own log), OnFailure restarts
// the container in the one pod (restartCount, `logs --previous`), and both end the Job
// Failed/BackoffLimitExceeded at the limit.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/kube_migration_support.hpp"
#include "tests/integration/kube_support.hpp"

namespace mgate::sandbox::testing {
namespace {

using nlohmann::json;

constexpr auto kRestartJobTimeout = std::chrono::seconds(60);

class KubeRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    api_ = std::make_unique<KubeApi>(*sandbox_);
    ASSERT_FALSE(api_->token().empty());
  }

  // A one-container Job (container "main") with the given restart policy and backoffLimit.
  static json job_of(const std::string& name, const std::string& restart_policy, int backoff_limit,
                     const json& container, const json& annotations = json::object()) {
    json template_meta = json::object();
    if (!annotations.empty()) template_meta["annotations"] = annotations;
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"backoffLimit", backoff_limit},
              {"template",
               {{"metadata", template_meta},
                {"spec", {{"restartPolicy", restart_policy}, {"containers", {container}}}}}}}}};
  }

  void create(const json& job) const {
    const ApiReply r = api_->post("/apis/batch/v1/namespaces/udab/jobs", job);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // The Job ended Failed for its backoff limit, with `failed` pods counted.
  static void expect_backoff_failure(const JobHistory& h, int failed) {
    ASSERT_TRUE(h.finished) << h.job.dump(2);
    EXPECT_EQ(condition_types(h.job), (std::vector<std::string>{"FailureTarget", "Failed"})) << h.job.dump(2);
    const json condition = job_condition(h.job, "Failed");
    EXPECT_EQ(condition.value("status", ""), "True");
    EXPECT_EQ(condition.value("reason", ""), "BackoffLimitExceeded");
    EXPECT_EQ(condition.value("message", ""), "Job has reached the specified backoff limit");
    EXPECT_EQ(h.job["status"].value("failed", 0), failed);
    EXPECT_FALSE(h.job["status"].contains("succeeded"));
    EXPECT_FALSE(h.job["status"].contains("active"));
  }

  Sandbox* sandbox_ = nullptr;
  std::unique_ptr<KubeApi> api_;
};

std::string unique_suffix() {
  return random_sha().substr(0, 8);
}

TEST_F(KubeRestart, NeverMakesANewPodPerFailureEachWithItsOwnLog) {
  const std::string name = "restart-never-" + unique_suffix();
  // A real command, not a script, so each pod's log differs: the pod env's HOSTNAME is the pod's
  // name. /bin/sh is not in the image root, so the kubelet runs the node's.
  const json container = {{"name", "main"},
                          {"image", std::string(kKubeEcrRegistry) + "/udab-server:stage-restart"},
                          {"command", {"/bin/sh", "-c", "echo pod $HOSTNAME; exit 3"}}};
  ASSERT_NO_FATAL_FAILURE(create(job_of(name, "Never", 2, container)));
  const JobHistory h = watch_job(*api_, name, kRestartJobTimeout);
  ASSERT_NO_FATAL_FAILURE(expect_backoff_failure(h, 3));

  // backoffLimit + 1 pods, all kept (a failed pod of a Never Job is not deleted), each failed
  // once with its own exit and its own log.
  const std::vector<json> pods = job_pods(*api_, name);
  ASSERT_EQ(pods.size(), 3u) << h.job.dump(2);
  EXPECT_EQ(h.pods.size(), 3u);
  std::set<std::string> names;
  for (const json& pod : pods) {
    const std::string pod_name = pod["metadata"].value("name", "");
    names.insert(pod_name);
    EXPECT_EQ(pod_name.rfind(name + "-", 0), 0u) << pod_name;
    EXPECT_EQ(pod["status"].value("phase", ""), "Failed") << pod.dump(2);
    EXPECT_FALSE(pod["metadata"].contains("deletionTimestamp")) << pod.dump(2);
    const json cs = pod["status"]["containerStatuses"][0];
    EXPECT_EQ(cs.value("restartCount", -1), 0);
    EXPECT_EQ(cs["state"]["terminated"].value("exitCode", -1), 3) << cs.dump(2);
    EXPECT_EQ(cs["state"]["terminated"].value("reason", ""), "Error") << cs.dump(2);
    const ApiReply log = api_->get("/api/v1/namespaces/udab/pods/" + pod_name + "/log");
    EXPECT_EQ(log.status, 200);
    EXPECT_EQ(log.body, "pod " + pod_name + "\n");
  }
  EXPECT_EQ(names.size(), 3u);

  // kubectl reads the same log, and knows there is no previous run in a pod that never restarted.
  const std::string first = pods[0]["metadata"].value("name", "");
  const KubeRun log = kubectl(*sandbox_, {"logs", first});
  EXPECT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(log.out, "pod " + first + "\n");
  const KubeRun previous = kubectl(*sandbox_, {"logs", first, "--previous"});
  EXPECT_EQ(previous.exit_code, 1);
  EXPECT_EQ(previous.out, "");
  EXPECT_EQ(previous.err, fmt::format("Error from server (BadRequest): previous terminated container "
                                      "\"main\" in pod \"{}\" not found\n",
                                      first));
}

// The script's attempt i runs at restartCount i; the second attempt lasts long enough to be seen
// running with the first one as its previous.
json failing_attempts_script() {
  json attempts = json::array();
  const double seconds[] = {0.3, 2.5, 2.5};
  for (int i = 0; i < 3; ++i) {
    attempts.push_back({{"stdout", {fmt::format("attempt {}", i)}},
                        {"stderr", json::array()},
                        {"exitCode", 1},
                        {"seconds", seconds[i]}});
  }
  return {{"attempts", attempts}, {"hang", false}};
}

TEST_F(KubeRestart, OnFailureRestartsInThePodUntilTheLimitThenFailsTheJob) {
  const std::string name = "restart-onfailure-" + unique_suffix();
  const json container = {{"name", "main"}, {"image", "busybox:1.36"}};
  const json annotations = {{"kubesim.mgate.dev/script", failing_attempts_script().dump()}};
  ASSERT_NO_FATAL_FAILURE(create(job_of(name, "OnFailure", 2, container, annotations)));

  // While the second attempt runs: restartCount 1 in the same pod, and kubectl shows the first
  // attempt as the previous log and the second as the current one.
  std::string seen_pod;
  KubeRun previous;
  KubeRun current;
  const JobHistory h = watch_job(*api_, name, kRestartJobTimeout, [&](const json& pod) {
    const json cs = pod["status"].value("containerStatuses", json::array());
    if (!seen_pod.empty() || cs.empty() || cs[0].value("restartCount", 0) != 1 ||
        !cs[0]["state"].contains("running")) {
      return;
    }
    seen_pod = pod["metadata"].value("name", "");
    EXPECT_EQ(cs[0]["lastState"]["terminated"].value("exitCode", -1), 1) << cs.dump(2);
    EXPECT_EQ(cs[0]["lastState"]["terminated"].value("reason", ""), "Error") << cs.dump(2);
    previous = kubectl(*sandbox_, {"logs", seen_pod, "--previous"});
    current = kubectl(*sandbox_, {"logs", seen_pod});
  });
  ASSERT_NO_FATAL_FAILURE(expect_backoff_failure(h, 1));

  // One pod ever: the restarts happened inside it.
  ASSERT_EQ(h.pods.size(), 1u);
  const std::string pod = *h.pods.begin();
  ASSERT_EQ(seen_pod, pod) << "never saw the pod running its second attempt";
  EXPECT_EQ(previous.exit_code, 0) << previous.err;
  EXPECT_EQ(previous.out, "attempt 0\n");
  EXPECT_EQ(current.exit_code, 0) << current.err;
  EXPECT_EQ(current.out, "attempt 1\n");
  EXPECT_GE(h.max_restarts.at(pod), 1);
  // Three runs: the first, its immediate restart, and one after a CrashLoopBackOff that brings
  // restartCount to the limit, which fails the Job.
  EXPECT_EQ(event_count(*api_, pod, "Started"), 3);
  EXPECT_GE(event_count(*api_, pod, "BackOff"), 1);  // a real kubelet may repeat it
  EXPECT_NE(std::find(h.waiting_reasons.begin(), h.waiting_reasons.end(), "CrashLoopBackOff"),
            h.waiting_reasons.end());

  // The failed Job's running pod is deleted, as the real controller does.
  const ApiReply after = api_->get("/api/v1/namespaces/udab/pods/" + pod);
  if (after.status == 200) {
    EXPECT_TRUE(after.json["metadata"].contains("deletionTimestamp")) << after.body;
  } else {
    EXPECT_EQ(after.status, 404) << after.body;
  }
  EXPECT_EQ(event_count(*api_, name, "SuccessfulDelete"), 1);
}

}  // namespace
}  // namespace mgate::sandbox::testing
