#include "backend/registry/oci_registry.hpp"

#include <fmt/format.h>

#include "backend/core/strings.hpp"

namespace mgate::backend::registry {

const char* to_string(TagMutability mutability) {
  switch (mutability) {
    case TagMutability::kMutable:
      return "mutable";
    case TagMutability::kImmutable:
      return "immutable";
    case TagMutability::kUnknown:
      break;
  }
  return "unknown";
}

OciRegistry::OciRegistry(OciOptions options) : client_(std::move(options)) {}

std::string OciRegistry::describe() const {
  return fmt::format("OCI {}/{}", client_.options().base_url, client_.options().repository);
}

Result<std::vector<TaggedImage>> OciRegistry::list_images(const std::function<bool(std::string_view)>& wanted) {
  auto tags = client_.list_tags();
  if (!tags) return tags.error();
  std::vector<TaggedImage> out;
  for (const auto& tag : *tags) {
    if (wanted && !wanted(tag)) continue;
    auto head = client_.head_manifest(tag);
    if (!head) return head.error();
    if (!head->has_value()) continue;  // deleted since the tag list was read
    out.push_back(TaggedImage{tag, (*head)->digest, (*head)->media_type, std::nullopt});
  }
  return out;
}

Result<std::optional<Manifest>> OciRegistry::resolve_tag(const std::string& tag) { return client_.head_manifest(tag); }

Result<Manifest> OciRegistry::get_manifest(const std::string& digest) { return client_.get_manifest(digest); }

Result<std::string> OciRegistry::put_manifest(const std::string& tag, const Manifest& manifest) {
  return client_.put_manifest(tag, manifest);
}

Result<std::string> OciRegistry::get_blob(const std::string& digest) { return client_.get_blob(digest); }

Result<TagMutability> OciRegistry::tag_mutability() { return TagMutability::kUnknown; }

std::vector<std::string> OciRegistry::equivalent_put(const std::string& tag, const Manifest& source) const {
  std::string base = client_.options().base_url;
  const bool plain_http = base.rfind("http://", 0) == 0;
  if (const auto scheme = base.find("://"); scheme != std::string::npos) base = base.substr(scheme + 3);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {fmt::format("crane tag{} {}/{}@{} {}", plain_http ? " --insecure" : "", base,
                      client_.options().repository, source.digest, tag)};
}

}  // namespace mgate::backend::registry
