#pragma once
// The Registry interface over an OCI distribution registry (GHCR, Harbor, docker-registry).

#include <memory>

#include "backend/registry/oci_client.hpp"
#include "backend/registry/registry.hpp"

namespace mgate::backend::registry {

/// One repository of an OCI distribution registry.
class OciRegistry final : public Registry {
 public:
  /// A registry over a client for options.repository at options.base_url.
  explicit OciRegistry(OciOptions options);

  std::string describe() const override;
  Result<std::vector<TaggedImage>> list_images(const std::function<bool(std::string_view)>& wanted) override;
  Result<std::optional<Manifest>> resolve_tag(const std::string& tag) override;
  Result<Manifest> get_manifest(const std::string& digest) override;
  Result<std::string> put_manifest(const std::string& tag, const Manifest& manifest) override;
  Result<std::string> get_blob(const std::string& digest) override;
  /// The distribution API has no mutability setting: kUnknown.
  Result<TagMutability> tag_mutability() override;
  /// `crane tag HOST/REPO@DIGEST TAG` (crane copies the manifest bytes as they are).
  std::vector<std::string> equivalent_put(const std::string& tag, const Manifest& source) const override;

 private:
  OciClient client_;
};

}  // namespace mgate::backend::registry
