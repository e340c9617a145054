#pragma once
// The Registry interface over Amazon ECR.

#include "backend/aws/ecr_client.hpp"
#include "backend/registry/registry.hpp"

namespace mgate::backend::registry {

/// One ECR repository.
class EcrRegistry final : public Registry {
 public:
  /// A registry over a client built from `options` for `repository`.
  EcrRegistry(aws::EcrOptions options, std::string repository);

  std::string describe() const override;
  Result<std::vector<TaggedImage>> list_images(const std::function<bool(std::string_view)>& wanted) override;
  Result<std::optional<Manifest>> resolve_tag(const std::string& tag) override;
  /// BatchGetImage by digest; the bytes are checked against the digest.
  Result<Manifest> get_manifest(const std::string& digest) override;
  /// PutImage with the media type and digest; ImageAlreadyExistsException (the tag is already on
  /// this digest) is success.
  Result<std::string> put_manifest(const std::string& tag, const Manifest& manifest) override;
  /// GetDownloadUrlForLayer, then the presigned download.
  Result<std::string> get_blob(const std::string& digest) override;
  /// DescribeRepositories' imageTagMutability: MUTABLE, IMMUTABLE; the *_WITH_EXCLUSION
  /// settings depend on filters per tag and give kUnknown.
  Result<TagMutability> tag_mutability() override;
  /// `aws ecr batch-get-image` into a variable, then `aws ecr put-image` with it.
  std::vector<std::string> equivalent_put(const std::string& tag, const Manifest& source) const override;

  /// The raw imageTagMutability of the last tag_mutability() call ("" before).
  const std::string& mutability_setting() const { return mutability_setting_; }

 private:
  /// "--registry-id ID --region R [--endpoint-url E]" for the plan's commands.
  std::string common_cli_args() const;

  aws::EcrOptions options_;
  std::string repository_;
  aws::EcrClient client_;
  std::string mutability_setting_;
};

}  // namespace mgate::backend::registry
