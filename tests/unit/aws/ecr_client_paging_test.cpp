// EcrClient against a scripted loopback ECR, continued: paging 2,500 images, BatchDeleteImage,
// blobs through GetDownloadUrlForLayer, and refreshing credentials.

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

TEST(EcrClientPaging, ReadsTheFieldsOfEachImageAndSkipsWhatItDoesNotUse) {
  // Fields as ECR documents them, with nested objects whose keys repeat an image field's name.
  const auto page = parse_describe_images_page(
      R"({"imageDetails":[
            {"registryId":"123456789012","repositoryName":"app","imageDigest":"sha256:a",
             "imageTags":["stage-1"],"imageSizeInBytes":52428800,"imagePushedAt":1763700000.25,
             "imageScanFindingsSummary":{"imageDigest":"sha256:nested","findingSeverityCounts":{"HIGH":1},
                                         "imageTags":["nested"]},
             "imageManifestMediaType":"application/vnd.oci.image.manifest.v1+json",
             "artifactMediaType":"application/vnd.oci.image.config.v1+json"},
            {"imageDigest":"sha256:b","imagePushedAt":1763700001,"lastRecordedPullTime":1763700002.5}],
          "nextToken":null})",
      "app");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->images.size(), 2u);
  const EcrImage& a = page->images[0];
  EXPECT_EQ(a.digest, "sha256:a");
  EXPECT_EQ(a.tags, (std::vector<std::string>{"stage-1"}));
  EXPECT_EQ(a.size_bytes, 52428800);
  EXPECT_EQ(a.pushed_at, 1763700000.25);
  EXPECT_EQ(a.manifest_media_type, "application/vnd.oci.image.manifest.v1+json");
  const EcrImage& b = page->images[1];
  EXPECT_EQ(b.digest, "sha256:b");
  EXPECT_TRUE(b.tags.empty());
  EXPECT_FALSE(b.size_bytes.has_value());
  EXPECT_EQ(b.pushed_at, 1763700001.0);
  EXPECT_EQ(b.manifest_media_type, "");
  EXPECT_EQ(page->next_token, "");

  const auto not_object = parse_describe_images_page(R"([{"imageDigest":"sha256:a"}])", "app");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().message, "ECR DescribeImages app: unreadable answer: the answer is not a JSON object");
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
