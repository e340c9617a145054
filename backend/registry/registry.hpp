#pragma once
// One interface over the registries mgate reads and writes: Amazon ECR and any OCI
// distribution registry. The tag model and promote are written against it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/core/time.hpp"
#include "backend/registry/oci_client.hpp"

namespace mgate::backend::registry {

/// A tag and the image it points at, as a listing reports it.
struct TaggedImage {
  std::string tag;
  std::string digest;                          ///< "sha256:..."
  std::string media_type;                      ///< "" when the listing does not say (moto, OCI)
  std::optional<Clock::time_point> pushed_at;  ///< when the registry records it (ECR); else nothing
};

/// Whether a tag, once set, can be moved to another digest.
enum class TagMutability { kMutable, kImmutable, kUnknown };

/// "mutable", "immutable", "unknown".
const char* to_string(TagMutability mutability);

/// One repository of one registry. Implementations hold a connection: one thread at a time.
class Registry {
 public:
  virtual ~Registry() = default;

  /// Where it is, for plans and messages, never with credentials:
  /// "ECR 123456789012 us-east-1 udab-server", "OCI http://127.0.0.1:5000/udab-server".
  virtual std::string describe() const = 0;

  /// The tags `wanted` accepts, each with its digest. OCI asks one HEAD per wanted tag, so the
  /// filter runs before any per-tag request.
  virtual Result<std::vector<TaggedImage>> list_images(const std::function<bool(std::string_view)>& wanted) = 0;

  /// What `tag` points at (digest and media type, no bytes); nothing when the tag does not exist.
  virtual Result<std::optional<Manifest>> resolve_tag(const std::string& tag) = 0;

  /// The manifest stored under `digest`: its exact bytes and media type.
  virtual Result<Manifest> get_manifest(const std::string& digest) = 0;

  /// Stores `manifest`'s exact bytes with its media type under `tag`; returns the digest the
  /// registry reports. A tag already on this digest is success, not an error.
  virtual Result<std::string> put_manifest(const std::string& tag, const Manifest& manifest) = 0;

  /// A blob by digest (an image config), checked against it. kUnavailable when this registry
  /// cannot serve blobs to mgate (moto's ECR has no GetDownloadUrlForLayer).
  virtual Result<std::string> get_blob(const std::string& digest) = 0;

  /// Whether tags can be moved; kUnknown when the registry has no such setting (OCI).
  virtual Result<TagMutability> tag_mutability() = 0;

  /// The commands a person would run for the same put, one per line, for a plan.
  virtual std::vector<std::string> equivalent_put(const std::string& tag, const Manifest& source) const = 0;
};

}  // namespace mgate::backend::registry
