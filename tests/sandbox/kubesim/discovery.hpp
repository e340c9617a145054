#pragma once
// The discovery documents kubectl reads before anything else: /version, /api, /apis, a
// group, and a group version's APIResourceList (the legacy, non-aggregated forms).

#include <string>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// The version the simulator claims, as /version reports it.
inline constexpr const char* kServerMinor = "31";
inline constexpr const char* kServerGitVersion = "v1.31.4";

/// /version.
Json version_document();
/// /api: APIVersions; `server_address` is host:port.
Json api_versions_document(const std::string& server_address);
/// /apis: APIGroupList.
Json api_group_list_document();
/// /apis/{group}: APIGroup; null when the group is not served.
Json api_group_document(const std::string& group);
/// /api/v1 or /apis/{group}/{version}: APIResourceList.
Json api_resource_list_document(const std::string& group, const std::string& version);

/// /openapi/v3: the group versions that have a document.
Json openapi_v3_root();
/// /openapi/v3/{api/v1 | apis/G/V}: an OpenAPI 3 document with each resource's operations
/// (their parameters and x-kubernetes-group-version-kind) but no schemas. kubectl reads it to
/// learn that the server validates fields itself (fieldValidation), and then validates nothing
/// on the client side.
Json openapi_v3_document(const std::string& group, const std::string& version);

}  // namespace mgate::kubesim
