// Every object the simulated API serves must deserialize into the official Python models
// (Debian's python3-kubernetes 22.6, the Kubernetes 1.22 API) without loss. The simulator claims
// v1.31, so the only acceptable losses are fields a real 1.31 server serves that 1.22 did not
// know: each is listed below with the release that added it. A field no Kubernetes serves (a typo,
// a wrong name) shows up as an unexpected loss and fails the test; so does a field that vanishes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/kube_support.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Paths = std::set<std::string>;

constexpr const char* kNamespace = "udab";
constexpr const char* kScriptAnnotation = "kubesim.mgate.dev/script";
constexpr const char* kImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server:stage-models";

// The fields of one object of a kind that the 1.22 models cannot hold (paths as the check script
// writes them, list indexes as "[]"). The list form ("items[]." + path) is derived from them.
// clang-format off
const std::map<std::string, Paths>& expected_item_losses() {
  static const std::map<std::string, Paths> losses = {
      {"Namespace", {}},
      {"Pod", {
          "status.hostIPs",                           // added in 1.28 (PodStatus.hostIPs)
          "status.containerStatuses[].volumeMounts",  // added in 1.30 (ContainerStatus.volumeMounts)
      }},
      {"Event", {}},
      {"Secret", {}},
      {"ConfigMap", {}},
      {"Job", {
          "spec.podReplacementPolicy",                // added in 1.28 (JobSpec.podReplacementPolicy)
          "status.ready",                             // added in 1.23 (JobStatus.ready)
          "status.terminating",                       // added in 1.28 (JobStatus.terminating)
      }},
      {"Deployment", {}},
      // Lost nowhere else: every other field served is one the 1.22 models know.
  };
  return losses;
}
// clang-format on

// What the script must report lost for a kind: the item paths, in a get and inside a list.
Paths expected_losses(const std::string& kind) {
  Paths out;
  for (const auto& p : expected_item_losses().at(kind)) {
    out.insert(p);
    out.insert("items[]." + p);
  }
  return out;
}

// A scripted pod template: each attempt prints a line and exits with its code.
json pod_template(const std::string& prefix, const std::string& restart_policy,
                  const std::vector<int>& exit_codes, bool mount_config) {
  json attempts = json::array();
  for (int code : exit_codes) {
    attempts.push_back({{"stdout", {fmt::format("attempt exits {}", code)}},
                        {"exitCode", code},
                        {"seconds", 0.2}});
  }
  json container = {{"name", "main"}, {"image", kImage}};
  json spec = {{"restartPolicy", restart_policy}};
  if (mount_config) {
    // A read-only mount: the 1.31 kubelet reports it in containerStatuses[].volumeMounts.
    container["volumeMounts"] = {{{"name", "config"}, {"mountPath", "/etc/udab"}, {"readOnly", true}}};
    spec["volumes"] = {{{"name", "config"}, {"configMap", {{"name", prefix + "-config"}}}}};
  }
  spec["containers"] = json::array({container});
  return {{"metadata",
           {{"labels", {{"models", prefix}}},
            {"annotations", {{kScriptAnnotation, json{{"attempts", attempts}}.dump()}}}}},
          {"spec", spec}};
}

json job(const std::string& prefix, const std::string& suffix, const std::string& restart_policy,
         int backoff_limit, const std::vector<int>& exit_codes, bool mount_config = false) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", prefix + "-" + suffix}, {"labels", {{"models", prefix}}}}},
          {"spec",
           {{"backoffLimit", backoff_limit},
            {"template", pod_template(prefix, restart_policy, exit_codes, mount_config)}}}};
}

json deployment(const std::string& prefix) {
  const json labels = {{"app", prefix + "-web"}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", prefix + "-web"}, {"labels", {{"models", prefix}}}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", labels}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec",
               {{"containers",
                 {{{"name", "web"},
                   {"image", kImage},
                   {"ports", {{{"containerPort", 8080}}}}}}}}}}}}}};
}

json application(const std::string& prefix) {
  const std::string image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/udab-server";
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Application"},
          {"metadata",
           {{"name", prefix + "-app"},
            {"labels", {{"models", prefix}}},
            {"annotations",
             {{"argocd-image-updater.argoproj.io/image-list", "server=" + image},
              {"argocd-image-updater.argoproj.io/server.update-strategy", "digest"},
              {"argocd-image-updater.argoproj.io/write-back-method", "argocd"}}}}},
          {"spec",
           {{"project", "default"},
            {"source",
             {{"repoURL", "https://git.example.com/udab/deploy.git"},
              {"path", "stage"},
              {"targetRevision", "main"}}},
            {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", kNamespace}}}}}};
}

// Everything the check needs, in creation order. The ConfigMap comes first: the "ok" Job mounts it.
std::vector<json> manifests(const std::string& prefix) {
  std::vector<json> out;
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", prefix + "-config"}, {"labels", {{"models", prefix}}}}},
                 {"data", {{"LOG_LEVEL", "debug"}, {"settings.ini", "[app]\nworkers = 2\n"}}}});
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", prefix + "-secret"}, {"labels", {{"models", prefix}}}}},
                 {"stringData", {{"DATABASE_URL", "postgresql://u@db/stage"}}}});
  out.push_back(job(prefix, "ok", "Never", 0, {0}, true));
  out.push_back(job(prefix, "failed", "Never", 0, {1}));
  // Fails once, then succeeds in the same pod: restartCount 1 and a terminated lastState. (A Job
  // that fails with OnFailure would have its pod deleted, taking those fields with it.)
  out.push_back(job(prefix, "restarted", "OnFailure", 6, {1, 0}));
  out.push_back(deployment(prefix));
  out.push_back(application(prefix));
  return out;
}

// Writes the manifests one per file (NN-kind.json, so kubectl creates them in order) and creates
// them with one `kubectl create -f DIR`. One file per object rather than a v1 List: kubectl
// validates a List against /openapi/v2, which the simulator does not serve.
KubeRun create_objects(const Sandbox& sandbox, const std::string& prefix) {
  const fs::path dir = make_test_dir("kube-models");
  int n = 0;
  for (const json& m : manifests(prefix)) {
    std::ofstream(dir / fmt::format("{:02}-{}.json", n++, m["kind"].get<std::string>())) << m.dump(2);
  }
  return kubectl(sandbox, {"create", "-n", kNamespace, "-f", dir.string()});
}

// `kubectl get KIND -l models=PREFIX -o json` items; an empty list when kubectl fails.
json labelled(const Sandbox& sandbox, const std::string& kind, const std::string& prefix) {
  const auto r = kubectl(sandbox, {"get", kind, "-n", kNamespace, "-l", "models=" + prefix, "-o", "json"});
  if (r.exit_code != 0) return json::array();
  const json list = json::parse(r.out, nullptr, false);
  return list.is_object() ? list.value("items", json::array()) : json::array();
}

bool has_condition(const json& job, const std::string& type) {
  for (const json& c : job.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

// True once the 3 Jobs have finished and their pods are terminal (so containers carry
// terminated states and the events have been recorded).
bool jobs_settled(const Sandbox& sandbox, const std::string& prefix) {
  const json jobs = labelled(sandbox, "jobs", prefix);
  if (jobs.size() != 3) return false;
  for (const json& j : jobs) {
    if (!has_condition(j, "Complete") && !has_condition(j, "Failed")) return false;
  }
  const json pods = labelled(sandbox, "pods", prefix);
  if (pods.size() != 3) return false;
  for (const json& p : pods) {
    const std::string phase = p.value("status", json::object()).value("phase", "");
    if (phase != "Succeeded" && phase != "Failed") return false;
  }
  return true;
}

// Runs kube_models_check.py with Debian's Python (the one python3-kubernetes belongs to).
json run_check(const Sandbox& sandbox, const std::string& prefix) {
  const char* source = std::getenv("MGATE_SOURCE_DIR");
  if (source == nullptr) {
    ADD_FAILURE() << "MGATE_SOURCE_DIR is not set";
    return {};
  }
  Command c;
  c.argv = {"/usr/bin/python3", (fs::path(source) / "tests/integration/kube_models_check.py").string(),
            (sandbox.kube_dir() / "kubeconfig").string(), kNamespace, prefix};
  c.env = sandbox_env(sandbox);
  c.timeout = std::chrono::seconds(60);
  const auto r = run_command(c);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().describe();
    return {};
  }
  if (!r->ok()) ADD_FAILURE() << "check script " << r->describe();
  json report = json::parse(r->out, nullptr, false);
  if (report.is_discarded()) ADD_FAILURE() << "not JSON: " << r->out << r->err;
  return report;
}

Paths as_paths(const json& array) {
  Paths out;
  for (const json& p : array) out.insert(p.get<std::string>());
  return out;
}

TEST(KubeModels, EveryServedObjectRoundTripsThroughThePythonModels) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  const Sandbox& sb = **sandbox;
  const std::string prefix = fmt::format("models-{}", getpid());

  const KubeRun created = create_objects(sb, prefix);
  ASSERT_EQ(created.exit_code, 0) << created.err;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!jobs_settled(sb, prefix)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the Jobs did not finish";
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }

  // The objects are as representative as meant: a restarted container with its last state.
  int restarted = 0;
  for (const json& pod : labelled(sb, "pods", prefix)) {
    if (pod.at("metadata").at("labels").value("job-name", "") != prefix + "-restarted") continue;
    ++restarted;
    const json& status = pod.at("status").at("containerStatuses").at(0);
    EXPECT_EQ(status.value("restartCount", -1), 1);
    EXPECT_EQ(status.at("lastState").at("terminated").value("exitCode", -1), 1) << status.dump();
  }
  EXPECT_EQ(restarted, 1);

  const json report = run_check(sb, prefix);
  ASSERT_TRUE(report.is_object() && report.contains("kinds") && report.contains("application"))
      << report.dump();
  // Each kind's report; a kind missing from it fails every comparison below.
  const auto kind_report = [&](const std::string& kind) {
    return report["kinds"].value(kind, json::object());
  };
  const std::map<std::string, int> objects = {
      {"Pod", 3}, {"Secret", 1}, {"ConfigMap", 1}, {"Job", 3}, {"Deployment", 1}};
  for (const auto& [kind, item_losses] : expected_item_losses()) {
    SCOPED_TRACE(kind);
    const json r = kind_report(kind);
    EXPECT_EQ(r.value("errors", json()), json::array());
    EXPECT_EQ(r.value("differences", json()), json::array());
    EXPECT_EQ(as_paths(r.value("lost", json::array())), expected_losses(kind));
    if (objects.count(kind) != 0) {
      EXPECT_EQ(r.value("objects", -1), objects.at(kind));
    }
  }
  // The seeded namespaces (default, kube-system, kube-public, kube-node-lease, udab, udab-prod),
  // and the events of the 3 Jobs and their pods (scheduled, pulled, created, started, ...).
  EXPECT_GE(kind_report("Namespace").value("objects", -1), 6);
  EXPECT_GE(kind_report("Event").value("objects", -1), 12);

  const json& app = report["application"];
  EXPECT_EQ(app.value("problems", json()), json::array());
  EXPECT_EQ(app.value("names", json()), json::array({prefix + "-app"}));
}

}  // namespace
}  // namespace mgate::sandbox::testing
