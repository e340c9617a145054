#pragma once
// What an API path names: a discovery document, or a resource (collection, object,
// subresource) in an optional namespace.

#include <optional>
#include <string>

#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {

/// The parsed path of a request.
struct RequestTarget {
  enum class Kind {
    kVersion,        ///< /version
    kHealth,         ///< /healthz, /livez, /readyz
    kApiVersions,    ///< /api
    kApiGroupList,   ///< /apis
    kApiGroup,       ///< /apis/{group}
    kResourceList,   ///< /api/v1, /apis/{group}/{version}
    kResource,       ///< a collection, an object or a subresource
    kOpenApiRoot,    ///< /openapi/v3
    kOpenApiGroup,   ///< /openapi/v3/api/v1, /openapi/v3/apis/{group}/{version}
  };
  Kind kind = Kind::kResource;
  std::string group;                    ///< for kApiGroup / kResourceList
  std::string version;                  ///< for kResourceList
  const ResourceInfo* info = nullptr;   ///< for kResource
  std::string ns;                       ///< "" for cluster scope or all namespaces
  std::string name;                     ///< "" for a collection
  std::string subresource;              ///< "log", "status", or ""
};

/// Parses a request path; nullopt when the server serves nothing there (a 404).
std::optional<RequestTarget> parse_target(const std::string& path);

}  // namespace mgate::kubesim
