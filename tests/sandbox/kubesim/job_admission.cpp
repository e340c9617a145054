// What the API server does to a new Job before it is stored: defaults, generated selector.
#include "tests/sandbox/kubesim/job_admission.hpp"

#include <climits>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/sandbox/kubesim/selector.hpp"
#include "tests/sandbox/kubesim/json_access.hpp"

namespace mgate::kubesim {


namespace {

// ---------------------------------------------------------------------------------------------
// Helpers over JSON: a null member counts as absent, as in the Go structs.


Json& object_member(Json& obj, const char* key) {
  Json& v = obj[key];
  if (!v.is_object()) v = Json::object();
  return v;
}

void set_default(Json& obj, const char* key, const Json& value) {
  if (member(obj, key) == nullptr) obj[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Defaulting.

// parsers.ParseImageName's tag: "latest" when the reference has neither tag nor digest.
std::string image_tag(const std::string& image) {
  const auto at = image.find('@');
  const std::string name = image.substr(0, at);
  if (name.empty()) return "";  // not a valid reference: the error is ignored
  for (const char c : name) {
    if (c >= 'A' && c <= 'Z') return "";  // not a valid reference: the error is ignored
  }
  const auto slash = name.rfind('/');
  const auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return name.substr(colon + 1);
  }
  return at == std::string::npos ? "latest" : "";
}

void default_probe(Json& container, const char* key) {
  Json* probe = container.contains(key) && container[key].is_object() ? &container[key] : nullptr;
  if (probe == nullptr) return;
  set_default(*probe, "timeoutSeconds", 1);
  set_default(*probe, "periodSeconds", 10);
  set_default(*probe, "successThreshold", 1);
  set_default(*probe, "failureThreshold", 3);
  if (probe->contains("httpGet") && (*probe)["httpGet"].is_object()) {
    set_default((*probe)["httpGet"], "path", "/");
    set_default((*probe)["httpGet"], "scheme", "HTTP");
  }
}

// SetDefaults_Container and the defaults of what a container holds.
void default_container(Json& c) {
  if (str_member(c, "imagePullPolicy").empty()) {
    c["imagePullPolicy"] = image_tag(str_member(c, "image")) == "latest" ? "Always" : "IfNotPresent";
  }
  if (str_member(c, "terminationMessagePath").empty()) {
    c["terminationMessagePath"] = "/dev/termination-log";
  }
  if (str_member(c, "terminationMessagePolicy").empty()) c["terminationMessagePolicy"] = "File";
  // ResourceRequirements is a struct, not a pointer: the server always serves it.
  if (!c.contains("resources") || !c["resources"].is_object()) c["resources"] = Json::object();
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& port : c["ports"]) {
      if (port.is_object() && str_member(port, "protocol").empty()) port["protocol"] = "TCP";
    }
  }
  if (c.contains("env") && c["env"].is_array()) {
    for (auto& env : c["env"]) {
      const Json* from = member(env, "valueFrom");
      if (from != nullptr && member(*from, "fieldRef") != nullptr) {
        Json& ref = env["valueFrom"]["fieldRef"];
        if (str_member(ref, "apiVersion").empty()) ref["apiVersion"] = "v1";
      }
    }
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    default_probe(c, probe);
  }
}

// SetDefaults_Volume and the mode defaults of the projected sources.
void default_volume(Json& v) {
  static const char* const kSources[] = {"hostPath",
                                         "emptyDir",
                                         "gcePersistentDisk",
                                         "awsElasticBlockStore",
                                         "gitRepo",
                                         "secret",
                                         "nfs",
                                         "iscsi",
                                         "glusterfs",
                                         "persistentVolumeClaim",
                                         "rbd",
                                         "flexVolume",
                                         "cinder",
                                         "cephfs",
                                         "flocker",
                                         "downwardAPI",
                                         "fc",
                                         "azureFile",
                                         "configMap",
                                         "vsphereVolume",
                                         "quobyte",
                                         "azureDisk",
                                         "photonPersistentDisk",
                                         "projected",
                                         "portworxVolume",
                                         "scaleIO",
                                         "storageos",
                                         "csi",
                                         "ephemeral",
                                         "image"};
  bool any = false;
  for (const char* s : kSources) any = any || member(v, s) != nullptr;
  if (!any) v["emptyDir"] = Json::object();
  for (const char* s : {"secret", "configMap", "downwardAPI", "projected"}) {
    if (member(v, s) != nullptr && v[s].is_object()) set_default(v[s], "defaultMode", 420);
  }
}

// SetDefaults_PodSpec (restartPolicy included: the defaulter sets Always, which Job
// validation then refuses with "Required value").
void default_pod_spec(Json& spec) {
  if (str_member(spec, "dnsPolicy").empty()) spec["dnsPolicy"] = "ClusterFirst";
  if (str_member(spec, "restartPolicy").empty()) spec["restartPolicy"] = "Always";
  if (member(spec, "securityContext") == nullptr) spec["securityContext"] = Json::object();
  set_default(spec, "terminationGracePeriodSeconds", 30);
  if (str_member(spec, "schedulerName").empty()) spec["schedulerName"] = "default-scheduler";
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (c.is_object()) default_container(c);
    }
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      if (v.is_object()) default_volume(v);
    }
  }
}

// batch/v1 SetDefaults_Job.
void default_job_spec(Json& spec) {
  if (member(spec, "completions") == nullptr && member(spec, "parallelism") == nullptr) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  }
  set_default(spec, "parallelism", 1);
  if (member(spec, "backoffLimit") == nullptr) {
    spec["backoffLimit"] = member(spec, "backoffLimitPerIndex") != nullptr ? INT32_MAX : 6;
  }
  set_default(spec, "completionMode", "NonIndexed");
  set_default(spec, "suspend", false);
  const Json* pfp = member(spec, "podFailurePolicy");
  if (pfp != nullptr && member(*pfp, "rules") != nullptr) {
    for (auto& rule : spec["podFailurePolicy"]["rules"]) {
      if (!rule.is_object() || member(rule, "onPodConditions") == nullptr) continue;
      for (auto& pattern : rule["onPodConditions"]) {
        if (pattern.is_object() && str_member(pattern, "status").empty()) {
          pattern["status"] = "True";
        }
      }
    }
  }
  set_default(spec, "podReplacementPolicy", pfp != nullptr ? "Failed" : "TerminatingOrFailed");
}

// The strategy's generateSelector: labels the template with the Job's name and uid unless
// the user set those labels (validation then checks them), and selects on the uid.
void generate_selector(Json& job) {
  const std::string name = str_member(job["metadata"], "name");
  const std::string uid = str_member(job["metadata"], "uid");
  Json& labels = object_member(job["spec"]["template"]["metadata"], "labels");
  for (const char* key : {kLegacyJobNameLabel, kJobNameLabel}) set_default(labels, key, name);
  for (const char* key : {kLegacyControllerUidLabel, kControllerUidLabel}) {
    set_default(labels, key, uid);
  }
  Json& selector = object_member(job["spec"], "selector");
  Json& match = object_member(selector, "matchLabels");
  set_default(match, kControllerUidLabel, uid);
}

}  // namespace

void prepare_job_for_create(Json& job) {
  Json& metadata = object_member(job, "metadata");
  Json& spec = object_member(job, "spec");
  default_job_spec(spec);
  Json& template_spec = object_member(spec, "template");
  Json& template_meta = object_member(template_spec, "metadata");
  // metav1.Time is a struct: an unset creationTimestamp is served as null.
  if (!template_meta.contains("creationTimestamp")) template_meta["creationTimestamp"] = nullptr;
  default_pod_spec(object_member(template_spec, "spec"));
  // SetDefaults_Job assigns the template's label map to the Job when the Job has no labels;
  // Go shares the map, so the labels generate_selector adds show on the Job too.
  const Json* template_labels = member(template_meta, "labels");
  const Json* job_labels = member(metadata, "labels");
  const bool share_labels = template_labels != nullptr && template_labels->is_object() &&
                            (job_labels == nullptr || job_labels->empty());
  const Json* manual = member(spec, "manualSelector");
  if (manual == nullptr || !manual->is_boolean() || !manual->get<bool>()) generate_selector(job);
  if (share_labels) job["metadata"]["labels"] = job["spec"]["template"]["metadata"]["labels"];
  job["status"] = Json::object();
}

void apply_pod_create_defaults(Json& spec) {
  if (!spec.contains("enableServiceLinks")) spec["enableServiceLinks"] = true;
  if (!spec.contains("serviceAccountName")) spec["serviceAccountName"] = "default";
  spec["serviceAccount"] = spec["serviceAccountName"];
  if (!spec.contains("priority")) spec["priority"] = 0;
  if (!spec.contains("preemptionPolicy")) spec["preemptionPolicy"] = "PreemptLowerPriority";
  if (!spec.contains("tolerations")) {
    spec["tolerations"] = Json::array();
    for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      spec["tolerations"].push_back({{"key", key},
                                     {"operator", "Exists"},
                                     {"effect", "NoExecute"},
                                     {"tolerationSeconds", 300}});
    }
  }
}

}  // namespace mgate::kubesim
