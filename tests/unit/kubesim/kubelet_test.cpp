#include "tests/sandbox/kubesim/kubelet.hpp"

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/sandbox/kubesim/pod_logs.hpp"
#include "tests/sandbox/kubesim/pod_status.hpp"

namespace mgate::kubesim {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class KubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kubesim-kubelet-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.log_root = dir_ / "pods";
    config_.images.push_back({"busybox", "/", {"/bin/sh"}, {{"IMAGE_VAR", "from-image"}}});
    config_.base_env = {{"PATH", "/usr/bin:/bin"}, {"KUBERNETES_SERVICE_HOST", "127.0.0.1"}};
    config_.restart_backoff = 150ms;
    config_.max_restart_backoff = 600ms;
  }
  void TearDown() override {
    if (kubelet_) kubelet_->stop();
    fs::remove_all(dir_);
  }
  void start() {
    kubelet_ = std::make_unique<Kubelet>(store_, config_);
    kubelet_->start();
  }

  Json create_pod(const std::string& name, Json container, const std::string& restart_policy,
                  Json annotations = Json::object()) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"containers", Json::array({container})},
                  {"restartPolicy", restart_policy},
                  {"terminationGracePeriodSeconds", 30}}}};
    if (!annotations.empty()) pod["metadata"]["annotations"] = annotations;
    return store_.create(kPods, pod);
  }

  // The pod once `pred` holds for it (fails the test after `timeout`).
  Json wait_pod(const std::string& name, const std::function<bool(const Json&)>& pred,
                std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto pod = store_.get(kPods, "default", name); pod && pred(*pod)) return *pod;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "timed out waiting for pod " << name << ": "
                  << store_.get(kPods, "default", name).value_or(Json()).dump();
    return store_.get(kPods, "default", name).value_or(Json());
  }

  static bool phase_is(const Json& pod, const std::string& phase) {
    return pod.value("status", Json::object()).value("phase", "") == phase;
  }
  static Json container_status(const Json& pod) {
    const Json statuses = pod.value("status", Json::object()).value("containerStatuses", Json());
    return statuses.is_array() && !statuses.empty() ? statuses[0] : Json::object();
  }
  static Json condition(const Json& pod, const std::string& type) {
    for (const Json& c : pod["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return Json();
  }

  std::vector<LogLine> log_lines(const Json& pod, int attempt) const {
    return read_log_file(container_log_path(config_.log_root, "default", pod["metadata"]["name"],
                                            pod["metadata"]["uid"], "main", attempt));
  }
  std::set<std::string> texts(const std::vector<LogLine>& lines) const {
    std::set<std::string> out;
    for (const auto& l : lines) out.insert(l.stream + ":" + l.text);
    return out;
  }

  // Events about the pod, as "type reason fieldPath: message" with source component/host.
  std::vector<Json> events_for(const Json& pod) const {
    std::vector<Json> out;
    for (const Json& e : store_.list(kEvents, "default")) {
      if (e["involvedObject"]["uid"] == pod["metadata"]["uid"]) out.push_back(e);
    }
    return out;
  }
  Json find_event(const Json& pod, const std::string& reason, const std::string& message) const {
    for (const Json& e : events_for(pod)) {
      if (e["reason"] == reason && e["message"] == message) return e;
    }
    return Json();
  }

  // Every stored version the pod went through (the store's change history).
  std::vector<Json> history(const std::string& name) const {
    std::vector<Json> out;
    for (const Change& c : store_.changes_since(kPods, 1000, 0ms)) {
      if (c.object["metadata"]["name"] == name) out.push_back(c.object);
    }
    return out;
  }

  ObjectStore store_;
  KubeletConfig config_;
  std::unique_ptr<Kubelet> kubelet_;
  fs::path dir_;
};

Json shell(const std::string& script) {
  return {{"name", "main"}, {"image", "busybox:1.36"}, {"command", {"/bin/sh", "-c", script}}};
}

TEST_F(KubeletTest, FailingCommandEndsFailedWithItsExitCodeLogsAndEvents) {
  start();
  const Json created = create_pod("fail", shell("echo out; echo err >&2; exit 3"), "Never");
  const Json pod = wait_pod("fail", [](const Json& p) { return phase_is(p, "Failed"); });
  EXPECT_EQ(pod["spec"]["nodeName"], "kubesim-node");
  const Json cs = container_status(pod);
  const Json& term = cs["state"]["terminated"];
  EXPECT_EQ(term["exitCode"], 3);
  EXPECT_EQ(term["reason"], "Error");
  EXPECT_EQ(term["containerID"], cs["containerID"]);
  EXPECT_EQ(cs["containerID"].get<std::string>().rfind("containerd://", 0), 0u);
  EXPECT_EQ(cs["containerID"].get<std::string>().size(), 13u + 64u);
  EXPECT_EQ(cs["restartCount"], 0);
  EXPECT_EQ(cs["ready"], false);
  EXPECT_EQ(cs["started"], false);
  EXPECT_EQ(cs["image"], "docker.io/library/busybox:1.36");
  EXPECT_EQ(cs["lastState"], Json::object());
  EXPECT_EQ(pod["status"]["hostIP"], "127.0.0.1");
  EXPECT_EQ(pod["status"]["podIP"].get<std::string>().rfind("10.244.0.", 0), 0u);
  EXPECT_EQ(pod["status"]["qosClass"], "BestEffort");
  EXPECT_EQ(condition(pod, "Ready")["status"], "False");
  EXPECT_EQ(condition(pod, "Ready")["reason"], "PodFailed");
  EXPECT_EQ(condition(pod, "ContainersReady")["reason"], "PodFailed");
  EXPECT_EQ(condition(pod, "PodReadyToStartContainers")["status"], "False");
  EXPECT_EQ(condition(pod, "Initialized")["status"], "True");
  EXPECT_EQ(condition(pod, "PodScheduled")["status"], "True");
  EXPECT_EQ(texts(log_lines(pod, 0)), (std::set<std::string>{"stdout:out", "stderr:err"}));

  const Json scheduled = find_event(pod, "Scheduled", "Successfully assigned default/fail to kubesim-node");
  ASSERT_FALSE(scheduled.is_null());
  EXPECT_EQ(scheduled["source"]["component"], "default-scheduler");
  const Json pulled = find_event(pod, "Pulled", "Container image \"busybox:1.36\" already present on machine");
  ASSERT_FALSE(pulled.is_null());
  EXPECT_EQ(pulled["source"], (Json{{"component", "kubelet"}, {"host", "kubesim-node"}}));
  EXPECT_EQ(pulled["involvedObject"]["fieldPath"], "spec.containers{main}");
  EXPECT_FALSE(find_event(pod, "Created", "Created container main").is_null());
  EXPECT_FALSE(find_event(pod, "Started", "Started container main").is_null());

  // On its way it was Running with the container ready.
  bool saw_running = false;
  for (const Json& p : history("fail")) {
    if (phase_is(p, "Running")) {
      saw_running = true;
      EXPECT_EQ(condition(p, "Ready")["status"], "True");
      EXPECT_TRUE(container_status(p)["state"].contains("running"));
      EXPECT_EQ(container_status(p)["ready"], true);
    }
  }
  EXPECT_TRUE(saw_running);
}

TEST_F(KubeletTest, ProcessSeesOnlyThePodEnvironmentAndExpandedArgs) {
  ::setenv("KUBESIM_SIMULATOR_ONLY", "leaked", 1);
  start();
  Json c = shell("echo \"$1 $HOSTNAME $IMAGE_VAR ${KUBESIM_SIMULATOR_ONLY:-clean} $(pwd)\"");
  c["command"].push_back("sh");
  c["command"].push_back("$(GREETING)");
  c["env"] = {{{"name", "GREETING"}, {"value", "hi"}}};
  create_pod("env", c, "Never");
  const Json pod = wait_pod("env", [](const Json& p) { return phase_is(p, "Succeeded"); });
  ::unsetenv("KUBESIM_SIMULATOR_ONLY");
  EXPECT_EQ(texts(log_lines(pod, 0)), (std::set<std::string>{"stdout:hi env from-image clean /"}));
  EXPECT_EQ(container_status(pod)["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(condition(pod, "Ready")["reason"], "PodCompleted");
  EXPECT_EQ(condition(pod, "Initialized")["reason"], "PodCompleted");
}

TEST_F(KubeletTest, OnFailureRestartsInThePodWithCrashLoopBackOff) {
  start();
  const Json script = {{"attempts",
                        {{{"stdout", {"try 0"}}, {"exitCode", 1}},
                         {{"stdout", {"try 1"}}, {"stderr", {"oops"}}, {"exitCode", 2}},
                         {{"stdout", {"done"}}, {"exitCode", 0}}}}};
  const Json c = {{"name", "main"}, {"image", "example.com/job:1"}};
  create_pod("retry", c, "OnFailure", {{kScriptAnnotation, script.dump()}});
  const Json pod = wait_pod("retry", [](const Json& p) { return phase_is(p, "Succeeded"); });
  const Json cs = container_status(pod);
  EXPECT_EQ(cs["restartCount"], 2);
  EXPECT_EQ(cs["state"]["terminated"]["exitCode"], 0);
  EXPECT_EQ(cs["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(cs["lastState"]["terminated"]["exitCode"], 2);
  EXPECT_EQ(cs["lastState"]["terminated"]["reason"], "Error");
  EXPECT_NE(cs["lastState"]["terminated"]["containerID"], cs["containerID"]);
  // The current and the previous run's logs are kept; the first is gone.
  EXPECT_EQ(texts(log_lines(pod, 2)), (std::set<std::string>{"stdout:done"}));
  EXPECT_EQ(texts(log_lines(pod, 1)), (std::set<std::string>{"stdout:try 1", "stderr:oops"}));
  EXPECT_FALSE(fs::exists(container_log_path(config_.log_root, "default", "retry",
                                             pod["metadata"]["uid"], "main", 0)));

  const std::string who = "retry_default(" + pod["metadata"]["uid"].get<std::string>() + ")";
  // The first exit restarts at once; the second waits out the back-off, as the kubelet does.
  bool saw_backoff = false;
  bool saw_first_exit = false;
  for (const Json& p : history("retry")) {
    const Json s = container_status(p);
    if (s.contains("state") && s["state"].contains("terminated") &&
        s["state"]["terminated"]["exitCode"] == 1) {
      saw_first_exit = true;  // "Error 0" is reported before the restart, as on a real node
      EXPECT_EQ(s["restartCount"], 0);
      EXPECT_TRUE(phase_is(p, "Running"));
    }
    if (!s.contains("state") || !s["state"].contains("waiting") ||
        s["state"]["waiting"]["reason"] != "CrashLoopBackOff") {
      continue;
    }
    saw_backoff = true;
    EXPECT_EQ(s["state"]["waiting"]["message"],
              "back-off 150ms restarting failed container=main pod=" + who);
    EXPECT_EQ(s["restartCount"], 1);
    EXPECT_EQ(s["lastState"]["terminated"]["exitCode"], 2);
    EXPECT_EQ(s["ready"], false);
    EXPECT_TRUE(phase_is(p, "Running"));
  }
  EXPECT_TRUE(saw_backoff);
  EXPECT_TRUE(saw_first_exit);
  const Json backoff =
      find_event(pod, "BackOff", "Back-off restarting failed container main in pod " + who);
  ASSERT_FALSE(backoff.is_null());
  EXPECT_EQ(backoff["type"], "Warning");
  EXPECT_EQ(backoff["count"], 1);
  EXPECT_EQ(find_event(pod, "Started", "Started container main")["count"], 3);
}

TEST_F(KubeletTest, DeletionStopsTheProcessTreeAndRemovesThePod) {
  start();
  // "$$$$" is "$$" once the kubelet's $(VAR) expansion has unescaped it. The shell ignores
  // SIGTERM, so only the SIGKILL after the grace period ends it.
  create_pod("hang", shell("trap '' TERM; echo $$$$; while :; do sleep 0.05; done"), "Always");
  Json pod = wait_pod("hang", [&](const Json& p) {
    return phase_is(p, "Running") && !log_lines(p, 0).empty();
  });
  const pid_t pid = std::stoi(log_lines(pod, 0).front().text);
  EXPECT_EQ(::kill(pid, 0), 0);
  const auto asked = std::chrono::steady_clock::now();
  store_.update(kPods, "default", "hang", [](Json& p) {
    p["metadata"]["deletionTimestamp"] = now_rfc3339();
    p["metadata"]["deletionGracePeriodSeconds"] = 1;
    return true;
  });
  const auto deadline = asked + 3s;
  while (store_.get(kPods, "default", "hang") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(store_.get(kPods, "default", "hang").has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - asked, 900ms);  // the grace period was honoured
  EXPECT_EQ(::kill(pid, 0), -1);
  const Json killing = find_event(pod, "Killing", "Stopping container main");
  ASSERT_FALSE(killing.is_null());
  EXPECT_EQ(killing["involvedObject"]["fieldPath"], "spec.containers{main}");
}

TEST_F(KubeletTest, HangingScriptedPodIsKilledWhenDeleted) {
  start();
  const Json script = {{"attempts", {{{"stdout", {"up"}}}}}, {"hang", true}};
  create_pod("sleeper", {{"name", "main"}, {"image", "example.com/app:2"}}, "Never",
             {{kScriptAnnotation, script.dump()}});
  wait_pod("sleeper", [&](const Json& p) {
    return phase_is(p, "Running") && !log_lines(p, 0).empty();
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(phase_is(*store_.get(kPods, "default", "sleeper"), "Running"));  // it hangs
  const auto asked = std::chrono::steady_clock::now();
  store_.update(kPods, "default", "sleeper", [](Json& p) {
    p["metadata"]["deletionTimestamp"] = now_rfc3339();
    p["metadata"]["deletionGracePeriodSeconds"] = 30;
    return true;
  });
  while (store_.get(kPods, "default", "sleeper") &&
         std::chrono::steady_clock::now() < asked + 3s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(store_.get(kPods, "default", "sleeper").has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1800ms);  // SIGTERM: no 2 s SIGKILL wait
}

TEST_F(KubeletTest, MissingSecretWaitsWithCreateContainerConfigErrorUntilItExists) {
  start();
  Json c = shell("echo \"$PASSWORD\"");
  c["env"] = {{{"name", "PASSWORD"},
               {"valueFrom", {{"secretKeyRef", {{"name", "db"}, {"key", "password"}}}}}}};
  create_pod("cfg", c, "Never");
  Json pod = wait_pod("cfg", [](const Json& p) {
    return container_status(p).value("state", Json::object()).contains("waiting") &&
           container_status(p)["state"]["waiting"]["reason"] == "CreateContainerConfigError";
  });
  EXPECT_EQ(container_status(pod)["state"]["waiting"]["message"], "secret \"db\" not found");
  EXPECT_TRUE(phase_is(pod, "Pending"));
  EXPECT_EQ(condition(pod, "Ready")["reason"], "ContainersNotReady");
  EXPECT_EQ(condition(pod, "Ready")["message"], "containers with unready status: [main]");
  EXPECT_EQ(condition(pod, "PodReadyToStartContainers")["status"], "True");
  EXPECT_FALSE(container_status(pod).contains("containerID"));
  const Json failed = find_event(pod, "Failed", "Error: secret \"db\" not found");
  ASSERT_FALSE(failed.is_null());
  EXPECT_EQ(failed["type"], "Warning");

  store_.create(kSecrets, {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", "db"}, {"namespace", "default"}}},
                           {"data", {{"password", "aHVudGVyMg=="}}}});
  pod = wait_pod("cfg", [](const Json& p) { return phase_is(p, "Succeeded"); });
  EXPECT_EQ(texts(log_lines(pod, 0)), (std::set<std::string>{"stdout:hunter2"}));
  EXPECT_EQ(container_status(pod)["restartCount"], 0);
}

TEST_F(KubeletTest, UnmappedImageNeverRunsAndBacksOffPulling) {
  start();
  create_pod("nopull", {{"name", "main"}, {"image", "example.com/nope:1"}}, "Never");
  const Json pod = wait_pod("nopull", [](const Json& p) {
    return container_status(p).value("state", Json::object()).contains("waiting") &&
           container_status(p)["state"]["waiting"]["reason"] == "ImagePullBackOff";
  });
  EXPECT_EQ(container_status(pod)["state"]["waiting"]["message"],
            "Back-off pulling image \"example.com/nope:1\"");
  EXPECT_TRUE(phase_is(pod, "Pending"));
  const std::string error =
      "rpc error: code = NotFound desc = failed to pull and unpack image \"example.com/nope:1\": "
      "failed to resolve reference \"example.com/nope:1\": example.com/nope:1: not found";
  EXPECT_FALSE(find_event(pod, "Failed", "Failed to pull image \"example.com/nope:1\": " + error)
                   .is_null());
  EXPECT_FALSE(find_event(pod, "Failed", "Error: ErrImagePull").is_null());
  EXPECT_FALSE(find_event(pod, "BackOff", "Back-off pulling image \"example.com/nope:1\"").is_null());
  EXPECT_FALSE(find_event(pod, "Failed", "Error: ImagePullBackOff").is_null());
  bool saw_err = false;
  for (const Json& p : history("nopull")) {
    const Json s = container_status(p);
    if (s.contains("state") && s["state"].contains("waiting") &&
        s["state"]["waiting"]["reason"] == "ErrImagePull") {
      saw_err = true;
      EXPECT_EQ(s["state"]["waiting"]["message"], error);
    }
  }
  EXPECT_TRUE(saw_err);
}

TEST_F(KubeletTest, MissingExecutableIsAStartError) {
  start();
  create_pod("noexec", {{"name", "main"}, {"image", "busybox"}, {"command", {"/no/such/tool"}}},
             "Never");
  const Json pod = wait_pod("noexec", [](const Json& p) { return phase_is(p, "Failed"); });
  const Json term = container_status(pod)["state"]["terminated"];
  EXPECT_EQ(term["exitCode"], 128);
  EXPECT_EQ(term["reason"], "StartError");
  EXPECT_EQ(term["startedAt"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(term["message"],
            "failed to create containerd task: failed to create shim task: OCI runtime create "
            "failed: runc create failed: unable to start container process: exec: "
            "\"/no/such/tool\": stat /no/such/tool: no such file or directory: unknown");
}

TEST_F(KubeletTest, PodRemovedFromTheStoreHasItsProcessKilled) {
  start();
  create_pod("gone", shell("echo $$$$; exec sleep 60"), "Always");
  const Json pod = wait_pod("gone", [&](const Json& p) {
    return phase_is(p, "Running") && !log_lines(p, 0).empty();
  });
  const pid_t pid = std::stoi(log_lines(pod, 0).front().text);
  store_.remove(kPods, "default", "gone");
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(::kill(pid, 0), -1);
}

TEST(KubeletHelpers, ImageNamesDurationsAndQos) {
  EXPECT_EQ(image_repository("busybox:1.36"), "busybox");
  EXPECT_EQ(image_repository("reg:5000/app:1.2@sha256:abc"), "reg:5000/app");
  EXPECT_EQ(image_repository("reg:5000/app"), "reg:5000/app");
  EXPECT_EQ(normalize_image("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(normalize_image("bitnami/redis:7"), "docker.io/bitnami/redis:7");
  EXPECT_EQ(normalize_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server:v3"),
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server:v3");
  EXPECT_EQ(go_duration(100ms), "100ms");
  EXPECT_EQ(go_duration(1600ms), "1.6s");
  EXPECT_EQ(go_duration(10s), "10s");
  EXPECT_EQ(go_duration(80s), "1m20s");
  EXPECT_EQ(go_duration(std::chrono::minutes(5)), "5m0s");
  const auto pod_with = [](Json resources) {
    return Json{{"spec", {{"containers", {{{"name", "c"}, {"resources", resources}}}}}}};
  };
  EXPECT_EQ(qos_class(pod_with(Json::object())), "BestEffort");
  EXPECT_EQ(qos_class(pod_with({{"requests", {{"cpu", "100m"}}}})), "Burstable");
  EXPECT_EQ(qos_class(pod_with({{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}})), "Guaranteed");
  EXPECT_EQ(qos_class(pod_with({{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}},
                                {"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}}})),
            "Burstable");
}

}  // namespace
}  // namespace mgate::kubesim
