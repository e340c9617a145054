#include "backend/aws/ecr_client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

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
Result<T> parse_answer(std::string_view operation, std::string_view subject, const std::string& body,
                       F&& read) {
  try {
    return read(json::parse(body));
  } catch (const json::exception& e) {
    return protocol_error(operation, subject, e.what());
  }
}

EcrImage image_from(const json& item) {
  EcrImage image;
  image.digest = item.value("imageDigest", std::string{});
  image.tags = item.value("imageTags", std::vector<std::string>{});
  // Optional fields may be absent or null (moto sends a null size for a manifest without layers).
  const auto size = item.find("imageSizeInBytes");
  if (size != item.end() && size->is_number_integer()) image.size_bytes = size->get<std::int64_t>();
  const auto pushed = item.find("imagePushedAt");
  if (pushed != item.end() && pushed->is_number()) image.pushed_at = pushed->get<double>();
  image.manifest_media_type = item.value("imageManifestMediaType", std::string{});
  return image;
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

/// The first BatchGetImage failure as an Error; its detail is the failureCode.
Error failure_error(std::string_view subject, const json& failure) {
  const std::string code = failure.value("failureCode", std::string{"Unknown"});
  const std::string reason = failure.value("failureReason", std::string{});
  const ErrorCode error_code = code == "ImageNotFound" ? ErrorCode::kNotFound : ErrorCode::kProtocol;
  return make_error(error_code, fmt::format("ECR BatchGetImage {}: {}: {}", subject, code, reason), code);
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
  SigningParams params;
  params.region = options_.region;
  params.service = "ecr";
  params.when = options_.now ? options_.now() : Clock::now();
  auto signed_headers = sign(*unsigned_request, options_.credentials, params);
  if (!signed_headers) {
    return make_error(signed_headers.error().code, fmt::format("ECR {} {}: signing: {}", operation, subject,
                                                               signed_headers.error().message));
  }
  http::Request request{.method = "POST", .url = endpoint_, .body = body, .idempotent = idempotent};
  for (const auto& [name, value] : unsigned_request->headers) request.add_header(name, value);
  for (const auto& [name, value] : signed_headers->headers) {
    // The signature and session token are credentials: keep them out of any description.
    if (name == "Authorization" || name == "X-Amz-Security-Token") {
      request.add_secret_header(name, Secret(value));
    } else {
      request.add_header(name, value);
    }
  }
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
    auto page = parse_answer<std::string>("DescribeImages", repository, *answer, [&](const json& j) {
      for (const auto& item : j.value("imageDetails", json::array())) images.push_back(image_from(item));
      return j.value("nextToken", std::string{});
    });
    if (!page) return page.error();
    token = std::move(*page);
  } while (!token.empty());
  return images;
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
      for (const auto& item : j.value("imageIds", json::array())) {
        ids.push_back(
            EcrImageId{item.value("imageDigest", std::string{}), item.value("imageTag", std::string{})});
      }
      return j.value("nextToken", std::string{});
    });
    if (!page) return page.error();
    token = std::move(*page);
  } while (!token.empty());
  return ids;
}

Result<EcrManifest> EcrClient::batch_get_image(const std::string& repository, const std::string& digest) {
  json body{
      {"repositoryName", repository},
      {"imageIds", json::array({json{{"imageDigest", digest}}})},
      {"acceptedMediaTypes", json::array({kDockerManifestV2, kDockerManifestList, kOciManifest, kOciIndex})}};
  if (options_.registry_id) body["registryId"] = *options_.registry_id;
  auto answer = call("BatchGetImage", repository, body.dump(), true);
  if (!answer) return answer.error();
  return parse_answer<EcrManifest>(
      "BatchGetImage", repository, *answer, [&](const json& j) -> Result<EcrManifest> {
        // BatchGetImage reports failures[] inside a 200 response: a missing digest is not an HTTP error.
        const auto failures = j.value("failures", json::array());
        if (!failures.empty()) return failure_error(repository, failures.front());
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
