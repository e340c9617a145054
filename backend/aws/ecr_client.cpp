#include "backend/aws/ecr_client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "backend/aws/request_headers.hpp"
#include "backend/registry/digest.hpp"

namespace mgate::backend::aws {
namespace {

using nlohmann::json;

constexpr const char* kTargetPrefix = "AmazonEC2ContainerRegistry_V20150921.";
constexpr const char* kContentType = "application/x-amz-json-1.1";
constexpr std::chrono::milliseconds kThrottleMaxDelay{5000};

std::string default_endpoint(const std::string& region) {
  return fmt::format("https://api.ecr.{}.amazonaws.com/", region);
}

Error protocol_error(std::string_view operation, std::string_view subject, std::string_view why) {
  return make_error(ErrorCode::kProtocol,
                    fmt::format("ECR {} {}: unreadable answer: {}", operation, subject, why));
}

/// Parses an answer body, turning nlohmann's exceptions into an Error naming the call.
template <typename T, typename F>
Result<T> parse_answer(std::string_view operation, std::string_view subject, std::string_view body,
                       F&& read) {
  try {
    return read(json::parse(body));
  } catch (const json::exception& e) {
    return protocol_error(operation, subject, e.what());
  }
}

EcrRepository repository_from(const json& item) {
  return EcrRepository{
      .name = item.value("repositoryName", std::string{}),
      .arn = item.value("repositoryArn", std::string{}),
      .uri = item.value("repositoryUri", std::string{}),
      .registry_id = item.value("registryId", std::string{}),
      .tag_mutability = item.value("imageTagMutability", std::string{}),
  };
}

/// The ErrorCode for a failureCode of BatchGetImage or BatchDeleteImage.
ErrorCode failure_code_error(std::string_view code) {
  if (code == "ImageNotFound") return ErrorCode::kNotFound;
  if (code == "InvalidImageDigest" || code == "InvalidImageTag" || code == "MissingDigestAndTag" ||
      code == "ImageTagDoesNotMatchDigest") {
    return ErrorCode::kInvalidArgument;
  }
  if (code == "ImageReferencedByManifestList") return ErrorCode::kConflict;
  return ErrorCode::kProtocol;
}

/// "image stage-1", "image sha256:abc" or "image stage-1@sha256:abc", for messages.
std::string describe_id(const json& image_id) {
  const std::string tag = image_id.value("imageTag", std::string{});
  const std::string digest = image_id.value("imageDigest", std::string{});
  if (tag.empty()) return "image " + digest;
  if (digest.empty()) return "image " + tag;
  return fmt::format("image {}@{}", tag, digest);
}

/// One entry of a failures[] array as an Error; its detail is the failureCode, so
/// ecr_error_kind reads it. `what` names the failing id, or is empty.
Error failure_error(std::string_view operation, std::string_view subject, const json& failure,
                    std::string_view what = {}) {
  const std::string code = failure.value("failureCode", std::string{"Unknown"});
  const std::string reason = failure.value("failureReason", std::string{});
  const std::string call = what.empty() ? fmt::format("ECR {} {}", operation, subject)
                                        : fmt::format("ECR {} {}: {}", operation, subject, what);
  return make_error(failure_code_error(code), fmt::format("{}: {}: {}", call, code, reason), code);
}

json image_id_json(const EcrImageId& id) {
  json j = json::object();
  if (!id.digest.empty()) j["imageDigest"] = id.digest;
  if (!id.tag.empty()) j["imageTag"] = id.tag;
  return j;
}

EcrImageId image_id_from(const json& item) {
  return EcrImageId{item.value("imageDigest", std::string{}), item.value("imageTag", std::string{})};
}

/// The <Code> of an S3 XML error body: the part worth keeping. The rest may echo the
/// presigned URL's signature and string to sign, so it never goes into an Error.
std::string s3_error_code(std::string_view body) {
  const auto open = body.find("<Code>");
  if (open == std::string_view::npos) return {};
  const auto start = open + 6;
  const auto close = body.find("</Code>", start);
  if (close == std::string_view::npos || close - start > 100) return {};
  return std::string(body.substr(start, close - start));
}

}  // namespace

EcrClient::EcrClient(EcrOptions options)
    : options_(std::move(options)),
      endpoint_(options_.endpoint.empty() ? default_endpoint(options_.region) : options_.endpoint),
      http_(options_.http) {
  options_.max_results = std::clamp(options_.max_results, 1, kEcrMaxPageSize);
  options_.throttle_attempts = std::max(options_.throttle_attempts, 1);
}

std::chrono::milliseconds EcrClient::throttle_delay(int retry) {
  // Full jitter: a uniform draw below an exponentially growing cap, so throttled callers spread out.
  auto cap = options_.throttle_base_delay * (1LL << std::min(retry, 10));
  cap = std::min<std::chrono::milliseconds>(cap, kThrottleMaxDelay);
  const double fraction = http_.options().jitter ? http_.options().jitter() : 1.0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(cap.count()) * fraction));
}

Result<std::string> EcrClient::call_once(const std::string& operation, const std::string& subject,
                                         const std::string& body, bool idempotent, bool& throttled) {
  throttled = false;
  auto unsigned_request = signing_request(
      "POST", endpoint_, {{"Content-Type", kContentType}, {"X-Amz-Target", kTargetPrefix + operation}}, body);
  if (!unsigned_request) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("ECR {} {}: bad endpoint: {}", operation,
                                                               subject, unsigned_request.error().message));
  }
  // A provider is asked on every attempt, so a long-lived client signs with fresh keys.
  std::optional<Credentials> provided;
  if (options_.credentials_provider) {
    auto credentials = options_.credentials_provider();
    if (!credentials) {
      const Error& e = credentials.error();
      return make_error(e.code, fmt::format("ECR {} {}: credentials: {}", operation, subject, e.message),
                        e.detail, e.retryable);
    }
    provided = std::move(*credentials);
  }
  SigningParams params;
  params.region = options_.region;
  params.service = "ecr";
  params.when = options_.now ? options_.now() : Clock::now();
  auto signed_headers = sign(*unsigned_request, provided ? *provided : options_.credentials, params);
  if (!signed_headers) {
    return make_error(signed_headers.error().code, fmt::format("ECR {} {}: signing: {}", operation, subject,
                                                               signed_headers.error().message));
  }
  http::Request request{.method = "POST", .url = endpoint_, .body = body, .idempotent = idempotent};
  for (const auto& [name, value] : unsigned_request->headers) request.add_header(name, value);
  add_signed_headers(request, signed_headers->headers);
  auto response = http_.send(request);
  if (!response) {
    const Error& e = response.error();
    return make_error(e.code, fmt::format("ECR {} {}: {}", operation, subject, e.message), e.detail,
                      e.retryable);
  }
  if (response->ok()) return std::move(response->body);
  Error error = ecr_error(operation, subject, *response);
  throttled = ecr_error_kind(error) == EcrErrorKind::kThrottling;
  return error;
}

Result<std::string> EcrClient::call(const std::string& operation, const std::string& subject,
                                    const std::string& body, bool idempotent) {
  for (int attempt = 1;; ++attempt) {
    bool throttled = false;
    auto answer = call_once(operation, subject, body, idempotent, throttled);
    // ThrottlingException comes back as HTTP 400, which the HTTP layer does not retry.
    if (answer.ok() || !throttled || attempt >= options_.throttle_attempts) return answer;
    http_.options().sleep(throttle_delay(attempt - 1), std::stop_token{});
  }
}

Result<std::vector<EcrImage>> EcrClient::describe_images(const std::string& repository) {
  std::vector<EcrImage> images;
  std::string token;
  do {
    json body{{"repositoryName", repository}, {"maxResults", options_.max_results}};
    if (options_.registry_id) body["registryId"] = *options_.registry_id;
    if (!token.empty()) body["nextToken"] = token;
    auto answer = call("DescribeImages", repository, body.dump(), true);
    if (!answer) return answer.error();
    auto page = parse_describe_images_page(*answer, repository);
    if (!page) return page.error();
    if (images.empty()) {
      images = std::move(page->images);
    } else {
      images.insert(images.end(), std::make_move_iterator(page->images.begin()),
                    std::make_move_iterator(page->images.end()));
    }
    token = std::move(page->next_token);
  } while (!token.empty());
  return images;
}

Result<std::optional<EcrImage>> EcrClient::describe_image_by_tag(const std::string& repository,
                                                                 const std::string& tag) {
  json body{{"repositoryName", repository}, {"imageIds", json::array({json{{"imageTag", tag}}})}};
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  auto answer = call("DescribeImages", repository + ":" + tag, body.dump(), true);
  if (!answer) {
    if (ecr_error_kind(answer.error()) == EcrErrorKind::kImageNotFound) return std::optional<EcrImage>{};
    return answer.error();
  }
  auto page = parse_describe_images_page(*answer, repository);
  if (!page) return page.error();
  if (page->images.empty()) return std::optional<EcrImage>{};
  return std::optional<EcrImage>(std::move(page->images.front()));
}

Result<std::vector<EcrImageId>> EcrClient::list_images(const std::string& repository) {
  std::vector<EcrImageId> ids;
  std::string token;
  do {
    json body{{"repositoryName", repository}, {"maxResults", options_.max_results}};
    if (options_.registry_id) body["registryId"] = *options_.registry_id;
    if (!token.empty()) body["nextToken"] = token;
    auto answer = call("ListImages", repository, body.dump(), true);
    if (!answer) return answer.error();
    auto page = parse_answer<std::string>("ListImages", repository, *answer, [&](const json& j) {
      for (const auto& item : j.value("imageIds", json::array())) ids.push_back(image_id_from(item));
      return j.value("nextToken", std::string{});
    });
    if (!page) return page.error();
    token = std::move(*page);
  } while (!token.empty());
  return ids;
}

Result<EcrManifest> EcrClient::batch_get_image(const std::string& repository, const std::string& digest) {
  json body{{"repositoryName", repository},
            {"imageIds", json::array({json{{"imageDigest", digest}}})},
            {"acceptedMediaTypes", registry::kManifestMediaTypes}};
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  auto answer = call("BatchGetImage", repository, body.dump(), true);
  if (!answer) return answer.error();
  return parse_answer<EcrManifest>(
      "BatchGetImage", repository, *answer, [&](const json& j) -> Result<EcrManifest> {
        // BatchGetImage reports failures[] inside a 200 response: a missing digest is not an HTTP error.
        const auto failures = j.value("failures", json::array());
        if (!failures.empty()) return failure_error("BatchGetImage", repository, failures.front());
        const auto images = j.value("images", json::array());
        if (images.empty()) return protocol_error("BatchGetImage", repository, "no image and no failure");
        const json& image = images.front();
        EcrManifest manifest{.digest = digest,
                             .media_type = image.value("imageManifestMediaType", std::string{}),
                             .manifest = image.at("imageManifest").get<std::string>()};
        if (manifest.media_type.empty()) {
          // Some answers (moto's among them) omit imageManifestMediaType; the manifest names its own type.
          const auto inner = json::parse(manifest.manifest, nullptr, false);
          if (inner.is_object()) manifest.media_type = inner.value("mediaType", std::string{});
        }
        return manifest;
      });
}

Result<EcrImageId> EcrClient::put_image(const std::string& repository, const std::string& tag,
                                        const std::string& manifest, const std::string& media_type,
                                        const std::string& digest) {
  json body{{"repositoryName", repository}, {"imageTag", tag}, {"imageManifest", manifest}};
  if (!media_type.empty()) body["imageManifestMediaType"] = media_type;
  if (!digest.empty()) body["imageDigest"] = digest;
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  // A PutImage repeated after a lost answer would fail with ImageAlreadyExists: not idempotent.
  auto answer = call("PutImage", repository + ":" + tag, body.dump(), false);
  if (!answer) return answer.error();
  return parse_answer<EcrImageId>("PutImage", repository, *answer, [&](const json& j) {
    const json& id = j.at("image").at("imageId");
    return EcrImageId{id.value("imageDigest", std::string{}), id.value("imageTag", tag)};
  });
}

Result<std::vector<EcrImageId>> EcrClient::batch_delete_image(const std::string& repository,
                                                              const std::vector<EcrImageId>& ids) {
  std::vector<EcrImageId> deleted;
  // ECR takes at most 100 ids per request (and at least one).
  for (std::size_t first = 0; first < ids.size(); first += kEcrMaxDeleteBatch) {
    const std::size_t last = std::min(ids.size(), first + kEcrMaxDeleteBatch);
    json body{{"repositoryName", repository}, {"imageIds", json::array()}};
    for (std::size_t i = first; i < last; ++i) body["imageIds"].push_back(image_id_json(ids[i]));
    if (options_.registry_id) body["registryId"] = *options_.registry_id;
    // A repeat after a lost answer would report the deleted ids as ImageNotFound: not idempotent.
    auto answer = call("BatchDeleteImage", repository, body.dump(), false);
    if (!answer) return answer.error();
    auto batch = parse_answer<std::vector<EcrImageId>>(
        "BatchDeleteImage", repository, *answer, [&](const json& j) -> Result<std::vector<EcrImageId>> {
          std::vector<EcrImageId> batch_deleted;
          for (const auto& item : j.value("imageIds", json::array())) {
            batch_deleted.push_back(image_id_from(item));
          }
          // Like BatchGetImage, BatchDeleteImage reports failures[] inside a 200 answer.
          const auto failures = j.value("failures", json::array());
          if (failures.empty()) return batch_deleted;
          const json& failure = failures.front();
          Error error = failure_error("BatchDeleteImage", repository, failure,
                                      describe_id(failure.value("imageId", json::object())));
          const std::size_t done = deleted.size() + batch_deleted.size();
          if (failures.size() > 1) {
            error.message += fmt::format(" (and {} more failures)", failures.size() - 1);
          }
          error.message += fmt::format("; {} image id(s) deleted", done);
          return error;
        });
    if (!batch) return batch.error();
    deleted.insert(deleted.end(), batch->begin(), batch->end());
  }
  return deleted;
}

Result<Secret> EcrClient::get_download_url_for_layer(const std::string& repository,
                                                     const std::string& layer_digest) {
  json body{{"repositoryName", repository}, {"layerDigest", layer_digest}};
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  const std::string subject = repository + "@" + layer_digest;
  // moto 5.2 does not implement this call: it answers HTTP 500 with an HTML page, which
  // ecr_error turns into kUnavailable "ECR GetDownloadUrlForLayer <subject>: HTTP 500".
  auto answer = call("GetDownloadUrlForLayer", subject, body.dump(), true);
  if (!answer) return answer.error();
  return parse_answer<Secret>(
      "GetDownloadUrlForLayer", subject, *answer, [&](const json& j) -> Result<Secret> {
        const std::string answered = j.value("layerDigest", layer_digest);
        if (answered != layer_digest) {
          return protocol_error("GetDownloadUrlForLayer", subject, "the URL is for layer " + answered);
        }
        std::string url = j.value("downloadUrl", std::string{});
        if (url.empty()) return protocol_error("GetDownloadUrlForLayer", subject, "no downloadUrl");
        return Secret(std::move(url));
      });
}

Result<std::string> EcrClient::get_blob(const std::string& repository, const std::string& digest) {
  const std::string what = fmt::format("ECR layer download {}@{}", repository, digest);
  if (!registry::is_sha256_digest(digest)) {
    return make_error(ErrorCode::kInvalidArgument, what + ": not a sha256 digest");
  }
  auto url = get_download_url_for_layer(repository, digest);
  if (!url) return url.error();
  // The URL is presigned S3: it carries its own authentication, so no Authorization header.
  // Its query string is the credential; http::Request keeps it out of every message.
  http::Request request{.method = "GET", .url = url->reveal()};
  auto response = http_.send(request);
  if (!response) {
    const Error& e = response.error();
    return make_error(e.code, fmt::format("{}: {}", what, e.message), e.detail, e.retryable);
  }
  if (!response->ok()) {
    const std::string code = s3_error_code(response->body);
    const ErrorCode error_code = response->status == 403   ? ErrorCode::kPermissionDenied
                                 : response->status == 404 ? ErrorCode::kNotFound
                                 : response->status >= 500 ? ErrorCode::kUnavailable
                                                           : ErrorCode::kProtocol;
    return make_error(error_code,
                      code.empty() ? fmt::format("{}: HTTP {}", what, response->status)
                                   : fmt::format("{}: HTTP {} {}", what, response->status, code),
                      code, response->status >= 500);
  }
  const std::string computed = registry::sha256_digest(response->body);
  if (computed != digest) {
    return make_error(ErrorCode::kProtocol,
                      fmt::format("{}: digest mismatch: the bytes hash to {}", what, computed));
  }
  return std::move(response->body);
}

Result<std::vector<EcrRepository>> EcrClient::describe_repositories(const std::vector<std::string>& names) {
  std::vector<EcrRepository> repositories;
  const std::string subject = fmt::format("{}", fmt::join(names, ","));
  std::string token;
  do {
    json body{{"repositoryNames", names}};
    if (options_.registry_id) body["registryId"] = *options_.registry_id;
    if (!token.empty()) body["nextToken"] = token;
    auto answer = call("DescribeRepositories", subject, body.dump(), true);
    if (!answer) return answer.error();
    auto page = parse_answer<std::string>("DescribeRepositories", subject, *answer, [&](const json& j) {
      for (const auto& item : j.value("repositories", json::array()))
        repositories.push_back(repository_from(item));
      return j.value("nextToken", std::string{});
    });
    if (!page) return page.error();
    token = std::move(*page);
  } while (!token.empty());
  return repositories;
}

Result<EcrRepository> EcrClient::create_repository(const std::string& name,
                                                   const std::string& tag_mutability) {
  json body{{"repositoryName", name}, {"imageTagMutability", tag_mutability}};
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  auto answer = call("CreateRepository", name, body.dump(), false);
  if (!answer) return answer.error();
  return parse_answer<EcrRepository>("CreateRepository", name, *answer,
                                     [](const json& j) { return repository_from(j.at("repository")); });
}

}  // namespace mgate::backend::aws
