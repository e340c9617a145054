#include "tests/sandbox/kubesim/resources.hpp"

#include <stdexcept>

namespace mgate::kubesim {

namespace {
const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kReadVerbs = {"get", "list", "watch"};
}  // namespace

const std::vector<ResourceInfo>& served_resources() {
  static const std::vector<ResourceInfo> table = {
      {"", "v1", "namespaces", "namespace", "Namespace", false, {"create", "delete", "get", "list", "watch"}, {"ns"}, {}, {"status"}},
      {"", "v1", "pods", "pod", "Pod", true, kAllVerbs, {"po"}, {"all"}, {"log", "status"}},
      {"", "v1", "events", "event", "Event", true, kAllVerbs, {"ev"}, {}, {}},
      {"", "v1", "secrets", "secret", "Secret", true, kAllVerbs, {}, {}, {}},
      {"", "v1", "configmaps", "configmap", "ConfigMap", true, kAllVerbs, {"cm"}, {}, {}},
      {"apps", "v1", "deployments", "deployment", "Deployment", true, kAllVerbs, {"deploy"}, {"all"}, {"status"}},
      {"batch", "v1", "jobs", "job", "Job", true, kAllVerbs, {}, {"all"}, {"status"}},
      {"argoproj.io", "v1alpha1", "applications", "application", "Application", true, kAllVerbs, {"app", "apps"}, {}, {}},
  };
  return table;
}

const ResourceInfo* find_resource(const std::string& group, const std::string& version,
                                  const std::string& plural) {
  for (const auto& r : served_resources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

const ResourceInfo& resource(const std::string& key) {
  for (const auto& r : served_resources()) {
    if (r.key() == key) return r;
  }
  throw std::out_of_range("unknown resource " + key);
}

std::string resource_key_of(const nlohmann::json& object) {
  const std::string api_version = object.value("apiVersion", "");
  const std::string kind = object.value("kind", "");
  for (const auto& r : served_resources()) {
    if (r.api_version() == api_version && r.kind == kind) return r.key();
  }
  throw std::out_of_range("unknown kind " + api_version + " " + kind);
}

}  // namespace mgate::kubesim
