#pragma once
// An in-memory Registry for pure tests of the tag model and promote: the real registries are
// exercised by the integration tests (moto_server, docker-registry); this one lets a unit test
// script races and failures that a real service will not produce on demand.

#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>

#include "backend/registry/digest.hpp"
#include "backend/registry/registry.hpp"

namespace mgate::testing {

namespace reg = mgate::backend::registry;

class MemoryRegistry final : public reg::Registry {
 public:
  /// Stores bytes as a manifest of media_type and returns its digest.
  std::string add_manifest(const std::string& bytes, const std::string& media_type) {
    const std::string digest = reg::sha256_digest(bytes);
    manifests[digest] = reg::Manifest{media_type, digest, bytes};
    return digest;
  }
  /// Stores a blob and returns its digest.
  std::string add_blob(const std::string& bytes) {
    const std::string digest = reg::sha256_digest(bytes);
    blobs[digest] = bytes;
    return digest;
  }
  void tag(const std::string& tag, const std::string& digest,
           std::optional<backend::Clock::time_point> pushed = std::nullopt) {
    tags[tag] = digest;
    if (pushed) pushed_at[tag] = *pushed;
  }

  std::string describe() const override { return "MEM test/repo"; }

  backend::Result<std::vector<reg::TaggedImage>> list_images(
      const std::function<bool(std::string_view)>& wanted) override {
    ++calls["list_images"];
    if (fail_list) return *fail_list;
    std::vector<reg::TaggedImage> out;
    for (const auto& [tag, digest] : tags) {
      if (wanted && !wanted(tag)) continue;
      reg::TaggedImage t{tag, digest, listing_has_media_type ? manifests[digest].media_type : "", std::nullopt};
      if (auto it = pushed_at.find(tag); it != pushed_at.end()) t.pushed_at = it->second;
      out.push_back(t);
    }
    return out;
  }

  backend::Result<std::optional<reg::Manifest>> resolve_tag(const std::string& tag) override {
    ++calls["resolve_tag"];
    const auto it = tags.find(tag);
    if (it == tags.end()) return std::optional<reg::Manifest>{};
    const reg::Manifest& m = manifests.at(it->second);
    return std::optional<reg::Manifest>(reg::Manifest{m.media_type, m.digest, {}});
  }

  backend::Result<reg::Manifest> get_manifest(const std::string& digest) override {
    ++calls["get_manifest"];
    const auto it = manifests.find(digest);
    if (it == manifests.end())
      return backend::make_error(backend::ErrorCode::kNotFound, "MEM: no manifest " + digest);
    return it->second;
  }

  backend::Result<std::string> put_manifest(const std::string& tag, const reg::Manifest& manifest) override {
    ++calls["put_manifest"];
    if (before_put) before_put();
    if (fail_put) return *fail_put;
    const std::string digest = reg::sha256_digest(manifest.bytes);
    manifests[digest] = reg::Manifest{manifest.media_type, digest, manifest.bytes};
    tags[tag] = digest;
    last_put = manifest;
    if (after_put) after_put();
    return digest;
  }

  backend::Result<std::string> get_blob(const std::string& digest) override {
    ++calls["get_blob"];
    if (blobs_unavailable)
      return backend::make_error(backend::ErrorCode::kUnavailable, "MEM: blobs cannot be read");
    const auto it = blobs.find(digest);
    if (it == blobs.end()) return backend::make_error(backend::ErrorCode::kNotFound, "MEM: no blob " + digest);
    return it->second;
  }

  backend::Result<reg::TagMutability> tag_mutability() override { return mutability; }

  std::vector<std::string> equivalent_put(const std::string& tag, const reg::Manifest& source) const override {
    return {fmt::format("memtag {} {}", source.digest, tag)};
  }

  std::map<std::string, std::string> tags;  ///< tag -> digest
  std::map<std::string, backend::Clock::time_point> pushed_at;
  std::map<std::string, reg::Manifest> manifests;
  std::map<std::string, std::string> blobs;
  reg::TagMutability mutability = reg::TagMutability::kMutable;
  bool listing_has_media_type = false;
  bool blobs_unavailable = false;
  std::optional<backend::Error> fail_list;
  std::optional<backend::Error> fail_put;
  std::function<void()> before_put;  ///< runs inside put_manifest, e.g. to race a tag in
  std::function<void()> after_put;   ///< runs after a put's write, e.g. to move the tag away
  std::optional<reg::Manifest> last_put;
  std::map<std::string, int> calls;
};

/// A Docker v2 manifest naming config_digest, as CI's builds push.
inline std::string docker_manifest(const std::string& config_digest, int size = 2) {
  return fmt::format(
      R"({{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{}"}},"layers":[]}})",
      size, config_digest);
}

/// An image config created at `created` (RFC 3339).
inline std::string image_config(const std::string& created, const std::string& arch = "amd64") {
  return fmt::format(R"({{"architecture":"{}","os":"linux","created":"{}","config":{{}},"rootfs":{{"type":"layers","diff_ids":[]}}}})",
                     arch, created);
}

}  // namespace mgate::testing
