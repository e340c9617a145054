#pragma once
// The resources the simulator serves, listed once: discovery, routing, errors and the store all
// read this table.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mgate::kubesim {

/// One served resource (a plural under a group version).
struct ResourceInfo {
  std::string group;     ///< "" for the core group, "batch", "apps", "argoproj.io"
  std::string version;   ///< "v1", "v1alpha1"
  std::string plural;    ///< "jobs"
  std::string singular;  ///< "job"
  std::string kind;      ///< "Job"
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> subresources;  ///< "status", "log"

  /// "batch/v1", or "v1" for the core group.
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  /// The store's key for the resource: "jobs.batch", "pods".
  std::string key() const { return group.empty() ? plural : plural + "." + group; }
};

/// Every resource served, in discovery order.
const std::vector<ResourceInfo>& served_resources();

/// The resource for a group, version and plural, or nullptr.
const ResourceInfo* find_resource(const std::string& group, const std::string& version,
                                  const std::string& plural);

/// The resource for a store key ("jobs.batch", "pods"); throws std::out_of_range if unknown.
const ResourceInfo& resource(const std::string& key);

/// The store key of an object from its apiVersion and kind; throws std::out_of_range.
std::string resource_key_of(const nlohmann::json& object);

/// Store keys of the resources controllers use, spelled once.
inline constexpr const char* kJobs = "jobs.batch";
inline constexpr const char* kPods = "pods";
inline constexpr const char* kEvents = "events";
inline constexpr const char* kSecrets = "secrets";
inline constexpr const char* kConfigMaps = "configmaps";
inline constexpr const char* kNamespaces = "namespaces";
inline constexpr const char* kDeployments = "deployments.apps";
inline constexpr const char* kApplications = "applications.argoproj.io";

}  // namespace mgate::kubesim
