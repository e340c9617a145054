#include "tests/sandbox/kubesim/job_controller.hpp"

#include <chrono>
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/sandbox/kubesim/deletion.hpp"

namespace mgate::kubesim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kControllerUid = "0d6f1c5e-3a57-4a0b-9e8e-3b1f6f4c2a11";

// A Job as admission leaves it: defaulted, with the selector and the four job labels.
Json make_job(const std::string& name, const std::string& restart_policy, int backoff_limit) {
  const Json labels = {{"batch.kubernetes.io/controller-uid", kControllerUid},
                       {"batch.kubernetes.io/job-name", name},
                       {"controller-uid", kControllerUid},
                       {"job-name", name},
                       {"app", "migrate"}};
  return {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", kControllerUid}}},
      {"spec",
       {{"parallelism", 1},
        {"completions", 1},
        {"backoffLimit", backoff_limit},
        {"completionMode", "NonIndexed"},
        {"suspend", false},
        {"podReplacementPolicy", "TerminatingOrFailed"},
        {"manualSelector", false},
        {"selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", kControllerUid}}}}},
        {"template",
         {{"metadata", {{"labels", labels}, {"annotations", {{"note", "from-template"}}}}},
          {"spec",
           {{"restartPolicy", restart_policy},
            {"terminationGracePeriodSeconds", 30},
            {"containers",
             Json::array({{{"name", "migrate"}, {"image", "busybox"}}})}}}}}}},
  };
}

class JobControllerTest : public ::testing::Test {
 protected:
  std::vector<Json> pods() { return store_.list(kPods, "default"); }
  Json job(const std::string& name = "migrate") { return store_.get_or_throw(kJobs, "default", name); }
  Json status(const std::string& name = "migrate") { return job(name).value("status", Json::object()); }

  std::vector<std::string> condition_types(const std::string& name = "migrate") {
    std::vector<std::string> out;
    for (const Json& c : status(name).value("conditions", Json::array())) out.push_back(c["type"]);
    return out;
  }

  bool has_condition(const std::string& type, const std::string& name = "migrate") {
    auto types = condition_types(name);
    return std::find(types.begin(), types.end(), type) != types.end();
  }

  // The fake kubelet's writes: a pod's phase, its container status, and its Ready condition.
  void set_pod(const std::string& name, const std::string& phase, int restarts = 0,
               bool ready = false) {
    store_.update(kPods, "default", name, [&](Json& p) {
      p["spec"]["nodeName"] = "kubesim-node";
      Json state = phase == "Running"
                       ? Json{{"running", {{"startedAt", now_rfc3339()}}}}
                       : Json{{"terminated", {{"exitCode", phase == "Failed" ? 1 : 0}}}};
      p["status"]["phase"] = phase;
      p["status"]["containerStatuses"] =
          Json::array({{{"name", "migrate"}, {"restartCount", restarts}, {"state", state}}});
      p["status"]["conditions"] =
          Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}});
      return true;
    });
  }

  // Events about the Job as (type, reason, message), in creation order.
  std::vector<std::vector<std::string>> job_events() {
    std::vector<std::vector<std::string>> out;
    auto events = store_.list(kEvents, "default");
    std::sort(events.begin(), events.end(), [](const Json& a, const Json& b) {
      return std::stoull(a["metadata"]["resourceVersion"].get<std::string>()) <
             std::stoull(b["metadata"]["resourceVersion"].get<std::string>());
    });
    for (const Json& e : events) {
      if (e["involvedObject"].value("kind", "") != "Job") continue;
      EXPECT_EQ(e["source"]["component"], "job-controller");
      out.push_back({e["type"], e["reason"], e["message"]});
    }
    return out;
  }
  bool has_event(const std::string& type, const std::string& reason, const std::string& msg) {
    for (const auto& e : job_events()) {
      if (e == std::vector<std::string>{type, reason, msg}) return true;
    }
    return false;
  }

  // Polls `done`, running `step` (the fake kubelet) between polls.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s,
                  const std::function<void()>& step = {}) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (step) step();
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  ObjectStore store_;
  JobController controller_{store_, JobControllerConfig{50ms, 400ms}};
};

TEST_F(JobControllerTest, FreshPodAndFirstStatusAreWhatTheRealControllerWrites) {
  store_.create(kJobs, make_job("migrate", "Never", 3));
  controller_.sync_all();
  auto all = pods();
  ASSERT_EQ(all.size(), 1u);
  const Json& pod = all[0];
  const Json& meta = pod["metadata"];
  EXPECT_EQ(meta["generateName"], "migrate-");
  EXPECT_EQ(meta["name"].get<std::string>().size(), std::string("migrate-").size() + 5);
  EXPECT_EQ(meta["labels"], make_job("migrate", "Never", 3)["spec"]["template"]["metadata"]["labels"]);
  EXPECT_EQ(meta["annotations"], (Json{{"note", "from-template"}}));
  EXPECT_EQ(meta["ownerReferences"], Json::parse(R"([{"apiVersion":"batch/v1","kind":"Job",
      "name":"migrate","uid":"0d6f1c5e-3a57-4a0b-9e8e-3b1f6f4c2a11","controller":true,
      "blockOwnerDeletion":true}])"));
  EXPECT_EQ(meta["finalizers"], Json::array({"batch.kubernetes.io/job-tracking"}));
  EXPECT_EQ(pod["status"], (Json{{"phase", "Pending"}, {"qosClass", "BestEffort"}}));
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "default");
  EXPECT_EQ(pod["spec"]["enableServiceLinks"], true);

  Json st = status();
  EXPECT_TRUE(st.contains("startTime"));
  st.erase("startTime");
  EXPECT_EQ(st, Json::parse(R"({"active":1,"ready":0,"terminating":0,
                                "uncountedTerminatedPods":{}})"));
  EXPECT_EQ(job_events(), (std::vector<std::vector<std::string>>{
                              {"Normal", "SuccessfulCreate",
                               "Created pod: " + meta["name"].get<std::string>()}}));
  // Nothing changed: a second pass writes nothing and creates nothing.
  const std::uint64_t rv = store_.resource_version();
  controller_.sync_all();
  EXPECT_EQ(store_.resource_version(), rv);
}

TEST_F(JobControllerTest, NeverWithBackoffLimitThreeCreatesFourPodsThenFails) {
  store_.create(kJobs, make_job("migrate", "Never", 3));
  std::map<std::string, std::chrono::steady_clock::time_point> first_seen;
  controller_.start();
  const auto fail_every_pod = [&] {
    for (const Json& p : pods()) {
      const std::string name = p["metadata"]["name"];
      first_seen.emplace(name, std::chrono::steady_clock::now());
      if (p["status"].value("phase", "") == "Pending") set_pod(name, "Failed");
    }
  };
  ASSERT_TRUE(wait_until([&] { return has_condition("Failed"); }, 5s, fail_every_pod));
  std::this_thread::sleep_for(300ms);  // longer than the next backoff: no fifth pod comes
  controller_.stop();

  auto all = pods();
  ASSERT_EQ(all.size(), 4u);
  std::vector<std::chrono::steady_clock::time_point> created;
  for (const Json& p : all) {
    const Json& labels = p["metadata"]["labels"];
    EXPECT_EQ(labels["batch.kubernetes.io/controller-uid"], kControllerUid);
    EXPECT_EQ(labels["batch.kubernetes.io/job-name"], "migrate");
    EXPECT_EQ(labels["controller-uid"], kControllerUid);
    EXPECT_EQ(labels["job-name"], "migrate");
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["uid"], kControllerUid);
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["controller"], true);
    // Counted, so the tracking finalizer is gone.
    EXPECT_FALSE(p["metadata"].contains("finalizers"));
    created.push_back(first_seen.at(p["metadata"]["name"]));
  }
  std::sort(created.begin(), created.end());
  // Backoffs of 50, 100 and 200 ms before the second, third and fourth pod.
  EXPECT_GE(created[3] - created[0], 350ms);

  const Json st = status();
  EXPECT_EQ(st["failed"], 4);
  EXPECT_FALSE(st.contains("active"));
  EXPECT_FALSE(st.contains("succeeded"));
  EXPECT_FALSE(st.contains("completionTime"));
  EXPECT_EQ(st["ready"], 0);
  EXPECT_EQ(st["terminating"], 0);
  EXPECT_EQ(st["uncountedTerminatedPods"], Json::object());
  ASSERT_EQ(condition_types(), (std::vector<std::string>{"FailureTarget", "Failed"}));
  for (const Json& c : st["conditions"]) {
    EXPECT_EQ(c["status"], "True");
    EXPECT_EQ(c["reason"], "BackoffLimitExceeded");
    EXPECT_EQ(c["message"], "Job has reached the specified backoff limit");
    EXPECT_EQ(c["lastProbeTime"], c["lastTransitionTime"]);
  }
  EXPECT_TRUE(has_event("Warning", "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit"));
  for (const Json& p : all) {
    EXPECT_TRUE(has_event("Normal", "SuccessfulCreate",
                          "Created pod: " + p["metadata"]["name"].get<std::string>()));
  }
  EXPECT_EQ(job_events().size(), 5u);
}

TEST_F(JobControllerTest, SuccessAddsSuccessCriteriaMetThenComplete) {
  store_.create(kJobs, make_job("migrate", "Never", 3));
  controller_.sync_all();
  const std::string name = pods()[0]["metadata"]["name"];
  set_pod(name, "Running", 0, true);
  controller_.sync_all();
  EXPECT_EQ(status()["active"], 1);
  EXPECT_EQ(status()["ready"], 1);
  set_pod(name, "Succeeded");
  controller_.sync_all();

  const Json st = status();
  EXPECT_EQ(st["succeeded"], 1);
  EXPECT_FALSE(st.contains("active"));
  EXPECT_FALSE(st.contains("failed"));
  EXPECT_EQ(st["ready"], 0);
  EXPECT_EQ(st["terminating"], 0);
  ASSERT_EQ(condition_types(), (std::vector<std::string>{"SuccessCriteriaMet", "Complete"}));
  for (const Json& c : st["conditions"]) {
    EXPECT_EQ(c["status"], "True");
    EXPECT_EQ(c["reason"], "CompletionsReached");
    EXPECT_EQ(c["message"], "Reached expected number of succeeded pods");
  }
  EXPECT_EQ(st["completionTime"], st["conditions"][1]["lastTransitionTime"]);
  EXPECT_EQ(pods().size(), 1u);
  EXPECT_FALSE(pods()[0]["metadata"].contains("finalizers"));
  EXPECT_EQ(job_events(), (std::vector<std::vector<std::string>>{
                              {"Normal", "SuccessfulCreate", "Created pod: " + name},
                              {"Normal", "Completed", "Job completed"}}));
  // Finished: further passes change nothing.
  const std::uint64_t rv = store_.resource_version();
  controller_.sync_all();
  EXPECT_EQ(store_.resource_version(), rv);
}

TEST_F(JobControllerTest, OnFailureRestartsReachingTheLimitFailTheJobAfterThePodIsGone) {
  store_.create(kJobs, make_job("migrate", "OnFailure", 2));
  controller_.sync_all();
  const std::string name = pods()[0]["metadata"]["name"];
  set_pod(name, "Running", 1, true);
  controller_.sync_all();
  EXPECT_EQ(condition_types(), std::vector<std::string>{});
  set_pod(name, "Running", 2, true);  // the kubelet restarted the container again
  controller_.sync_all();

  // The pod is being deleted: FailureTarget now, Failed once it has terminated.
  const Json pod = store_.get_or_throw(kPods, "default", name);
  EXPECT_TRUE(pod["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(condition_types(), std::vector<std::string>{"FailureTarget"});
  EXPECT_EQ(status()["terminating"], 1);
  EXPECT_EQ(status()["failed"], 1);
  EXPECT_EQ(status()["ready"], 0);
  EXPECT_FALSE(status().contains("active"));
  EXPECT_TRUE(has_event("Normal", "SuccessfulDelete", "Deleted pod: " + name));

  store_.remove(kPods, "default", name);  // the kubelet killed it
  controller_.sync_all();
  ASSERT_EQ(condition_types(), (std::vector<std::string>{"FailureTarget", "Failed"}));
  const Json st = status();
  EXPECT_EQ(st["conditions"][1]["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(st["conditions"][1]["message"], "Job has reached the specified backoff limit");
  EXPECT_EQ(st["failed"], 1);
  EXPECT_EQ(st["terminating"], 0);
  EXPECT_TRUE(pods().empty());
  EXPECT_EQ(job_events(), (std::vector<std::vector<std::string>>{
                              {"Normal", "SuccessfulCreate", "Created pod: " + name},
                              {"Normal", "SuccessfulDelete", "Deleted pod: " + name},
                              {"Warning", "BackoffLimitExceeded",
                               "Job has reached the specified backoff limit"}}));
}

TEST_F(JobControllerTest, ActiveDeadlineDeletesTheRunningPodAndFails) {
  Json spec = make_job("migrate", "Never", 3);
  spec["spec"]["activeDeadlineSeconds"] = 1;
  store_.create(kJobs, spec);
  controller_.sync_all();
  const std::string name = pods()[0]["metadata"]["name"];
  set_pod(name, "Running", 0, true);
  controller_.start();
  ASSERT_TRUE(wait_until([&] { return has_condition("FailureTarget"); }, 4s));
  const Json pod = store_.get_or_throw(kPods, "default", name);
  EXPECT_TRUE(pod["metadata"].contains("deletionTimestamp"));
  EXPECT_FALSE(has_condition("Failed"));
  const Json target = status()["conditions"][0];
  EXPECT_EQ(target["reason"], "DeadlineExceeded");
  EXPECT_EQ(target["message"], "Job was active longer than specified deadline");
  EXPECT_GE(target["lastTransitionTime"].get<std::string>(),
            status()["startTime"].get<std::string>());
  EXPECT_NE(target["lastTransitionTime"], status()["startTime"]);

  store_.remove(kPods, "default", name);
  ASSERT_TRUE(wait_until([&] { return has_condition("Failed"); }, 2s));
  controller_.stop();
  const Json st = status();
  EXPECT_EQ(st["conditions"][1]["reason"], "DeadlineExceeded");
  EXPECT_EQ(st["conditions"][1]["message"], "Job was active longer than specified deadline");
  EXPECT_EQ(st["failed"], 1);
  EXPECT_EQ(pods().size(), 0u);  // no replacement after the deadline
  EXPECT_TRUE(has_event("Normal", "SuccessfulDelete", "Deleted pod: " + name));
  EXPECT_TRUE(has_event("Warning", "DeadlineExceeded",
                        "Job was active longer than specified deadline"));
}

TEST_F(JobControllerTest, TtlZeroDeletesTheFinishedJobAndItsPods) {
  GarbageCollector gc(store_);
  gc.start();
  Json spec = make_job("migrate", "Never", 3);
  spec["spec"]["ttlSecondsAfterFinished"] = 0;
  store_.create(kJobs, spec);
  controller_.start();
  ASSERT_TRUE(wait_until([&] { return !pods().empty(); }, 2s));
  set_pod(pods()[0]["metadata"]["name"], "Succeeded");
  ASSERT_TRUE(wait_until(
      [&] { return !store_.get(kJobs, "default", "migrate") && pods().empty(); }, 4s));
  controller_.stop();
  gc.stop();
}

TEST_F(JobControllerTest, TtlWaitsForItsSeconds) {
  Json spec = make_job("migrate", "Never", 3);
  spec["spec"]["ttlSecondsAfterFinished"] = 30;
  store_.create(kJobs, spec);
  controller_.sync_all();
  set_pod(pods()[0]["metadata"]["name"], "Succeeded");
  controller_.sync_all();
  controller_.sync_all();
  ASSERT_TRUE(has_condition("Complete"));
  EXPECT_FALSE(job()["metadata"].contains("deletionTimestamp"));
}

TEST_F(JobControllerTest, SuspendedJobGetsNoPodsAndResumes) {
  Json spec = make_job("migrate", "Never", 3);
  spec["spec"]["suspend"] = true;
  store_.create(kJobs, spec);
  controller_.sync_all();
  EXPECT_TRUE(pods().empty());
  Json st = status();
  EXPECT_FALSE(st.contains("startTime"));
  ASSERT_EQ(condition_types(), std::vector<std::string>{"Suspended"});
  EXPECT_EQ(st["conditions"][0]["status"], "True");
  EXPECT_EQ(st["conditions"][0]["reason"], "JobSuspended");
  EXPECT_EQ(st["conditions"][0]["message"], "Job suspended");
  EXPECT_TRUE(has_event("Normal", "Suspended", "Job suspended"));

  store_.update(kJobs, "default", "migrate", [](Json& j) {
    j["spec"]["suspend"] = false;
    return true;
  });
  controller_.sync_all();
  st = status();
  EXPECT_EQ(pods().size(), 1u);
  EXPECT_TRUE(st.contains("startTime"));
  EXPECT_EQ(st["conditions"][0]["status"], "False");
  EXPECT_EQ(st["conditions"][0]["reason"], "JobResumed");
  EXPECT_EQ(st["conditions"][0]["message"], "Job resumed");
  EXPECT_TRUE(has_event("Normal", "Resumed", "Job resumed"));
}

TEST_F(JobControllerTest, PodsOfADeletedJobLoseTheTrackingFinalizer) {
  store_.create(kJobs, make_job("migrate", "Never", 3));
  controller_.sync_all();
  ASSERT_TRUE(pods()[0]["metadata"].contains("finalizers"));
  store_.remove(kJobs, "default", "migrate");
  controller_.sync_all();
  EXPECT_FALSE(pods()[0]["metadata"].contains("finalizers"));
}

}  // namespace
}  // namespace mgate::kubesim
