#include "tests/sandbox/kubesim/discovery.hpp"

#include <vector>

#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {

Json version_document() {
  return {{"major", "1"},
          {"minor", kServerMinor},
          {"gitVersion", kServerGitVersion},
          {"gitCommit", "a78aa47129b8539636eb86a9d00e31b2720fe06b"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-12-10T18:44:41Z"},
          {"goVersion", "go1.22.10"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

Json api_versions_document(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

namespace {

std::vector<std::string> groups_in_order() {
  std::vector<std::string> groups;
  for (const auto& r : served_resources()) {
    if (r.group.empty()) continue;
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  }
  return groups;
}

Json group_document(const std::string& group) {
  std::string version;
  for (const auto& r : served_resources()) {
    if (r.group == group) version = r.version;
  }
  Json gv = {{"groupVersion", group + "/" + version}, {"version", version}};
  return {{"name", group}, {"versions", {gv}}, {"preferredVersion", gv}};
}

}  // namespace

Json api_group_list_document() {
  Json groups = Json::array();
  for (const auto& g : groups_in_order()) groups.push_back(group_document(g));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

Json api_group_document(const std::string& group) {
  const auto groups = groups_in_order();
  if (std::find(groups.begin(), groups.end(), group) == groups.end()) return nullptr;
  Json doc = group_document(group);
  doc["kind"] = "APIGroup";
  doc["apiVersion"] = "v1";
  return doc;
}

Json api_resource_list_document(const std::string& group, const std::string& version) {
  Json resources = Json::array();
  for (const auto& r : served_resources()) {
    if (r.group != group || r.version != version) continue;
    Json entry = {{"name", r.plural},       {"singularName", r.singular},
                  {"namespaced", r.namespaced}, {"kind", r.kind},
                  {"verbs", r.verbs}};
    if (!r.short_names.empty()) entry["shortNames"] = r.short_names;
    if (!r.categories.empty()) entry["categories"] = r.categories;
    resources.push_back(entry);
    for (const auto& sub : r.subresources) {
      Json verbs = sub == "log" ? Json{"get"} : Json{"get", "patch", "update"};
      resources.push_back({{"name", r.plural + "/" + sub},
                           {"singularName", ""},
                           {"namespaced", r.namespaced},
                           {"kind", r.kind},
                           {"verbs", verbs}});
    }
  }
  const std::string gv = group.empty() ? version : group + "/" + version;
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv},
          {"resources", resources}};
}

namespace {

std::string gv_path(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

Json query_parameter(const char* name) {
  return {{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

}  // namespace

Json openapi_v3_root() {
  Json paths = Json::object();
  std::vector<std::string> seen;
  for (const auto& r : served_resources()) {
    const std::string p = gv_path(r.group, r.version);
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    paths[p] = {{"serverRelativeURL", "/openapi/v3/" + p + "?hash=" + std::string(kServerGitVersion)}};
  }
  return {{"paths", paths}};
}

Json openapi_v3_document(const std::string& group, const std::string& version) {
  Json paths = Json::object();
  for (const auto& r : served_resources()) {
    if (r.group != group || r.version != version) continue;
    const Json gvk = {{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
    const Json write_params = {query_parameter("dryRun"), query_parameter("fieldManager"),
                               query_parameter("fieldValidation")};
    const std::string base = "/" + gv_path(r.group, r.version) +
                             (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural;
    paths[base] = {{"post", {{"x-kubernetes-action", "post"}, {"x-kubernetes-group-version-kind", gvk}, {"parameters", write_params}}},
                   {"get", {{"x-kubernetes-action", "list"}, {"x-kubernetes-group-version-kind", gvk}}}};
    paths[base + "/{name}"] = {
        {"get", {{"x-kubernetes-action", "get"}, {"x-kubernetes-group-version-kind", gvk}}},
        {"put", {{"x-kubernetes-action", "put"}, {"x-kubernetes-group-version-kind", gvk}, {"parameters", write_params}}},
        {"patch", {{"x-kubernetes-action", "patch"}, {"x-kubernetes-group-version-kind", gvk}, {"parameters", write_params}}},
        {"delete", {{"x-kubernetes-action", "delete"}, {"x-kubernetes-group-version-kind", gvk}, {"parameters", {query_parameter("dryRun")}}}}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", kServerGitVersion}}},
          {"paths", paths},
          {"components", Json::object()}};
}

}  // namespace mgate::kubesim
