#include "tests/sandbox/kubesim/selector.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace mgate::kubesim {

// ---------------------------------------------------------------------------------------------
// Field selectors.

namespace {

// The kinds with a field-label conversion registered in the scheme, and the labels each
// accepts (pkg/apis/core/v1/conversion.go, pkg/apis/batch/v1/conversion.go, ...). Any other
// built-in kind falls back to runtime.DefaultMetaV1FieldSelectorConversion.
const std::map<std::string, std::set<std::string>>& conversion_tables() {
  static const std::map<std::string, std::set<std::string>> kTables = {
      {"pods",
       {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
        "status.nominatedNodeName", "spec.host"}},
      {"events",
       {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
        "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
        "source", "type"}},
      {"secrets", {"metadata.name", "metadata.namespace", "type"}},
      {"namespaces", {"metadata.name", "status.phase"}},
      {"services", {"metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"}},
      {"nodes", {"metadata.name", "spec.unschedulable"}},
      {"replicationcontrollers", {"metadata.name", "metadata.namespace", "status.replicas"}},
      {"replicasets.apps", {"metadata.name", "metadata.namespace", "status.replicas"}},
      {"jobs.batch", {"metadata.name", "metadata.namespace", "status.successful"}},
  };
  return kTables;
}

// Custom resources: the apiextensions server's converter answers like a registered one.
bool is_custom_resource(const std::string& resource_key) {
  const auto dot = resource_key.find('.');
  if (dot == std::string::npos) return false;
  const std::string group = resource_key.substr(dot + 1);
  if (group.find('.') == std::string::npos) return false;  // apps, batch, policy, ...
  const std::string k8s = "k8s.io";
  return !(group.size() >= k8s.size() && group.compare(group.size() - k8s.size(), k8s.size(), k8s) == 0);
}

// scheme.ConvertFieldLabel: the label to use, or the 400 the request gets.
std::string convert_field_label(const std::string& resource_key, const std::string& label) {
  const auto& tables = conversion_tables();
  if (auto it = tables.find(resource_key); it != tables.end()) {
    if (!it->second.count(label)) throw bad_request("field label not supported: " + label);
    return label == "spec.host" ? "spec.nodeName" : label;  // old v1 clients' spelling
  }
  if (is_custom_resource(resource_key)) {
    if (label != "metadata.name" && label != "metadata.namespace") {
      throw bad_request("field label not supported: " + label);
    }
    return label;
  }
  if (label != "metadata.name" && label != "metadata.namespace") {
    throw bad_request(names::go_quote(label) +
                      " is not a known field selector: only \"metadata.name\", "
                      "\"metadata.namespace\"");
  }
  return label;
}

// fields.splitTerms: commas split terms unless backslash-escaped.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> terms;
  if (text.empty()) return terms;
  std::size_t start = 0;
  bool in_slash = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (text[i] == '\\') {
      in_slash = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

// fields.UnescapeValue.
std::string unescape_value(const std::string& s) {
  std::string out;
  bool in_slash = false;
  for (const char c : s) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=') {
        throw bad_request(std::string("invalid field selector: invalid escape sequence: \\") + c);
      }
      out += c;
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v: its code point as a number.
      throw bad_request(
          fmt::format("invalid field selector: unescaped character in value: {}", static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (in_slash) throw bad_request("invalid field selector: invalid escape sequence: \\");
  return out;
}

std::string escape_value(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

// A dotted path's scalar as a string: strings as is, numbers and booleans printed.
std::string scalar_at(const Json& object, const std::string& dotted) {
  const Json* node = &object;
  std::size_t start = 0;
  while (true) {
    const auto dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object()) return "";
    auto it = node->find(part);
    if (it == node->end()) return "";
    node = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_boolean() || node->is_number()) return node->dump();
  return "";
}

}  // namespace

std::string selectable_field(const std::string& resource_key, const Json& object, const std::string& field) {
  if (resource_key == "pods") {
    if (field == "spec.hostNetwork") {
      return object.contains("spec") && object["spec"].value("hostNetwork", false) ? "true" : "false";
    }
    if (field == "status.podIP") {
      // The internal pod keeps podIPs only; podIP is its first entry.
      const Json ips = object.contains("status") ? object["status"].value("podIPs", Json()) : Json();
      if (ips.is_array() && !ips.empty()) return scalar_at(ips[0], "ip");
      return scalar_at(object, "status.podIP");
    }
  }
  if (resource_key == "jobs.batch" && field == "status.successful") {
    const std::string n = scalar_at(object, "status.succeeded");
    return n.empty() ? "0" : n;
  }
  if (resource_key == "events" && field == "source") {
    const std::string component = scalar_at(object, "source.component");
    return component.empty() ? scalar_at(object, "reportingComponent") : component;
  }
  if (field == "status.replicas") {
    const std::string n = scalar_at(object, field);
    return n.empty() ? "0" : n;
  }
  if (field == "spec.unschedulable") {
    return scalar_at(object, field) == "true" ? "true" : "false";
  }
  return scalar_at(object, field);
}

FieldSelector FieldSelector::parse(const std::string& text, const std::string& resource_key) {
  FieldSelector out;
  out.resource_key_ = resource_key;
  auto parts = split_terms(text);
  std::sort(parts.begin(), parts.end());
  for (const auto& part : parts) {
    if (part.empty()) continue;
    // fields.splitTerm: the first operator from the left, trying "!=", "==", "=" at each index.
    std::optional<Term> term;
    for (std::size_t i = 0; i < part.size() && !term; ++i) {
      for (const std::string op : {"!=", "==", "="}) {
        if (part.compare(i, op.size(), op) == 0) {
          term = Term{part.substr(0, i), unescape_value(part.substr(i + op.size())), op != "!="};
          break;
        }
      }
    }
    if (!term) {
      throw bad_request(fmt::format("invalid selector: '{}'; can't understand '{}'", text, part));
    }
    out.terms_.push_back(*term);
  }
  // The conversion runs after the whole selector parsed, in sorted term order.
  for (auto& t : out.terms_) t.field = convert_field_label(resource_key, t.field);
  return out;
}

bool FieldSelector::matches(const Json& object) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& t) {
    return (selectable_field(resource_key_, object, t.field) == t.value) == t.equal;
  });
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (const auto& t : terms_) {
    if (!out.empty()) out += ",";
    out += t.field + (t.equal ? "=" : "!=") + escape_value(t.value);
  }
  return out;
}

std::optional<std::string> FieldSelector::requires_exact_match(const std::string& field) const {
  for (const auto& t : terms_) {
    if (t.field == field && t.equal) return t.value;
  }
  return std::nullopt;
}

}  // namespace mgate::kubesim
