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
#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws {
namespace {

using http::testing::LoopbackServer;
using http::testing::Recorder;
using nlohmann::json;

constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]})";

Clock::time_point fixed_time() {
  return Clock::time_point(std::chrono::seconds(1767225600));
}  // 2026-01-01

/// Answers scripted (status, body) pairs in order and records every request.
struct ScriptedEcr {
  LoopbackServer server;
  Recorder seen;
  std::mutex mutex;
  std::deque<std::pair<int, std::string>> answers;

  explicit ScriptedEcr(std::deque<std::pair<int, std::string>> script) : answers(std::move(script)) {
    server.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      seen.record(req);
      std::lock_guard lock(mutex);
      if (answers.empty()) {
        res.status = 500;
        return;
      }
      res.status = answers.front().first;
      res.set_content(answers.front().second, "application/x-amz-json-1.1");
      answers.pop_front();
    });
  }
};

struct Sleeps {
  std::vector<std::chrono::milliseconds> delays;
};

EcrOptions options_for(const LoopbackServer& server, Sleeps* sleeps = nullptr) {
  EcrOptions options;
  options.region = "eu-west-1";
  options.endpoint = server.url("/");
  options.credentials = Credentials{"AKIDEXAMPLE", Secret(kSecretKey), Secret(), std::nullopt};
  options.http.retry.max_attempts = 1;
  options.http.jitter = [] { return 0.5; };
  options.http.sleep = [sleeps](std::chrono::milliseconds d, std::stop_token) {
    if (sleeps != nullptr) sleeps->delays.push_back(d);
  };
  options.now = fixed_time;
  return options;
}

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

std::string page(const std::vector<std::string>& digests, const std::string& next) {
  json j{{"imageDetails", json::array()}};
  for (const auto& d : digests) {
    j["imageDetails"].push_back({{"imageDigest", d}, {"imageTags", {"t-" + d}}, {"imageSizeInBytes", 42}});
  }
  if (!next.empty()) j["nextToken"] = next;
  return j.dump();
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
  ScriptedEcr ecr({{200, R"({"imageDetails":[{"imageDigest":"sha256:abc","imageTags":["stage-1","stage-migrated-1"],)"
                         R"("imagePushedAt":1763700000.5,"imageManifestMediaType":"application/vnd.oci.image.index.v1+json"}]})"},
                   {400, R"({"__type":"ImageNotFoundException","message":"The image with imageId {imageTag:'x'} does not exist"})"}});
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

constexpr const char* kThrottled = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";

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
std::string numbered(std::string prefix, std::size_t n) {
  prefix += std::to_string(n);
  return prefix;
}

// --- Pagination at scale: moto does not page, so a scripted server that does. ---

/// "sha256:" and 64 hex digits, distinct and ordered by n.
std::string digest_of(int n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  return std::string("sha256:") + hex;
}

/// A scripted ECR holding `count` images that pages DescribeImages and ListImages as ECR does:
/// maxResults capped at 1000 (default 1000), an opaque nextToken naming the next offset.
struct PagingEcr {
  LoopbackServer server;
  Recorder seen;
  int count;

  explicit PagingEcr(int images) : count(images) {
    server.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      seen.record(req);
      const json body = json::parse(req.body);
      const int page_size = std::min(body.value("maxResults", kEcrMaxPageSize), kEcrMaxPageSize);
      std::size_t offset = 0;
      if (body.contains("nextToken")) {
        const std::string token = body.at("nextToken").get<std::string>();
        if (token.rfind("opaque-", 0) != 0) {
          res.status = 400;
          res.set_content(R"({"__type":"InvalidParameterException","message":"bad nextToken"})",
                          "application/x-amz-json-1.1");
          return;
        }
        offset = std::stoul(token.substr(7));
      }
      const bool describe =
          req.get_header_value("X-Amz-Target") == "AmazonEC2ContainerRegistry_V20150921.DescribeImages";
      json answer = json::object();
      json& rows = answer[describe ? "imageDetails" : "imageIds"] = json::array();
      const std::size_t end = std::min<std::size_t>(offset + page_size, count);
      for (std::size_t i = offset; i < end; ++i) {
        const int n = static_cast<int>(i);
        if (describe) {
          rows.push_back({{"imageDigest", digest_of(n)},
                          {"imageTags", {numbered("v", n)}},
                          {"imageSizeInBytes", 1000 + n},
                          {"imagePushedAt", 1767225600.5 + n},
                          {"imageManifestMediaType", registry::kDockerManifestV2}});
        } else {
          rows.push_back({{"imageDigest", digest_of(n)}, {"imageTag", numbered("v", n)}});
        }
      }
      if (end < static_cast<std::size_t>(count)) answer["nextToken"] = numbered("opaque-", end);
      res.status = 200;
      res.set_content(answer.dump(), "application/x-amz-json-1.1");
    });
  }
};

/// Checks the requests `seen` for one paged operation: 3 pages of 1000, each after the first
/// carrying the nextToken of the answer before it, and maxResults 1000 every time.
void expect_three_pages(const std::vector<http::testing::Seen>& seen, const std::string& operation) {
  ASSERT_EQ(seen.size(), 3u) << operation;
  const std::vector<std::string> tokens = {"", "opaque-1000", "opaque-2000"};
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921." + operation);
    const json body = json::parse(seen[i].body);
    EXPECT_EQ(body.at("maxResults"), 1000) << operation << " request " << i;
    EXPECT_EQ(body.at("repositoryName"), "app");
    if (i == 0) {
      EXPECT_FALSE(body.contains("nextToken")) << operation;
    } else {
      EXPECT_EQ(body.at("nextToken"), tokens[i]) << operation << " request " << i;
    }
  }
}

TEST(EcrClientPaging, DescribeImagesReturnsAll2500ImagesInOrderFromThreePages) {
  PagingEcr ecr(2500);
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto images = client.describe_images("app");
  ASSERT_TRUE(images.ok()) << images.error().describe();

  ASSERT_EQ(images->size(), 2500u);
  for (int n = 0; n < 2500; ++n) {
    const EcrImage& image = (*images)[static_cast<std::size_t>(n)];
    ASSERT_EQ(image.digest, digest_of(n)) << n;
    ASSERT_EQ(image.tags, std::vector<std::string>{numbered("v", n)}) << n;
    ASSERT_EQ(image.size_bytes, 1000 + n) << n;
    ASSERT_EQ(image.pushed_at, 1767225600.5 + n) << n;
    ASSERT_EQ(image.manifest_media_type, registry::kDockerManifestV2) << n;
  }
  expect_three_pages(ecr.seen.all(), "DescribeImages");
}

TEST(EcrClientPaging, ListImagesReturnsAll2500IdsInOrderAndClampsMaxResults) {
  PagingEcr ecr(2500);
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.max_results = 5000;  // above ECR's limit: the client sends 1000
  EcrClient client(options);
  const auto ids = client.list_images("app");
  ASSERT_TRUE(ids.ok()) << ids.error().describe();

  ASSERT_EQ(ids->size(), 2500u);
  for (int n = 0; n < 2500; ++n) {
    ASSERT_EQ((*ids)[static_cast<std::size_t>(n)], (EcrImageId{digest_of(n), numbered("v", n)})) << n;
  }
  expect_three_pages(ecr.seen.all(), "ListImages");
}

TEST(EcrClientPaging, ParsesOnePageOnItsOwn) {
  const auto page = parse_describe_images_page(
      R"({"imageDetails":[{"imageDigest":"sha256:a","imageTags":["x","y"],"imageSizeInBytes":null}],
          "nextToken":"t"})",
      "app");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->images.size(), 1u);
  EXPECT_EQ(page->images[0].tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(page->images[0].size_bytes.has_value());
  EXPECT_EQ(page->next_token, "t");

  const auto bad = parse_describe_images_page("{not json", "app");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(bad.error().message.rfind("ECR DescribeImages app: unreadable answer: ", 0), 0u)
      << bad.error().message;
}

// --- BatchDeleteImage ---

TEST(EcrClientBatchDeleteImage, SendsTheIdsAndReturnsTheDeletedOnes) {
  ScriptedEcr ecr({{200, R"({"imageIds":[{"imageDigest":"sha256:a","imageTag":"old-1"},
                                          {"imageDigest":"sha256:b"}],"failures":[]})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.registry_id = "123456789012";
  EcrClient client(options);
  const auto deleted = client.batch_delete_image("app", {{"", "old-1"}, {"sha256:b", ""}});
  ASSERT_TRUE(deleted.ok()) << deleted.error().describe();
  EXPECT_EQ(*deleted, (std::vector<EcrImageId>{{"sha256:a", "old-1"}, {"sha256:b", ""}}));

  ASSERT_EQ(ecr.seen.count(), 1u);
  const auto req = ecr.seen.all().front();
  EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.BatchDeleteImage");
  EXPECT_EQ(json::parse(req.body),
            json({{"repositoryName", "app"},
                  {"registryId", "123456789012"},
                  {"imageIds", {{{"imageTag", "old-1"}}, {{"imageDigest", "sha256:b"}}}}}));
}

TEST(EcrClientBatchDeleteImage, SendsAtMostOneHundredIdsPerRequest) {
  std::vector<EcrImageId> ids;
  json first = {{"imageIds", json::array()}, {"failures", json::array()}};
  json second = first;
  for (int n = 0; n < 150; ++n) {
    ids.push_back({digest_of(n), ""});
    (n < 100 ? first : second)["imageIds"].push_back({{"imageDigest", digest_of(n)}});
  }
  ScriptedEcr ecr({{200, first.dump()}, {200, second.dump()}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto deleted = client.batch_delete_image("app", ids);
  ASSERT_TRUE(deleted.ok()) << deleted.error().describe();
  EXPECT_EQ(*deleted, ids);
  const auto seen = ecr.seen.all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(json::parse(seen[0].body).at("imageIds").size(), 100u);
  EXPECT_EQ(json::parse(seen[1].body).at("imageIds").size(), 50u);
  EXPECT_EQ(json::parse(seen[1].body).at("imageIds").front(), json({{"imageDigest", digest_of(100)}}));

  // Nothing to delete: no request (ECR rejects an empty imageIds).
  const auto none = client.batch_delete_image("app", {});
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(ecr.seen.count(), 2u);
}

TEST(EcrClientBatchDeleteImage, AFailureInsideA200NamesTheIdAndItsCode) {
  const json answer{{"imageIds", {{{"imageDigest", "sha256:a"}, {"imageTag", "old-1"}}}},
                    {"failures",
                     {{{"imageId", {{"imageTag", "gone"}}},
                       {"failureCode", "ImageNotFound"},
                       {"failureReason", "Requested image not found"}},
                      {{"imageId", {{"imageDigest", "sha256:c"}}},
                       {"failureCode", "ImageNotFound"},
                       {"failureReason", "Requested image not found"}}}}};
  ScriptedEcr ecr({{200, answer.dump()}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto deleted = client.batch_delete_image("app", {{"", "old-1"}, {"", "gone"}, {"sha256:c", ""}});
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ecr_error_kind(deleted.error()), EcrErrorKind::kImageNotFound);
  EXPECT_EQ(deleted.error().detail, "ImageNotFound");
  EXPECT_EQ(deleted.error().message,
            "ECR BatchDeleteImage app: image gone: ImageNotFound: Requested image not found "
            "(and 1 more failures); 1 image id(s) deleted");
}

TEST(EcrClientBatchDeleteImage, AnImageInAnIndexIsAConflict) {
  const json answer{{"imageIds", json::array()},
                    {"failures",
                     {{{"imageId", {{"imageDigest", "sha256:a"}, {"imageTag", "t"}}},
                       {"failureCode", "ImageReferencedByManifestList"},
                       {"failureReason", "referenced by sha256:idx"}}}}};
  ScriptedEcr ecr({{200, answer.dump()}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto deleted = client.batch_delete_image("app", {{"sha256:a", "t"}});
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, ErrorCode::kConflict);
  EXPECT_EQ(deleted.error().message,
            "ECR BatchDeleteImage app: image t@sha256:a: ImageReferencedByManifestList: referenced by "
            "sha256:idx; 0 image id(s) deleted");
}

// --- GetDownloadUrlForLayer and get_blob ---

constexpr const char* kBlob = R"({"architecture":"amd64","os":"linux"})";
constexpr const char* kPresignQuery = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeef";

/// A scripted ECR whose GetDownloadUrlForLayer answer points back at this server's /layer,
/// which answers `status` with `blob`.
struct LayerEcr : ScriptedEcr {
  LayerEcr(std::string blob, const std::string& digest, int status = 200) : ScriptedEcr({}), digest_(digest) {
    server.server().Get("/layer", [this, blob, status](const httplib::Request& req, httplib::Response& res) {
      seen.record(req);
      res.status = status;
      res.set_content(blob, "application/octet-stream");
    });
  }
  /// Scripts the GetDownloadUrlForLayer answer; call after start().
  void script_url() {
    std::lock_guard lock(mutex);
    answers.push_back(
        {200,
         json({{"downloadUrl", server.url("/layer") + kPresignQuery}, {"layerDigest", digest_}}).dump()});
  }
  std::string digest_;
};

TEST(EcrClientLayers, GetDownloadUrlForLayerReturnsThePresignedUrlAsASecret) {
  const std::string digest = registry::sha256_digest(kBlob);
  LayerEcr ecr(kBlob, digest);
  ASSERT_TRUE(ecr.server.start());
  ecr.script_url();
  EcrClient client(options_for(ecr.server));
  const auto url = client.get_download_url_for_layer("app", digest);
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->reveal(), ecr.server.url("/layer") + kPresignQuery);
  const auto req = ecr.seen.all().front();
  EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.GetDownloadUrlForLayer");
  EXPECT_EQ(json::parse(req.body), json({{"repositoryName", "app"}, {"layerDigest", digest}}));
}

TEST(EcrClientLayers, GetBlobFetchesThePresignedUrlWithoutOurCredentials) {
  const std::string digest = registry::sha256_digest(kBlob);
  LayerEcr ecr(kBlob, digest);
  ASSERT_TRUE(ecr.server.start());
  ecr.script_url();
  EcrClient client(options_for(ecr.server));
  const auto blob = client.get_blob("app", digest);
  ASSERT_TRUE(blob.ok()) << blob.error().describe();
  EXPECT_EQ(*blob, kBlob);

  const auto seen = ecr.seen.all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(seen[1].target, std::string("/layer") + kPresignQuery);
  EXPECT_EQ(seen[1].header("Authorization"), "<absent>");
  EXPECT_EQ(seen[1].header("X-Amz-Date"), "<absent>");
}

TEST(EcrClientLayers, GetBlobRejectsBytesThatDoNotHashToTheDigest) {
  const std::string digest = registry::sha256_digest(kBlob);
  LayerEcr ecr("tampered", digest);
  ASSERT_TRUE(ecr.server.start());
  ecr.script_url();
  EcrClient client(options_for(ecr.server));
  const auto blob = client.get_blob("app", digest);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(blob.error().message, "ECR layer download app@" + digest +
                                      ": digest mismatch: the bytes hash to " +
                                      registry::sha256_digest("tampered"));
  EXPECT_EQ(blob.error().describe().find("deadbeef"), std::string::npos);
}

TEST(EcrClientLayers, AnS3ErrorKeepsItsCodeButNotItsBody) {
  // S3 echoes the string to sign and the signature it was given; only <Code> is kept.
  const std::string digest = registry::sha256_digest(kBlob);
  LayerEcr ecr(
      R"(<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message>)"
      R"(<SignatureProvided>deadbeef</SignatureProvided></Error>)",
      digest, 403);
  ASSERT_TRUE(ecr.server.start());
  ecr.script_url();
  EcrClient client(options_for(ecr.server));
  const auto blob = client.get_blob("app", digest);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(blob.error().message, "ECR layer download app@" + digest + ": HTTP 403 AccessDenied");
  EXPECT_EQ(blob.error().detail, "AccessDenied");
  EXPECT_EQ(blob.error().describe().find("deadbeef"), std::string::npos);
}

TEST(EcrClientLayers, AnHtmlServerErrorIsUnavailableAndNamesTheCall) {
  // What moto 5.2.1 answers: NotImplementedError raised in its handler becomes Werkzeug's HTML 500.
  const std::string digest = registry::sha256_digest(kBlob);
  ScriptedEcr ecr({{500, "<!doctype html>\n<title>500 Internal Server Error</title>"}});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto blob = client.get_blob("app", digest);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(blob.error().message, "ECR GetDownloadUrlForLayer app@" + digest + ": HTTP 500");
  EXPECT_EQ(ecr.seen.count(), 1u);
}

TEST(EcrClientLayers, GetBlobRefusesANonSha256DigestWithoutACall) {
  ScriptedEcr ecr({});
  ASSERT_TRUE(ecr.server.start());
  EcrClient client(options_for(ecr.server));
  const auto blob = client.get_blob("app", "sha512:abc");
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ecr.seen.count(), 0u);
}

// --- Credentials provider ---

TEST(EcrClientCredentials, AProviderIsAskedBeforeEachRequestAndItsKeysSign) {
  ScriptedEcr ecr({{200, page({"sha256:a"}, "tok-1")}, {200, page({"sha256:b"}, "")}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.credentials = Credentials{"AKIDSTATIC", Secret("static"), Secret(), std::nullopt};
  int calls = 0;
  options.credentials_provider = [&calls]() -> Result<Credentials> {
    ++calls;
    return Credentials{numbered("ASIAREFRESHED", calls), Secret(kSecretKey),
                       Secret(numbered("session-", calls)), std::nullopt};
  };
  EcrClient client(options);
  const auto images = client.describe_images("app");
  ASSERT_TRUE(images.ok()) << images.error().describe();
  EXPECT_EQ(images->size(), 2u);
  EXPECT_EQ(calls, 2);

  const auto seen = ecr.seen.all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].header("Authorization").find("Credential=ASIAREFRESHED1/20260101/eu-west-1/ecr/"),
            std::string::npos)
      << seen[0].header("Authorization");
  EXPECT_NE(seen[1].header("Authorization").find("Credential=ASIAREFRESHED2/20260101/eu-west-1/ecr/"),
            std::string::npos)
      << seen[1].header("Authorization");
  EXPECT_EQ(seen[0].header("X-Amz-Security-Token"), "session-1");
  EXPECT_EQ(seen[1].header("X-Amz-Security-Token"), "session-2");
  for (const auto& s : seen) EXPECT_EQ(s.header("Authorization").find("AKIDSTATIC"), std::string::npos);
}

TEST(EcrClientCredentials, AProviderIsAskedAgainOnAThrottlingRetry) {
  ScriptedEcr ecr({{400, kThrottled}, {200, R"({"imageIds":[]})"}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  int calls = 0;
  options.credentials_provider = [&calls]() -> Result<Credentials> {
    ++calls;
    return Credentials{numbered("AKID", calls), Secret(kSecretKey), Secret(), std::nullopt};
  };
  EcrClient client(options);
  ASSERT_TRUE(client.list_images("app").ok());
  EXPECT_EQ(calls, 2);
  EXPECT_NE(ecr.seen.all()[1].header("Authorization").find("Credential=AKID2/"), std::string::npos);
}

TEST(EcrClientCredentials, AProviderErrorNamesTheCallAndSendsNothing) {
  ScriptedEcr ecr({{200, "{}"}});
  ASSERT_TRUE(ecr.server.start());
  EcrOptions options = options_for(ecr.server);
  options.credentials_provider = []() -> Result<Credentials> {
    return make_error(ErrorCode::kUnauthenticated, "the SSO session has expired", "ExpiredToken");
  };
  EcrClient client(options);
  const auto result = client.batch_delete_image("app", {{"sha256:a", ""}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(result.error().message, "ECR BatchDeleteImage app: credentials: the SSO session has expired");
  EXPECT_EQ(result.error().detail, "ExpiredToken");
  EXPECT_EQ(ecr.seen.count(), 0u);
}

}  // namespace
}  // namespace mgate::backend::aws
