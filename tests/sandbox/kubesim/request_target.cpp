#include "tests/sandbox/kubesim/request_target.hpp"

#include <vector>

namespace mgate::kubesim {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool group_served(const std::string& group) {
  for (const auto& r : served_resources()) {
    if (r.group == group) return true;
  }
  return false;
}

bool group_version_served(const std::string& group, const std::string& version) {
  for (const auto& r : served_resources()) {
    if (r.group == group && r.version == version) return true;
  }
  return false;
}

// The part after /api/v1 or /apis/{g}/{v}: [namespaces/{ns}/]{plural}[/{name}[/{sub}]], or
// namespaces[/{name}[/{sub}]] for the cluster-scoped Namespace itself.
std::optional<RequestTarget> parse_resource_path(const std::string& group,
                                                 const std::string& version,
                                                 const std::vector<std::string>& rest) {
  RequestTarget t;
  t.kind = RequestTarget::Kind::kResource;
  std::size_t i = 0;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    t.ns = rest[1];
    i = 2;
  }
  if (i >= rest.size()) return std::nullopt;
  t.info = find_resource(group, version, rest[i]);
  if (t.info == nullptr) return std::nullopt;
  if (!t.info->namespaced && !t.ns.empty()) return std::nullopt;
  if (i + 1 < rest.size()) t.name = rest[i + 1];
  if (i + 2 < rest.size()) t.subresource = rest[i + 2];
  if (i + 3 < rest.size()) return std::nullopt;
  if (!t.subresource.empty()) {
    bool known = false;
    for (const auto& s : t.info->subresources) known = known || s == t.subresource;
    if (!known) return std::nullopt;
  }
  return t;
}

}  // namespace

std::optional<RequestTarget> parse_target(const std::string& path) {
  const auto parts = split_path(path);
  RequestTarget t;
  if (parts.size() == 1 && parts[0] == "version") {
    t.kind = RequestTarget::Kind::kVersion;
    return t;
  }
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    t.kind = RequestTarget::Kind::kHealth;
    return t;
  }
  if (parts.empty()) return std::nullopt;
  if (parts.size() >= 2 && parts[0] == "openapi" && parts[1] == "v3") {
    if (parts.size() == 2) {
      t.kind = RequestTarget::Kind::kOpenApiRoot;
      return t;
    }
    if (parts.size() == 4 && parts[2] == "api" && parts[3] == "v1") {
      t.kind = RequestTarget::Kind::kOpenApiGroup;
      t.version = "v1";
      return t;
    }
    if (parts.size() == 5 && parts[2] == "apis" && group_version_served(parts[3], parts[4])) {
      t.kind = RequestTarget::Kind::kOpenApiGroup;
      t.group = parts[3];
      t.version = parts[4];
      return t;
    }
    return std::nullopt;
  }
  if (parts[0] == "api") {
    if (parts.size() == 1) {
      t.kind = RequestTarget::Kind::kApiVersions;
      return t;
    }
    if (parts[1] != "v1") return std::nullopt;
    if (parts.size() == 2) {
      t.kind = RequestTarget::Kind::kResourceList;
      t.version = "v1";
      return t;
    }
    // /api/v1/namespaces/{name} is the Namespace object itself.
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    if (rest[0] == "namespaces" && rest.size() <= 3 &&
        (rest.size() < 3 || rest[2] == "status" || rest[2] == "finalize")) {
      t.kind = RequestTarget::Kind::kResource;
      t.info = find_resource("", "v1", "namespaces");
      if (rest.size() >= 2) t.name = rest[1];
      if (rest.size() == 3) t.subresource = rest[2];
      return t;
    }
    return parse_resource_path("", "v1", rest);
  }
  if (parts[0] == "apis") {
    if (parts.size() == 1) {
      t.kind = RequestTarget::Kind::kApiGroupList;
      return t;
    }
    if (!group_served(parts[1])) return std::nullopt;
    if (parts.size() == 2) {
      t.kind = RequestTarget::Kind::kApiGroup;
      t.group = parts[1];
      return t;
    }
    if (!group_version_served(parts[1], parts[2])) return std::nullopt;
    if (parts.size() == 3) {
      t.kind = RequestTarget::Kind::kResourceList;
      t.group = parts[1];
      t.version = parts[2];
      return t;
    }
    std::vector<std::string> rest(parts.begin() + 3, parts.end());
    return parse_resource_path(parts[1], parts[2], rest);
  }
  return std::nullopt;
}

}  // namespace mgate::kubesim
