#pragma once
// Amazon ECR over its JSON 1.1 protocol: one signed POST per operation, errors typed by __type.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/aws/ecr_error.hpp"
#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"
#include "backend/http/client.hpp"
#include "backend/registry/media_types.hpp"

namespace mgate::backend::aws {

/// The most results ECR returns per page of DescribeImages or ListImages.
inline constexpr int kEcrMaxPageSize = 1000;
/// The most image ids ECR takes in one BatchDeleteImage request.
inline constexpr std::size_t kEcrMaxDeleteBatch = 100;

/// How to reach ECR and as whom.
struct EcrOptions {
  std::string region;                      ///< "eu-west-1"; part of the signature
  std::string endpoint;                    ///< "" = https://api.ecr.<region>.amazonaws.com/
  std::optional<std::string> registry_id;  ///< account id; unset = the caller's own registry
  Credentials credentials;                 ///< who signs, unless credentials_provider is set
  /// Refreshing credentials for a long-lived client: when set, called before each signed request
  /// (every attempt, throttling retries included) instead of reading `credentials`.
  /// It should be cheap (a CredentialCache::get wrapper); its error fails the call, naming it.
  std::function<Result<Credentials>()> credentials_provider;
  http::ClientOptions http;           ///< timeouts, TLS; its sleep and jitter also pace throttling retries
  int max_results = kEcrMaxPageSize;  ///< page size for DescribeImages / ListImages (1..1000)
  int throttle_attempts = 4;          ///< attempts in all when ECR answers ThrottlingException
  std::chrono::milliseconds throttle_base_delay{200};  ///< first backoff cap; doubles each retry
  /// The signing time; unset = the system clock (tests pin it).
  std::function<Clock::time_point()> now;
};

/// One image reference: a digest, a tag, or both.
struct EcrImageId {
  std::string digest;  ///< "sha256:..."; may be empty in a ListImages answer for nothing
  std::string tag;     ///< "" for an untagged image
  /// Field-wise equality, for tests and lookups.
  friend bool operator==(const EcrImageId&, const EcrImageId&) = default;
};

/// One image as DescribeImages reports it.
struct EcrImage {
  std::string digest;                      ///< "sha256:..."
  std::vector<std::string> tags;           ///< every tag on this digest, in ECR's order
  std::optional<std::int64_t> size_bytes;  ///< imageSizeInBytes
  std::optional<double> pushed_at;         ///< imagePushedAt, seconds since the epoch
  std::string manifest_media_type;         ///< "" when ECR did not say
};

/// A manifest as BatchGetImage returns it: the bytes exactly as stored.
struct EcrManifest {
  std::string digest;      ///< the digest asked for
  std::string media_type;  ///< imageManifestMediaType
  std::string manifest;    ///< imageManifest, byte for byte
};

/// One repository as DescribeRepositories reports it.
struct EcrRepository {
  std::string name;            ///< repositoryName
  std::string arn;             ///< repositoryArn
  std::string uri;             ///< repositoryUri ("<account>.dkr.ecr.<region>.amazonaws.com/<name>")
  std::string registry_id;     ///< the account id
  std::string tag_mutability;  ///< "MUTABLE" or "IMMUTABLE"
};

/// One page of a DescribeImages answer.
struct EcrImagePage {
  std::vector<EcrImage> images;  ///< imageDetails, in ECR's order
  std::string next_token;        ///< "" on the last page
};

/// Decodes one DescribeImages answer body (what describe_images does with each page).
/// An unreadable body is kProtocol: "ECR DescribeImages <repository>: unreadable answer: ...".
Result<EcrImagePage> parse_describe_images_page(std::string_view body, std::string_view repository = {});

/// An ECR client for one region and registry. Like http::Client, one thread at a time.
class EcrClient {
 public:
  /// A client; nothing is connected yet.
  explicit EcrClient(EcrOptions options);

  /// Every image in `repository` (DescribeImages, all pages).
  Result<std::vector<EcrImage>> describe_images(const std::string& repository);
  /// The image `tag` names (DescribeImages with imageIds): one request, whatever the repository's
  /// size. Nothing when no image has the tag (ECR answers ImageNotFoundException).
  Result<std::optional<EcrImage>> describe_image_by_tag(const std::string& repository, const std::string& tag);
  /// Every image id in `repository` (ListImages, all pages): one row per tag, plus untagged digests.
  Result<std::vector<EcrImageId>> list_images(const std::string& repository);
  /// The manifest stored under `digest` (BatchGetImage), accepting all four manifest types.
  Result<EcrManifest> batch_get_image(const std::string& repository, const std::string& digest);
  /// Stores `manifest` under `tag` (PutImage); `digest`, when given, must match its bytes.
  /// A tag already on this digest gives kAlreadyExists with EcrErrorKind::kImageAlreadyExists.
  Result<EcrImageId> put_image(const std::string& repository, const std::string& tag,
                               const std::string& manifest, const std::string& media_type,
                               const std::string& digest = {});
  /// Deletes the images `ids` name (BatchDeleteImage, in batches of kEcrMaxDeleteBatch) and
  /// returns the ids ECR reports deleted (one per tag removed). ECR reports a failure for an id
  /// inside a 200 answer: any failure is an Error naming that id and its failureCode (kind
  /// kImageNotFound for ImageNotFound), even though the other ids may have been deleted.
  Result<std::vector<EcrImageId>> batch_delete_image(const std::string& repository,
                                                     const std::vector<EcrImageId>& ids);
  /// The presigned S3 URL of one layer or config blob (GetDownloadUrlForLayer); it authenticates
  /// whoever holds it until it expires, hence a Secret.
  Result<Secret> get_download_url_for_layer(const std::string& repository, const std::string& layer_digest);
  /// The bytes of the blob `digest` ("sha256:<64 hex>"): GetDownloadUrlForLayer, then a GET of the
  /// presigned URL without our credentials; kProtocol when the bytes do not hash to `digest`.
  Result<std::string> get_blob(const std::string& repository, const std::string& digest);
  /// The named repositories (DescribeRepositories), e.g. for their tag mutability.
  Result<std::vector<EcrRepository>> describe_repositories(const std::vector<std::string>& names);
  /// Creates a repository (CreateRepository) with the given tag mutability.
  Result<EcrRepository> create_repository(const std::string& name,
                                          const std::string& tag_mutability = "MUTABLE");

  /// The endpoint requests go to.
  const std::string& endpoint() const { return endpoint_; }

 private:
  Result<std::string> call(const std::string& operation, const std::string& subject, const std::string& body,
                           bool idempotent);
  Result<std::string> call_once(const std::string& operation, const std::string& subject,
                                const std::string& body, bool idempotent, bool& throttled);
  std::chrono::milliseconds throttle_delay(int retry);

  EcrOptions options_;
  std::string endpoint_;
  http::Client http_;
};

}  // namespace mgate::backend::aws
