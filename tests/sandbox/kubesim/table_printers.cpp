#include "tests/sandbox/kubesim/table_printers.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "backend/core/time.hpp"
#include "tests/sandbox/kubesim/resources.hpp"

#include "tests/sandbox/kubesim/table.hpp"

namespace mgate::kubesim::table_printers {

// Column descriptions as the v1.31 server sends them: the OpenAPI field docs (SwaggerDoc()) the
// printers name, or the printers' own literals.
constexpr const char* kNameDoc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr const char* kCreationDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
constexpr const char* kContainersDoc = "Names of each container in the template.";
constexpr const char* kImagesDoc = "Images referenced by each container in the template.";

/// One column of a printer: name, priority (1 = wide only), description, format.
struct ColumnDef {
  const char* name;
  int priority;
  const char* doc;
  const char* format = "";
  const char* type = "string";
};

const std::vector<ColumnDef> kJobColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Status", 0, "Status of the job."},
    {"Completions", 0,
     "The number of pods which reached phase Succeeded. The value increases monotonically for a given "
     "spec. However, it may decrease in reaction to scale down of elastic indexed jobs."},
    {"Duration", 0, "Time required to complete the job."},
    {"Age", 0, kCreationDoc},
    {"Containers", 1, kContainersDoc},
    {"Images", 1, kImagesDoc},
    {"Selector", 1,
     "A label query over pods that should match the pod count. Normally, the system sets this field for "
     "you. More info: "
     "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"},
};
const std::vector<ColumnDef> kPodColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Ready", 0, "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", 0, "The aggregate status of the containers in this pod."},
    {"Restarts", 0,
     "The number of times the containers in this pod have been restarted and when the last container in "
     "this pod has restarted."},
    {"Age", 0, kCreationDoc},
    {"IP", 1,
     "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
     "allocated."},
    {"Node", 1,
     "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
     "scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this "
     "node becomes responsible for the lifecycle of this pod. This field should not be used to express a "
     "desire for the pod to be scheduled on a specific node. "
     "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"},
    {"Nominated Node", 1,
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
     "scheduled right away as preemption victims receive their graceful termination periods. This field "
     "does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the "
     "pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the "
     "resources on this node to a higher priority pod that is created after preemption. As a result, this "
     "field may be different than PodSpec.nodeName when the pod is scheduled."},
    {"Readiness Gates", 1,
     "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its "
     "containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" "
     "More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"},
};
const std::vector<ColumnDef> kEventColumns = {
    {"Last Seen", 0, "The time at which the most recent occurrence of this event was recorded."},
    {"Type", 0, "Type of this event (Normal, Warning), new types could be added in the future"},
    {"Reason", 0,
     "This should be a short, machine understandable string that gives the reason for the transition into "
     "the object's current status."},
    {"Object", 0, "The object that this event is about."},
    {"Subobject", 1,
     "If referring to a piece of an object instead of an entire object, this string should contain a valid "
     "JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the "
     "object reference is to a container within a pod, this would take on a value like: "
     "\"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the "
     "event) "
     "or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This "
     "syntax is chosen only to have some well-defined way of referencing a part of an object."},
    {"Source", 1, "The component reporting this event. Should be a short machine understandable string."},
    {"Message", 0, "A human-readable description of the status of this operation."},
    {"First Seen", 1,
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"},
    {"Count", 1, "The number of times this event has occurred."},
    {"Name", 1, kNameDoc, "name"},
};
const std::vector<ColumnDef> kDeploymentColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Ready", 0, "Number of the pod with ready state"},
    {"Up-to-date", 0,
     "Total number of non-terminated pods targeted by this deployment that have the desired template spec."},
    {"Available", 0,
     "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."},
    {"Age", 0, kCreationDoc},
    {"Containers", 1, kContainersDoc},
    {"Images", 1, kImagesDoc},
    {"Selector", 1,
     "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones "
     "affected by this deployment."},
};
const std::vector<ColumnDef> kNamespaceColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Status", 0, "The status of the namespace"},
    {"Age", 0, kCreationDoc},
};
const std::vector<ColumnDef> kSecretColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Type", 0,
     "Used to facilitate programmatic handling of secret data. More info: "
     "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"},
    {"Data", 0,
     "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. "
     "The serialized form of the secret data is a base64 encoded string, representing the arbitrary "
     "(possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"},
    {"Age", 0, kCreationDoc},
};
const std::vector<ColumnDef> kConfigMapColumns = {
    {"Name", 0, kNameDoc, "name"},
    {"Data", 0,
     "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or "
     "'.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data "
     "must not overlap with the keys in the BinaryData field, this is enforced during validation process."},
    {"Age", 0, kCreationDoc},
};

/// The value at `path`, or nullptr when a step is missing or the value is null.
const Json* at(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string str(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = at(j, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::int64_t num(const Json& j, std::initializer_list<const char*> path, std::int64_t def) {
  const Json* v = at(j, path);
  return v != nullptr && v->is_number() ? v->get<std::int64_t>() : def;
}

std::size_t count_keys(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = at(j, path);
  return v != nullptr && v->is_object() ? v->size() : 0;
}

/// A timestamp field; nullopt when absent, null or unparseable (metav1.Time's zero value).
std::optional<TimePoint> time_at(const Json& j, std::initializer_list<const char*> path) {
  const std::string text = str(j, path);
  if (text.empty()) return std::nullopt;
  auto parsed = backend::parse_rfc3339(text);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

/// Elapsed time as HumanDuration sees it: Go converts with int(d.Seconds()), truncating.
std::string human_between(TimePoint from, TimePoint to) {
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(to - from));
}

/// translateTimestampSince: "<unknown>" for a zero time.
std::string since(const std::optional<TimePoint>& t, TimePoint now) {
  return t ? human_between(*t, now) : "<unknown>";
}

std::string age(const Json& item, TimePoint now) {
  return since(time_at(item, {"metadata", "creationTimestamp"}), now);
}

std::vector<Json> columns(const std::vector<ColumnDef>& defs) {
  std::vector<Json> out;
  for (const auto& c : defs) {
    out.push_back({{"name", c.name},
                   {"type", c.type},
                   {"format", c.format},
                   {"description", c.doc},
                   {"priority", c.priority}});
  }
  return out;
}

/// layoutContainerCells: names and images, comma-joined.
std::pair<std::string, std::string> containers(const Json& pod_spec) {
  std::string names, images;
  const Json* list = at(pod_spec, {"containers"});
  if (list == nullptr || !list->is_array()) return {names, images};
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (i != 0) {
      names += ",";
      images += ",";
    }
    names += str((*list)[i], {"name"});
    images += str((*list)[i], {"image"});
  }
  return {names, images};
}

/// metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, "" for a nil or
/// empty selector.
std::string selector_string(const Json* selector) {
  if (selector == nullptr) return "";
  std::multimap<std::string, std::string> reqs;
  if (const Json* labels = at(*selector, {"matchLabels"}); labels && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) reqs.emplace(k, k + "=" + v.get<std::string>());
  }
  if (const Json* exprs = at(*selector, {"matchExpressions"}); exprs && exprs->is_array()) {
    for (const Json& e : *exprs) {
      const std::string key = str(e, {"key"}), op = str(e, {"operator"});
      std::set<std::string> values;
      if (const Json* vs = at(e, {"values"}); vs && vs->is_array()) {
        for (const Json& v : *vs) values.insert(v.get<std::string>());
      }
      std::string joined;
      for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
      if (op == "In") reqs.emplace(key, key + " in (" + joined + ")");
      if (op == "NotIn") reqs.emplace(key, key + " notin (" + joined + ")");
      if (op == "Exists") reqs.emplace(key, key);
      if (op == "DoesNotExist") reqs.emplace(key, "!" + key);
    }
  }
  std::string out;
  for (const auto& [k, r] : reqs) out += (out.empty() ? "" : ",") + r;
  return out;
}

/// metav1.FormatLabelSelector: as above, "<none>" when empty.
std::string format_label_selector(const Json* selector) {
  std::string s = selector_string(selector);
  return s.empty() ? "<none>" : s;
}

/// The status of the first condition of `type` is "True" (hasJobCondition, hasPodReadyCondition).
bool condition_true(const Json& item, const char* type) {
  const Json* conditions = at(item, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const Json& c : *conditions) {
    if (str(c, {"type"}) == type) return str(c, {"status"}) == "True";
  }
  return false;
}



// ---- jobs.batch (printJob) ----

Row job_row(const Json& job, TimePoint now) {
  const std::int64_t succeeded = num(job, {"status", "succeeded"});
  std::string completions;
  if (at(job, {"spec", "completions"}) != nullptr) {
    completions = fmt::format("{}/{}", succeeded, num(job, {"spec", "completions"}));
  } else if (const std::int64_t parallelism = num(job, {"spec", "parallelism"}); parallelism > 1) {
    completions = fmt::format("{}/1 of {}", succeeded, parallelism);
  } else {
    completions = fmt::format("{}/1", succeeded);
  }
  std::string took;
  const auto start = time_at(job, {"status", "startTime"});
  const auto done = time_at(job, {"status", "completionTime"});
  if (start) took = human_between(*start, done ? *done : now);
  // v1.31 has no SuccessCriteriaMet branch (added in v1.34): such a Job prints Running.
  std::string status = "Running";
  if (condition_true(job, "Complete")) {
    status = "Complete";
  } else if (condition_true(job, "Failed")) {
    status = "Failed";
  } else if (at(job, {"metadata", "deletionTimestamp"}) != nullptr) {
    status = "Terminating";
  } else if (condition_true(job, "Suspended")) {
    status = "Suspended";
  } else if (condition_true(job, "FailureTarget")) {
    status = "FailureTarget";
  }
  const Json* pod_spec = at(job, {"spec", "template", "spec"});
  auto [names, images] = containers(pod_spec ? *pod_spec : Json::object());
  Row r;
  r.cells = {str(job, {"metadata", "name"}),
             status,
             completions,
             took,
             age(job, now),
             names,
             images,
             format_label_selector(at(job, {"spec", "selector"}))};
  return r;
}

// ---- events (printEvent) ----

std::string trim_space(const std::string& s) {
  const char* ws = " \t\n\v\f\r";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// formatEventSource: component (else reportingComponent), then ", host" (else reportingInstance).
std::string event_source(const Json& ev) {
  std::string component = str(ev, {"source", "component"});
  if (component.empty()) component = str(ev, {"reportingComponent"});
  std::string instance = str(ev, {"source", "host"});
  if (instance.empty()) instance = str(ev, {"reportingInstance"});
  return instance.empty() ? component : component + ", " + instance;
}

Row event_row(const Json& ev, TimePoint now) {
  const auto first_ts = time_at(ev, {"firstTimestamp"});
  const std::string first = first_ts ? since(first_ts, now) : since(time_at(ev, {"eventTime"}), now);
  const auto last_ts = time_at(ev, {"lastTimestamp"});
  std::string last = last_ts ? since(last_ts, now) : first;
  std::int64_t count = num(ev, {"count"});
  if (at(ev, {"series"}) != nullptr) {
    last = since(time_at(ev, {"series", "lastObservedTime"}), now);
    count = num(ev, {"series", "count"});
  } else if (count == 0) {
    count = 1;  // singleton events of the new API carry no count
  }
  std::string kind = str(ev, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string name = str(ev, {"involvedObject", "name"});
  Row r;
  r.cells = {last,
             str(ev, {"type"}),
             str(ev, {"reason"}),
             name.empty() ? kind : kind + "/" + name,
             str(ev, {"involvedObject", "fieldPath"}),
             event_source(ev),
             trim_space(str(ev, {"message"})),
             first,
             count,
             str(ev, {"metadata", "name"})};
  return r;
}

// ---- deployments.apps (printDeployment) ----

Row deployment_row(const Json& d, TimePoint now) {
  const Json* pod_spec = at(d, {"spec", "template", "spec"});
  auto [names, images] = containers(pod_spec ? *pod_spec : Json::object());
  Row r;
  // spec.replicas defaults to 1 on the real server, which prints the defaulted value.
  r.cells = {str(d, {"metadata", "name"}),
             fmt::format("{}/{}", num(d, {"status", "readyReplicas"}), num(d, {"spec", "replicas"}, 1)),
             num(d, {"status", "updatedReplicas"}),
             num(d, {"status", "availableReplicas"}),
             age(d, now),
             names,
             images,
             selector_string(at(d, {"spec", "selector"}))};
  return r;
}

// ---- namespaces, secrets, configmaps ----

Row namespace_row(const Json& ns, TimePoint now) {
  return {{str(ns, {"metadata", "name"}), str(ns, {"status", "phase"}), age(ns, now)}, nullptr};
}

Row secret_row(const Json& s, TimePoint now) {
  const std::string type = str(s, {"type"});  // the real server defaults it to Opaque
  return {
      {str(s, {"metadata", "name"}), type.empty() ? "Opaque" : type, count_keys(s, {"data"}), age(s, now)},
      nullptr};
}

Row configmap_row(const Json& cm, TimePoint now) {
  return {{str(cm, {"metadata", "name"}), count_keys(cm, {"data"}) + count_keys(cm, {"binaryData"}),
           age(cm, now)},
          nullptr};
}

// ---- applications.argoproj.io (the CRD table convertor) ----

/// One of Argo CD's additionalPrinterColumns (all of type string).
struct CrdColumn {
  const char* name;
  std::vector<const char*> path;
  const char* json_path;
  int priority;
};

const std::vector<CrdColumn> kApplicationColumns = {
    {"Sync Status", {"status", "sync", "status"}, ".status.sync.status", 0},
    {"Health Status", {"status", "health", "status"}, ".status.health.status", 0},
    {"Revision", {"status", "sync", "revision"}, ".status.sync.revision", 10},
    {"Project", {"spec", "project"}, ".spec.project", 10},
};

/// A string column's cell: the JSONPath printer's rendering of the value, null when missing.
Json crd_string_cell(const Json& item, const std::vector<const char*>& path) {
  const Json* cur = &item;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
  }
  if (cur->is_null()) return nullptr;
  return cur->is_string() ? cur->get<std::string>() : cur->dump();
}

/// The CRD convertor puts Name first, then the declared columns. A CRD that declares columns gets
/// no Age: the convertor only stands one in when a version declares none.
Printer application_printer() {
  Printer p{columns({{"Name", 0, kNameDoc, "name"}}), nullptr};
  for (const auto& c : kApplicationColumns) {
    p.columns.push_back(
        {{"name", c.name},
         {"type", "string"},
         {"format", ""},
         {"description",
          fmt::format("Custom resource definition column (in JSONPath format): {}", c.json_path)},
         {"priority", c.priority}});
  }
  p.row = [](const Json& app, TimePoint) {
    Row r{{str(app, {"metadata", "name"})}, nullptr};
    for (const auto& c : kApplicationColumns) r.cells.push_back(crd_string_cell(app, c.path));
    return r;
  };
  return p;
}

// ---- anything else (rest.NewDefaultTableConvertor) ----

Row default_row(const Json& item, TimePoint) {
  // Go formats a zero creationTimestamp too.
  std::string when = "0001-01-01T00:00:00Z";
  if (const auto created = time_at(item, {"metadata", "creationTimestamp"}); created) {
    when = backend::format_rfc3339(std::chrono::floor<std::chrono::seconds>(*created));
    if (when.size() > 20 && when[19] == '.') when = when.substr(0, 19) + "Z";  // drop the milliseconds
  }
  return {{str(item, {"metadata", "name"}), when}, nullptr};
}

Printer printer_for(const std::string& key) {
  if (key == kJobs) return {columns(kJobColumns), job_row};
  if (key == kPods) return {columns(kPodColumns), pod_row};
  if (key == kEvents) return {columns(kEventColumns), event_row};
  if (key == kDeployments) return {columns(kDeploymentColumns), deployment_row};
  if (key == kNamespaces) return {columns(kNamespaceColumns), namespace_row};
  if (key == kSecrets) return {columns(kSecretColumns), secret_row};
  if (key == kConfigMaps) return {columns(kConfigMapColumns), configmap_row};
  if (key == kApplications) return application_printer();
  return {columns({{"Name", 0, kNameDoc, "name"}, {"Created At", 0, kCreationDoc, "", "date"}}), default_row};
}

}  // namespace mgate::kubesim::table_printers
