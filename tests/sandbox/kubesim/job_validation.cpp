// Job validation as pkg/apis/batch/validation (and the pod template parts of core's).
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
// Validation: field.Error's wording ("Required value", "Invalid value: V: detail", ...) with the
// bad value printed as Go prints it (%q for strings, %#v for maps and structs).

class Errors {
 public:
  void required(const std::string& field, const std::string& detail = "") {
    add(field, "FieldValueRequired", detail.empty() ? "Required value" : "Required value: " + detail);
  }
  void invalid(const std::string& field, const std::string& value, const std::string& detail) {
    add(field, "FieldValueInvalid", "Invalid value: " + value + ": " + detail);
  }
  void not_supported(const std::string& field, const std::string& value,
                     const std::vector<std::string>& valid) {
    std::string list;
    for (const auto& v : valid) list += (list.empty() ? "" : ", ") + names::go_quote(v);
    add(field, "FieldValueNotSupported", "Unsupported value: " + value + ": supported values: " + list);
  }
  void duplicate(const std::string& field, const std::string& value) {
    add(field, "FieldValueDuplicate", "Duplicate value: " + value);
  }
  void forbidden(const std::string& field, const std::string& detail) {
    add(field, "FieldValueForbidden", "Forbidden: " + detail);
  }
  // One Invalid error per message of a syntax check, as the validators loop over them.
  void invalid_each(const std::string& field, const std::string& value,
                    const std::vector<std::string>& msgs) {
    for (const auto& m : msgs) invalid(field, names::go_quote(value), m);
  }
  std::vector<FieldCause> take() { return std::move(list_); }

 private:
  void add(const std::string& field, const char* reason, std::string message) {
    list_.push_back(FieldCause{field, reason, std::move(message)});
  }
  std::vector<FieldCause> list_;
};

std::string q(const std::string& s) {
  return names::go_quote(s);
}

// NameIsDNSSubdomain(name, prefix=true) masks a trailing dash so a generateName prefix passes;
// Go drops the last two characters and appends "a", and so do we.
std::string mask_trailing_dash(const std::string& name) {
  if (name.size() > 1 && name.back() == '-') return name.substr(0, name.size() - 2) + "a";
  return name;
}

const std::string* int_member(const Json& obj, const char* key, std::string& out) {
  const Json* v = member(obj, key);
  if (v == nullptr || !v->is_number()) return nullptr;
  out = v->dump();
  return &out;
}

// Go's %#v of a map[string]string: keys sorted, `map[string]string{"k":"v", ...}`.
std::string go_map(const Json* labels) {
  if (labels == nullptr || !labels->is_object()) return "map[string]string(nil)";
  std::string out;
  for (const auto& [k, v] : labels->items()) {
    out += (out.empty() ? "" : ", ") + q(k) + ":" + q(v.is_string() ? v.get<std::string>() : v.dump());
  }
  return "map[string]string{" + out + "}";
}

std::string go_strings(const Json* values) {
  if (values == nullptr || !values->is_array()) return "[]string(nil)";
  std::string out;
  for (const auto& v : *values)
    out += (out.empty() ? "" : ", ") + q(v.is_string() ? v.get<std::string>() : v.dump());
  return "[]string{" + out + "}";
}

// Go's %#v of a metav1.LabelSelector (the pointer is dereferenced before printing).
std::string go_label_selector(const Json& selector) {
  const Json* expressions = member(selector, "matchExpressions");
  std::string exprs = "[]v1.LabelSelectorRequirement(nil)";
  if (expressions != nullptr && expressions->is_array()) {
    std::string items;
    for (const auto& e : *expressions) {
      items +=
          (items.empty() ? "" : ", ") +
          fmt::format("v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                      q(str_member(e, "key")), q(str_member(e, "operator")), go_strings(member(e, "values")));
    }
    exprs = "[]v1.LabelSelectorRequirement{" + items + "}";
  }
  return fmt::format("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
                     go_map(member(selector, "matchLabels")), exprs);
}

// metav1 validation.ValidateLabels: key syntax, then value syntax, for each label in key order.
void validate_labels(Errors& errs, const Json* labels, const std::string& path) {
  if (labels == nullptr || !labels->is_object()) return;
  for (const auto& [k, v] : labels->items()) {
    errs.invalid_each(path, k, names::qualified_name_errors(k));
    errs.invalid_each(path, v.is_string() ? v.get<std::string>() : v.dump(),
                      names::label_value_errors(v.is_string() ? v.get<std::string>() : v.dump()));
  }
}

void validate_nonnegative(Errors& errs, const Json& spec, const char* key, const std::string& path) {
  std::string value;
  if (int_member(spec, key, value) != nullptr && value[0] == '-') {
    errs.invalid(path + "." + key, value, "must be greater than or equal to 0");
  }
}

// ValidateObjectMeta for a namespaced object named like a DNS subdomain. The namespace is
// checked only when present: the request path supplies it before the server validates.
void validate_object_meta(Errors& errs, const Json& meta) {
  const std::string generate_name = str_member(meta, "generateName");
  if (!generate_name.empty()) {
    for (const auto& m : names::dns1123_subdomain_errors(mask_trailing_dash(generate_name))) {
      errs.invalid("metadata.generateName", q(generate_name), m);
    }
  }
  const std::string name = str_member(meta, "name");
  if (name.empty() && generate_name.empty()) {
    errs.required("metadata.name", "name or generateName is required");
  } else if (name.empty()) {
    // The server names the object from generateName before validating; a caller that names it
    // later (in the store) gets the prefix checked above and nothing more.
  } else {
    errs.invalid_each("metadata.name", name, names::dns1123_subdomain_errors(name));
  }
  const std::string ns = str_member(meta, "namespace");
  if (!ns.empty()) errs.invalid_each("metadata.namespace", ns, names::dns1123_label_errors(ns));
  validate_labels(errs, member(meta, "labels"), "metadata.labels");
}

// ValidateHasLabel on the template's metadata.
void validate_has_label(Errors& errs, const Json* labels, const char* key, const std::string& expected) {
  const std::string path = fmt::format("spec.template.metadata.labels[{}]", key);
  const Json* actual = labels != nullptr ? member(*labels, key) : nullptr;
  if (actual == nullptr) {
    errs.required(path, expected);
  } else if (!actual->is_string() || actual->get<std::string>() != expected) {
    errs.invalid(path, go_map(labels), fmt::format("must be '{}'", expected));
  }
}

// validateGeneratedSelector (RequirePrefixedLabels is true on create).
void validate_generated_selector(Errors& errs, const Json& job) {
  const Json& spec = job["spec"];
  const Json* manual = member(spec, "manualSelector");
  if (manual != nullptr && manual->is_boolean() && manual->get<bool>()) return;
  const Json* selector = member(spec, "selector");
  if (selector == nullptr) return;
  const std::string uid = str_member(job["metadata"], "uid");
  const std::string name = str_member(job["metadata"], "name");
  if (uid.empty()) errs.required("metadata.uid");
  const Json* tmeta = member(spec, "template") ? member(spec["template"], "metadata") : nullptr;
  const Json* labels = tmeta != nullptr ? member(*tmeta, "labels") : nullptr;
  validate_has_label(errs, labels, kLegacyControllerUidLabel, uid);
  validate_has_label(errs, labels, kLegacyJobNameLabel, name);
  validate_has_label(errs, labels, kControllerUidLabel, uid);
  validate_has_label(errs, labels, kJobNameLabel, name);
  const Json expected = {{kControllerUidLabel, uid},
                         {kJobNameLabel, name},
                         {kLegacyControllerUidLabel, uid},
                         {kLegacyJobNameLabel, name}};
  try {
    if (!LabelSelector::from_json(*selector).matches(expected)) {
      errs.invalid("spec.selector", go_label_selector(*selector), "`selector` not auto-generated");
    }
  } catch (const ApiError&) {
    // An unconvertible selector is reported by ValidateLabelSelector instead.
  }
}

void validate_ports(Errors& errs, const Json& c, const std::string& path) {
  const Json* ports = member(c, "ports");
  if (ports == nullptr || !ports->is_array()) return;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const Json& port = (*ports)[i];
    const std::string p = fmt::format("{}.ports[{}]", path, i);
    std::string value;
    if (int_member(port, "containerPort", value) == nullptr || value == "0") {
      errs.required(p + ".containerPort");
    } else if (const auto n = std::stoll(value); n < 1 || n > 65535) {
      errs.invalid(p + ".containerPort", value, "must be between 1 and 65535, inclusive");
    }
    if (int_member(port, "hostPort", value) != nullptr && value != "0") {
      if (const auto n = std::stoll(value); n < 1 || n > 65535) {
        errs.invalid(p + ".hostPort", value, "must be between 1 and 65535, inclusive");
      }
    }
    const std::string protocol = str_member(port, "protocol");
    if (protocol.empty()) {
      errs.required(p + ".protocol");
    } else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      errs.not_supported(p + ".protocol", q(protocol), {"SCTP", "TCP", "UDP"});
    }
  }
}

// ValidateEnv and ValidateEnvFrom with v1.31's strict variable-name rule.
void validate_env(Errors& errs, const Json& c, const std::string& path) {
  if (const Json* env = member(c, "env"); env != nullptr && env->is_array()) {
    for (std::size_t i = 0; i < env->size(); ++i) {
      const std::string p = fmt::format("{}.env[{}].name", path, i);
      const std::string name = str_member((*env)[i], "name");
      if (name.empty()) {
        errs.required(p);
      } else {
        errs.invalid_each(p, name, names::env_var_name_errors(name));
      }
    }
  }
  const Json* env_from = member(c, "envFrom");
  if (env_from == nullptr || !env_from->is_array()) return;
  for (std::size_t i = 0; i < env_from->size(); ++i) {
    const Json& source = (*env_from)[i];
    const std::string p = fmt::format("{}.envFrom[{}]", path, i);
    const std::string prefix = str_member(source, "prefix");
    if (!prefix.empty()) errs.invalid_each(p + ".prefix", prefix, names::env_var_name_errors(prefix));
    int sources = 0;
    for (const char* ref : {"configMapRef", "secretRef"}) {
      const Json* r = member(source, ref);
      if (r == nullptr) continue;
      ++sources;
      const std::string name = str_member(*r, "name");
      const std::string name_path = p + "." + ref + ".name";
      if (name.empty()) {
        errs.required(name_path);
      } else {
        for (const auto& m : names::dns1123_subdomain_errors(mask_trailing_dash(name))) {
          errs.invalid(name_path, q(name), m);
        }
      }
    }
    // Both refusals name the list, not the entry: that is how the server reports them.
    if (sources == 0) {
      errs.invalid(path + ".envFrom", q(""), "must specify one of: `configMapRef` or `secretRef`");
    } else if (sources > 1) {
      errs.forbidden(path + ".envFrom", "may not have more than one field specified at a time");
    }
  }
}

// validateContainerCommon, the part a Job's containers exercise.
void validate_container(Errors& errs, const Json& c, const std::string& path) {
  const std::string name = str_member(c, "name");
  if (name.empty()) {
    errs.required(path + ".name");
  } else {
    errs.invalid_each(path + ".name", name, names::dns1123_label_errors(name));
  }
  if (str_member(c, "image").empty()) errs.required(path + ".image");
  const std::string tmp = str_member(c, "terminationMessagePolicy");
  if (tmp.empty()) {
    errs.required(path + ".terminationMessagePolicy");
  } else if (tmp != "File" && tmp != "FallbackToLogsOnError") {
    errs.not_supported(path + ".terminationMessagePolicy", q(tmp), {"File", "FallbackToLogsOnError"});
  }
  validate_ports(errs, c, path);
  validate_env(errs, c, path);
  const std::string pull = str_member(c, "imagePullPolicy");
  if (pull.empty()) {
    errs.required(path + ".imagePullPolicy");
  } else if (pull != "Always" && pull != "IfNotPresent" && pull != "Never") {
    errs.not_supported(path + ".imagePullPolicy", q(pull), {"Always", "IfNotPresent", "Never"});
  }
}

// validateContainers then validateInitContainers: names unique across both lists.
void validate_containers(Errors& errs, const Json& spec, const std::string& path) {
  std::set<std::string> names_seen;
  const Json* containers = member(spec, "containers");
  if (containers == nullptr || !containers->is_array() || containers->empty()) {
    errs.required(path + ".containers");
  } else {
    for (std::size_t i = 0; i < containers->size(); ++i) {
      const std::string p = fmt::format("{}.containers[{}]", path, i);
      validate_container(errs, (*containers)[i], p);
      const std::string name = str_member((*containers)[i], "name");
      if (!names_seen.insert(name).second) errs.duplicate(p + ".name", q(name));
    }
  }
  const Json* inits = member(spec, "initContainers");
  if (inits == nullptr || !inits->is_array()) return;
  for (std::size_t i = 0; i < inits->size(); ++i) {
    const std::string p = fmt::format("{}.initContainers[{}]", path, i);
    validate_container(errs, (*inits)[i], p);
    const std::string name = str_member((*inits)[i], "name");
    if (names_seen.count(name)) {
      errs.duplicate(p + ".name", q(name));
    } else if (!name.empty()) {
      names_seen.insert(name);
    }
  }
}

// ValidatePodTemplateSpec: template labels (reported at spec.template.labels), then the spec.
void validate_pod_template(Errors& errs, const Json& tmpl) {
  const Json* meta = member(tmpl, "metadata");
  validate_labels(errs, meta != nullptr ? member(*meta, "labels") : nullptr, "spec.template.labels");
  static const Json kEmpty = Json::object();
  const Json* spec_ptr = member(tmpl, "spec");
  const Json& spec = spec_ptr != nullptr ? *spec_ptr : kEmpty;
  const std::string path = "spec.template.spec";
  validate_containers(errs, spec, path);
  const std::string restart = str_member(spec, "restartPolicy");
  if (restart.empty()) {
    errs.required(path + ".restartPolicy");
  } else if (restart != "Always" && restart != "OnFailure" && restart != "Never") {
    errs.not_supported(path + ".restartPolicy", q(restart), {"Always", "OnFailure", "Never"});
  }
  const std::string dns = str_member(spec, "dnsPolicy");
  if (dns.empty()) {
    errs.required(path + ".dnsPolicy");
  } else if (dns != "ClusterFirstWithHostNet" && dns != "ClusterFirst" && dns != "Default" && dns != "None") {
    errs.not_supported(path + ".dnsPolicy", q(dns),
                       {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  }
  std::string value;
  if (int_member(spec, "activeDeadlineSeconds", value) != nullptr) {
    if (const auto n = std::stoll(value); n < 1 || n > INT32_MAX) {
      errs.invalid(path + ".activeDeadlineSeconds", value, "must be between 1 and 2147483647, inclusive");
    }
  }
}

// validateJobSpec: counts, modes and policies, the pod template, then the Job's own rule on
// restartPolicy (the defaulted "Always" reads as missing).
void validate_job_spec(Errors& errs, const Json& spec) {
  for (const char* key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                          "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"}) {
    validate_nonnegative(errs, spec, key, "spec");
  }
  std::string value;
  if (member(spec, "maxFailedIndexes") != nullptr && member(spec, "backoffLimitPerIndex") == nullptr) {
    errs.required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified");
  }
  const std::string mode = str_member(spec, "completionMode");
  if (!mode.empty() && mode != "NonIndexed" && mode != "Indexed") {
    errs.not_supported("spec.completionMode", q(mode), {"NonIndexed", "Indexed"});
  }
  if (mode == "Indexed" && member(spec, "completions") == nullptr) {
    errs.required("spec.completions", "when completion mode is Indexed");
  }
  if (mode.empty() || mode == "NonIndexed") {
    for (const char* key : {"backoffLimitPerIndex", "maxFailedIndexes"}) {
      if (int_member(spec, key, value) != nullptr) {
        errs.invalid(std::string("spec.") + key, value, "requires indexed completion mode");
      }
    }
  }
  const std::string replacement = str_member(spec, "podReplacementPolicy");
  if (!replacement.empty()) {
    if (member(spec, "podFailurePolicy") != nullptr) {
      if (replacement != "Failed")
        errs.not_supported("spec.podReplacementPolicy", q(replacement), {"Failed"});
    } else if (replacement != "Failed" && replacement != "TerminatingOrFailed") {
      errs.not_supported("spec.podReplacementPolicy", q(replacement), {"Failed", "TerminatingOrFailed"});
    }
  }
  static const Json kEmpty = Json::object();
  const Json* tmpl = member(spec, "template");
  validate_pod_template(errs, tmpl != nullptr ? *tmpl : kEmpty);
  const Json* tspec = tmpl != nullptr ? member(*tmpl, "spec") : nullptr;
  const std::string restart = tspec != nullptr ? str_member(*tspec, "restartPolicy") : "";
  const std::string path = "spec.template.spec.restartPolicy";
  if (restart.empty() || restart == "Always") {
    errs.required(path, "valid values: \"OnFailure\", \"Never\"");
  } else if (restart != "OnFailure" && restart != "Never") {
    errs.not_supported(path, q(restart), {"OnFailure", "Never"});
  } else if (member(spec, "podFailurePolicy") != nullptr && restart != "Never") {
    errs.invalid(path, q(restart), "only \"Never\" is supported when podFailurePolicy is specified");
  }
}

// ValidateLabelSelector on spec.selector.
void validate_selector_syntax(Errors& errs, const Json& selector) {
  validate_labels(errs, member(selector, "matchLabels"), "spec.selector.matchLabels");
  const Json* exprs = member(selector, "matchExpressions");
  if (exprs == nullptr || !exprs->is_array()) return;
  for (std::size_t i = 0; i < exprs->size(); ++i) {
    const Json& e = (*exprs)[i];
    const std::string p = fmt::format("spec.selector.matchExpressions[{}]", i);
    const std::string op = str_member(e, "operator");
    const Json* values = member(e, "values");
    const std::size_t count = values != nullptr && values->is_array() ? values->size() : 0;
    if (op == "In" || op == "NotIn") {
      if (count == 0) errs.required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (count > 0) {
        errs.forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs.invalid(p + ".operator", q(op), "not a valid selector operator");
    }
    const std::string key = str_member(e, "key");
    errs.invalid_each(p + ".key", key, names::qualified_name_errors(key));
    for (std::size_t j = 0; j < count; ++j) {
      const std::string v = (*values)[j].is_string() ? (*values)[j].get<std::string>() : "";
      errs.invalid_each(fmt::format("{}.values[{}]", p, j), v, names::label_value_errors(v));
    }
  }
}

// ValidateJobSpec's tail: a selector is required and must select the template's labels.
void validate_selector(Errors& errs, const Json& spec) {
  const Json* selector = member(spec, "selector");
  if (selector == nullptr) {
    errs.required("spec.selector");
  } else {
    validate_selector_syntax(errs, *selector);
  }
  const Json* tmpl = member(spec, "template");
  const Json* tmeta = tmpl != nullptr ? member(*tmpl, "metadata") : nullptr;
  const Json* labels = tmeta != nullptr ? member(*tmeta, "labels") : nullptr;
  try {
    // A null selector converts to Nothing: it fails this check as well as the one above.
    const LabelSelector parsed = LabelSelector::from_json(selector != nullptr ? *selector : Json());
    if (!parsed.matches(labels != nullptr ? *labels : Json())) {
      errs.invalid("spec.template.metadata.labels", go_map(labels),
                   "`selector` does not match template `labels`");
    }
  } catch (const ApiError&) {
    // LabelSelectorAsSelector failed: the syntax errors above already say why.
  }
}

}  // namespace

std::vector<FieldCause> job_validation_errors(const Json& job) {
  Errors errs;
  static const Json kEmpty = Json::object();
  const Json* meta_ptr = member(job, "metadata");
  const Json& meta = meta_ptr != nullptr ? *meta_ptr : kEmpty;
  const Json* spec_ptr = member(job, "spec");
  const Json& spec = spec_ptr != nullptr ? *spec_ptr : kEmpty;
  validate_object_meta(errs, meta);
  if (spec_ptr != nullptr && meta_ptr != nullptr) validate_generated_selector(errs, job);
  validate_job_spec(errs, spec);
  validate_selector(errs, spec);
  // An Indexed Job's last pod hostname (NAME-INDEX) must still be a DNS label.
  std::string completions;
  if (str_member(spec, "completionMode") == "Indexed" &&
      int_member(spec, "completions", completions) != nullptr && std::stoll(completions) > 0) {
    const std::string name = str_member(meta, "name");
    const std::string host = fmt::format("{}-{}", name, std::stoll(completions) - 1);
    if (!names::dns1123_label_errors(host).empty()) {
      errs.invalid("metadata.name", q(name), "will not able to create pod with invalid DNS label: " + host);
    }
  }
  return errs.take();
}

void validate_job(const Json& job) {
  auto causes = job_validation_errors(job);
  if (causes.empty()) return;
  const Json* meta = member(job, "metadata");
  throw invalid("Job", "batch", meta != nullptr ? str_member(*meta, "name") : "", causes);
}

}  // namespace mgate::kubesim
