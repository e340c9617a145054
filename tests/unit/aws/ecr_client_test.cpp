// EcrClient against a scripted loopback ECR: the JSON 1.1 wire format and its signature,
// pagination, failures[] inside a 200, throttling retries and the __type error mapping.

#include "backend/aws/ecr_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "backend/registry/digest.hpp"
#include "backend/registry/media_types.hpp"
#include "tests/unit/aws/ecr_test_support.hpp"

namespace mgate::backend::aws {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the shared test fixtures
using http::testing::LoopbackServer;
using http::testing::Recorder;
using nlohmann::json;

TEST(EcrClientWire, SendsTheJsonTargetAndASignatureForServiceEcr) {
  ScriptedEcr ecr({{200, R"({"imageDetails":[]})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.registry_id = "123456789012";
  EcrClient client(options);
  ASSERT_TRUE(client.describe_images("udab-server").ok());

  ASSERT_EQ(ecr.seen.count(), 1u);
  const auto req = ecr.seen.all().front();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/");
  EXPECT_EQ(req.header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.DescribeImages");
  EXPECT_EQ(req.header("X-Amz-Date"), "20260101T000000Z");
  EXPECT_EQ(json::parse(req.body),
            json({{"repositoryName", "udab-server"}, {"maxResults", 1000}, {"registryId", "123456789012"}}));

  // The Authorization header must be the one SigV4 gives for exactly these bytes, scoped to ecr.
  const std::string authorization = req.header("Authorization");
  EXPECT_EQ(
      authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ecr/aws4_request, "
                          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=",
                          0),
      0u)
      << authorization;
  auto expected_request =
      signing_request("POST", ecr.server.url("/"),
                      {{"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.DescribeImages"}},
                      req.body);
  ASSERT_TRUE(expected_request.ok());
  SigningParams params;
  params.region = "eu-west-1";
  params.service = "ecr";
  params.when = fixed_time();
  auto expected = sign(*expected_request, options.credentials, params);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(authorization, expected->authorization);
}

TEST(EcrClientPaging, FollowsNextTokenThroughThreePages) {
  ScriptedEcr ecr({{200, page({"sha256:a", "sha256:b"}, "tok-1")},
                   {200, page({"sha256:c", "sha256:d"}, "tok-2")},
                   {200, page({"sha256:e"}, "")}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.max_results = 2;
  EcrClient client(options);
  const auto images = client.describe_images("app");
  ASSERT_TRUE(images.ok()) << images.error().describe();

  ASSERT_EQ(images->size(), 5u);
  std::vector<std::string> digests;
  for (const auto& image : *images) digests.push_back(image.digest);
  EXPECT_EQ(digests, (std::vector<std::string>{"sha256:a", "sha256:b", "sha256:c", "sha256:d", "sha256:e"}));
  EXPECT_EQ((*images)[4].tags, std::vector<std::string>{"t-sha256:e"});
  EXPECT_EQ((*images)[4].size_bytes, 42);

  const auto seen = ecr.seen.all();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(json::parse(seen[0].body).contains("nextToken"));
  EXPECT_EQ(json::parse(seen[1].body).at("nextToken"), "tok-1");
  EXPECT_EQ(json::parse(seen[2].body).at("nextToken"), "tok-2");
  for (const auto& s : seen) EXPECT_EQ(json::parse(s.body).at("maxResults"), 2);
}

TEST(EcrClientBatchGetImage, AsksForAllFourManifestTypesAndReturnsTheExactBytes) {
  const json answer{{"images",
                     {{{"imageId", {{"imageDigest", "sha256:abc"}}},
                       {"imageManifest", kManifest},
                       {"imageManifestMediaType", registry::kDockerManifestV2}}}},
                    {"failures", json::array()}};
  ScriptedEcr ecr({{200, answer.dump()}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto manifest = client.batch_get_image("app", "sha256:abc");
  ASSERT_TRUE(manifest.ok()) << manifest.error().describe();
  EXPECT_EQ(manifest->manifest, kManifest);
  EXPECT_EQ(manifest->media_type, registry::kDockerManifestV2);

  const auto req = ecr.seen.all().front();
  EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.BatchGetImage");
  const auto body = json::parse(req.body);
  EXPECT_EQ(body.at("imageIds"), json::array({{{"imageDigest", "sha256:abc"}}}));
  EXPECT_EQ(
      body.at("acceptedMediaTypes"),
      json::array({"application/vnd.docker.distribution.manifest.v2+json",
                   "application/vnd.docker.distribution.manifest.list.v2+json",
                   "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"}));
}

TEST(EcrClientBatchGetImage, AFailureInsideA200IsAnError) {
  const json answer{{"images", json::array()},
                    {"failures",
                     {{{"imageId", {{"imageDigest", "sha256:abc"}}},
                       {"failureCode", "ImageNotFound"},
                       {"failureReason", "Requested image not found"}}}}};
  ScriptedEcr ecr({{200, answer.dump()}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto manifest = client.batch_get_image("app", "sha256:abc");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ecr_error_kind(manifest.error()), EcrErrorKind::kImageNotFound);
  EXPECT_EQ(manifest.error().message, "ECR BatchGetImage app: ImageNotFound: Requested image not found");
}

TEST(EcrClientPutImage, SendsTagMediaTypeAndDigest) {
  ScriptedEcr ecr({{200, R"({"image":{"imageId":{"imageDigest":"sha256:abc","imageTag":"stage-1"}}})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto id =
      client.put_image("app", "stage-1", kManifest, std::string(registry::kDockerManifestV2), "sha256:abc");
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(*id, (EcrImageId{"sha256:abc", "stage-1"}));
  const auto req = ecr.seen.all().front();
  EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.PutImage");
  EXPECT_EQ(json::parse(req.body), json({{"repositoryName", "app"},
                                         {"imageTag", "stage-1"},
                                         {"imageManifest", kManifest},
                                         {"imageManifestMediaType", registry::kDockerManifestV2},
                                         {"imageDigest", "sha256:abc"}}));
}

TEST(EcrClientDescribeImageByTag, AsksForTheOneTagAndReadsAMissingTagAsNothing) {
  ScriptedEcr ecr(
      {{200,
        R"({"imageDetails":[{"imageDigest":"sha256:abc","imageTags":["stage-1","stage-migrated-1"],)"
        R"("imagePushedAt":1763700000.5,"imageManifestMediaType":"application/vnd.oci.image.index.v1+json"}]})"},
       {400,
        R"({"__type":"ImageNotFoundException","message":"The image with imageId {imageTag:'x'} does not exist"})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto found = client.describe_image_by_tag("app", "stage-1");
  ASSERT_TRUE(found.ok()) << found.error().describe();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->digest, "sha256:abc");
  EXPECT_EQ((*found)->manifest_media_type, registry::kOciIndex);
  EXPECT_EQ((*found)->pushed_at, 1763700000.5);
  EXPECT_EQ(json::parse(ecr.seen.all().front().body),
            json({{"repositoryName", "app"}, {"imageIds", json::array({json{{"imageTag", "stage-1"}}})}}));
  const auto missing = client.describe_image_by_tag("app", "x");
  ASSERT_TRUE(missing.ok()) << missing.error().describe();
  EXPECT_FALSE(missing->has_value());
}

TEST(EcrClientThrottling, RetriesWithJitteredBackoffThenSucceeds) {
  ScriptedEcr ecr(
      {{400, kThrottled}, {400, kThrottled}, {200, R"({"imageIds":[{"imageDigest":"sha256:a"}]})"}});
  ASSERT_TRUE(ecr.server.start());
  Sleeps sleeps;
  EcrClient client(options_for(ecr.server, &sleeps));
  const auto ids = client.list_images("app");
  ASSERT_TRUE(ids.ok()) << ids.error().describe();
  EXPECT_EQ(*ids, (std::vector<EcrImageId>{{"sha256:a", ""}}));
  EXPECT_EQ(ecr.seen.count(), 3u);
  // Jitter pinned at 0.5 of a cap that starts at 200 ms and doubles.
  EXPECT_EQ(sleeps.delays, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                                   std::chrono::milliseconds(200)}));
}

TEST(EcrClientThrottling, GivesUpAfterTheLastAttempt) {
  ScriptedEcr ecr({{400, kThrottled}, {400, kThrottled}, {400, kThrottled}, {400, kThrottled}, {200, "{}"}});
  ASSERT_TRUE(ecr.server.start());
  Sleeps sleeps;
  EcrClient client(options_for(ecr.server, &sleeps));
  const auto ids = client.list_images("app");
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ecr_error_kind(ids.error()), EcrErrorKind::kThrottling);
  EXPECT_TRUE(ids.error().retryable);
  EXPECT_EQ(ecr.seen.count(), 4u);
  EXPECT_EQ(sleeps.delays.size(), 3u);
}

struct Mapping {
  std::string type;
  ErrorCode code;
  EcrErrorKind kind;
};

TEST(EcrClientErrors, MapsEachTypeAndNamesTheCall) {
  const std::vector<Mapping> cases = {
      {"com.amazonaws.ecr#RepositoryNotFoundException", ErrorCode::kNotFound,
       EcrErrorKind::kRepositoryNotFound},
      {"ImageNotFoundException", ErrorCode::kNotFound, EcrErrorKind::kImageNotFound},
      {"ImageAlreadyExistsException", ErrorCode::kAlreadyExists, EcrErrorKind::kImageAlreadyExists},
      {"ImageTagAlreadyExistsException", ErrorCode::kAlreadyExists, EcrErrorKind::kImageTagAlreadyExists},
      {"InvalidParameterException", ErrorCode::kProtocol, EcrErrorKind::kOther},
  };
  for (const auto& c : cases) {
    ScriptedEcr ecr({{400, json({{"__type", c.type}, {"message", "it failed"}}).dump()}});
    ASSERT_TRUE(ecr.server.start());
    EcrClient client(options_for(ecr.server));
    const auto images = client.describe_images("udab-server");
    ASSERT_FALSE(images.ok()) << c.type;
    const std::string bare = bare_error_type(c.type);
    EXPECT_EQ(images.error().code, c.code) << c.type;
    EXPECT_EQ(ecr_error_kind(images.error()), c.kind) << c.type;
    EXPECT_EQ(images.error().detail, bare);
    EXPECT_EQ(images.error().message, "ECR DescribeImages udab-server: " + bare + ": it failed");
  }
}

TEST(EcrClientErrors, AccessDeniedNamesTheMissingPermissionAndNoSecret) {
  ScriptedEcr ecr({{400, R"({"__type":"AccessDeniedException","Message":"User is not authorized"})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto result =
      client.put_image("udab-server", "stage-1", kManifest, std::string(registry::kDockerManifestV2));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(ecr_error_kind(result.error()), EcrErrorKind::kAccessDenied);
  EXPECT_EQ(result.error().message,
            "ECR PutImage udab-server:stage-1: AccessDeniedException: missing permission ecr:PutImage: "
            "User is not authorized");
  EXPECT_EQ(result.error().describe().find(kSecretKey), std::string::npos);
  EXPECT_FALSE(json::parse(ecr.seen.all().front().body).contains("imageDigest"));
}

TEST(EcrClientErrors, ANonJsonAnswerKeepsTheStatus) {
  ScriptedEcr ecr({{503, "<html>down</html>"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto repos = client.describe_repositories({"a", "b"});
  ASSERT_FALSE(repos.ok());
  EXPECT_EQ(repos.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(repos.error().message, "ECR DescribeRepositories a,b: HTTP 503");
}

TEST(EcrClientRepositories, ReadsTagMutability) {
  ScriptedEcr ecr(
      {{200, R"({"repositories":[{"repositoryName":"a","registryId":"1","imageTagMutability":"IMMUTABLE",
      "repositoryArn":"arn:aws:ecr:eu-west-1:1:repository/a","repositoryUri":"1.dkr.ecr.eu-west-1.amazonaws.com/a"}]})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto repos = client.describe_repositories({"a"});
  ASSERT_TRUE(repos.ok()) << repos.error().describe();
  ASSERT_EQ(repos->size(), 1u);
  EXPECT_EQ((*repos)[0].tag_mutability, "IMMUTABLE");
  EXPECT_EQ((*repos)[0].uri, "1.dkr.ecr.eu-west-1.amazonaws.com/a");
  EXPECT_EQ(json::parse(ecr.seen.all().front().body), json({{"repositoryNames", {"a"}}}));
}

TEST(EcrMediaTypes, OnlyAListOrAnIndexIsAnIndex) {
  EXPECT_TRUE(registry::is_index(registry::kDockerManifestList));
  EXPECT_TRUE(registry::is_index(registry::kOciIndex));
  EXPECT_FALSE(registry::is_index(registry::kDockerManifestV2));
  EXPECT_FALSE(registry::is_index(registry::kOciManifest));
  EXPECT_FALSE(registry::is_index(registry::kOciImageConfig));
  EXPECT_FALSE(registry::is_index(""));
  EXPECT_EQ(registry::kManifestMediaTypes.size(), 4u);
}

TEST(EcrClientEndpoint, DefaultsToTheRegionalApi) {
  EcrOptions options;
  options.region = "eu-central-1";
  EXPECT_EQ(EcrClient(options).endpoint(), "https://api.ecr.eu-central-1.amazonaws.com/");
}

/// prefix followed by n in decimal ("v12"). Appending, not `"v" + std::to_string(n)`, which
/// GCC 12 at -O3 flags with a false -Wrestrict (GCC bug 105329).
}  // namespace
}  // namespace mgate::backend::aws
