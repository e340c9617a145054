#include "backend/registry/ecr_registry.hpp"

#include <fmt/format.h>

#include "backend/registry/digest.hpp"

namespace mgate::backend::registry {
namespace {

Clock::time_point from_epoch_seconds(double seconds) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace

EcrRegistry::EcrRegistry(aws::EcrOptions options, std::string repository)
    : options_(options), repository_(std::move(repository)), client_(std::move(options)) {}

std::string EcrRegistry::describe() const {
  return fmt::format("ECR {} {} {}", options_.registry_id.value_or("(own account)"), options_.region, repository_);
}

Result<std::vector<TaggedImage>> EcrRegistry::list_images(const std::function<bool(std::string_view)>& wanted) {
  auto images = client_.describe_images(repository_);
  if (!images) return images.error();
  std::vector<TaggedImage> out;
  out.reserve(images->size());
  for (auto& image : *images) {
    for (auto& tag : image.tags) {
      if (wanted && !wanted(tag)) continue;
      TaggedImage t{std::move(tag), image.digest, image.manifest_media_type, std::nullopt};
      if (image.pushed_at) t.pushed_at = from_epoch_seconds(*image.pushed_at);
      out.push_back(std::move(t));
    }
    image = aws::EcrImage{};  // its strings are freed for the next ones to reuse
  }
  return out;
}

Result<std::optional<Manifest>> EcrRegistry::resolve_tag(const std::string& tag) {
  auto image = client_.describe_image_by_tag(repository_, tag);
  if (!image) return image.error();
  if (!image->has_value()) return std::optional<Manifest>{};
  Manifest m{(*image)->manifest_media_type, (*image)->digest, {}};
  if (m.media_type.empty()) {
    // DescribeImages may omit imageManifestMediaType (moto does); the manifest itself says.
    auto full = get_manifest(m.digest);
    if (!full) return full.error();
    m.media_type = full->media_type;
  }
  return std::optional<Manifest>(std::move(m));
}

Result<Manifest> EcrRegistry::get_manifest(const std::string& digest) {
  auto got = client_.batch_get_image(repository_, digest);
  if (!got) return got.error();
  const std::string computed = sha256_digest(got->manifest);
  if (computed != digest) {
    return make_error(ErrorCode::kProtocol,
                      fmt::format("ECR BatchGetImage {}: digest mismatch: asked for {} but the bytes hash to {}",
                                  repository_, digest, computed));
  }
  return Manifest{got->media_type, digest, std::move(got->manifest)};
}

Result<std::string> EcrRegistry::put_manifest(const std::string& tag, const Manifest& manifest) {
  auto put = client_.put_image(repository_, tag, manifest.bytes, manifest.media_type, manifest.digest);
  if (!put) {
    if (aws::ecr_error_kind(put.error()) == aws::EcrErrorKind::kImageAlreadyExists) return manifest.digest;
    return put.error();
  }
  return put->digest.empty() ? manifest.digest : put->digest;
}

Result<std::string> EcrRegistry::get_blob(const std::string& digest) { return client_.get_blob(repository_, digest); }

Result<TagMutability> EcrRegistry::tag_mutability() {
  auto repos = client_.describe_repositories({repository_});
  if (!repos) return repos.error();
  if (repos->empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("ECR DescribeRepositories {}: no such repository", repository_));
  }
  mutability_setting_ = repos->front().tag_mutability;
  if (mutability_setting_ == "MUTABLE") return TagMutability::kMutable;
  if (mutability_setting_ == "IMMUTABLE") return TagMutability::kImmutable;
  return TagMutability::kUnknown;
}

std::string EcrRegistry::common_cli_args() const {
  std::string args;
  if (options_.registry_id) args += " --registry-id " + *options_.registry_id;
  args += " --region " + options_.region;
  if (!options_.endpoint.empty()) args += " --endpoint-url " + options_.endpoint;
  return args;
}

std::vector<std::string> EcrRegistry::equivalent_put(const std::string& tag, const Manifest& source) const {
  const std::string common = common_cli_args();
  // $(…) drops the trailing newline the CLI's text output adds, so the bytes hash to the digest.
  return {
      fmt::format("MANIFEST=$(aws ecr batch-get-image --repository-name {} --image-ids imageDigest={} "
                  "--accepted-media-types {} --query 'images[0].imageManifest' --output text{})",
                  repository_, source.digest, source.media_type, common),
      fmt::format("aws ecr put-image --repository-name {} --image-tag {} --image-manifest \"$MANIFEST\" "
                  "--image-manifest-media-type {} --image-digest {}{}",
                  repository_, tag, source.media_type, source.digest, common),
  };
}

}  // namespace mgate::backend::registry
