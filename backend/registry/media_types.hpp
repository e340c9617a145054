#pragma once
// The media types of image manifests and configs, in one place for the OCI and ECR clients.

#include <array>
#include <string_view>

namespace mgate::backend::registry {

/// Docker image manifest, schema 2.
inline constexpr std::string_view kDockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-platform).
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (multi-platform).
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

/// Docker image config (what a Docker v2 manifest's `config` points at).
inline constexpr std::string_view kDockerImageConfig = "application/vnd.docker.container.image.v1+json";
/// OCI image config (what an OCI manifest's `config` points at).
inline constexpr std::string_view kOciImageConfig = "application/vnd.oci.image.config.v1+json";

/// The four manifest media types a client accepts, single-platform types first.
inline constexpr std::array<std::string_view, 4> kManifestMediaTypes = {
    kDockerManifestV2, kDockerManifestList, kOciManifest, kOciIndex};

/// True for a multi-platform manifest (a Docker manifest list or an OCI index), whose entries
/// are manifests rather than layers.
constexpr bool is_index(std::string_view media_type) {
  return media_type == kDockerManifestList || media_type == kOciIndex;
}

}  // namespace mgate::backend::registry
