// backend/registry's OciClient against the sandbox's real docker-registry (plain HTTP,
// anonymous): tag pagination, manifests read byte for byte, and a promotion that puts the same
// bytes under a new tag, for a Docker v2 manifest, an OCI manifest and an OCI index.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/http/client.hpp"
#include "backend/http/url.hpp"
#include "backend/registry/digest.hpp"
#include "backend/registry/media_types.hpp"
#include "backend/registry/oci_client.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::backend::registry {
namespace {

using sandbox::testing::shared_sandbox;

// A blob and its digest, as pushed.
struct Blob {
  std::string bytes;
  std::string digest;
};

class RegistryOciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    base_url_ = (*sandbox)->registry_url();
  }

  // A repository of its own per test and per process, so reruns never see old tags.
  OciClient client_for(const std::string& name) {
    repository_ = fmt::format("mgate-it/{}-{}", name, ::getpid());
    return OciClient(
        OciOptions{.base_url = base_url_, .repository = repository_, .credentials = {}, .http = {}});
  }

  // A monolithic upload: POST opens it, PUT with ?digest= closes it.
  void push_blob(const Blob& blob) {
    const auto opened = http_.send(http::Request{
        .method = "POST", .url = fmt::format("{}/v2/{}/blobs/uploads/", base_url_, repository_)});
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    ASSERT_EQ(opened->status, 202) << opened->body;
    // docker-registry answers an absolute Location; the spec allows a relative one too.
    auto upload = http::resolve_url(base_url_, opened->header("Location").value_or(""));
    ASSERT_TRUE(upload.ok()) << upload.error().describe();
    const char sep = upload->find('?') == std::string::npos ? '?' : '&';
    http::Request close{
        .method = "PUT", .url = fmt::format("{}{}digest={}", *upload, sep, blob.digest), .body = blob.bytes};
    close.add_header("Content-Type", "application/octet-stream");
    const auto closed = http_.send(close);
    ASSERT_TRUE(closed.ok()) << closed.error().describe();
    ASSERT_EQ(closed->status, 201) << closed->body;
  }

  static Blob blob_of(std::string bytes) {
    std::string digest = sha256_digest(bytes);
    return Blob{std::move(bytes), std::move(digest)};
  }

  // Pushes a config and a layer and returns an image manifest of media_type over them, indented
  // so that any re-serialisation on the way would change its digest.
  Manifest image_manifest(std::string_view media_type, std::string_view config_type,
                          std::string_view layer_type, const std::string& build) {
    const Blob config = blob_of(fmt::format(
        R"({{"architecture":"amd64","os":"linux","created":"2026-11-21T06:00:00Z",)"
        R"("config":{{"Cmd":["udab-server"]}},"rootfs":{{"type":"layers","diff_ids":[]}},"build":"{}"}})",
        build));
    const Blob layer = blob_of("pretend this is a gzipped tar of the app, built for " + build);
    push_blob(config);
    push_blob(layer);
    const nlohmann::json json = {
        {"schemaVersion", 2},
        {"mediaType", media_type},
        {"config", {{"mediaType", config_type}, {"size", config.bytes.size()}, {"digest", config.digest}}},
        {"layers", {{{"mediaType", layer_type}, {"size", layer.bytes.size()}, {"digest", layer.digest}}}}};
    config_ = config;
    std::string bytes = json.dump(3) + "\n";
    return Manifest{std::string(media_type), sha256_digest(bytes), std::move(bytes)};
  }

  Manifest docker_manifest(const std::string& build) {
    return image_manifest(kDockerManifestV2, kDockerImageConfig,
                          "application/vnd.docker.image.rootfs.diff.tar.gzip", build);
  }

  Manifest oci_manifest(const std::string& build) {
    return image_manifest(kOciManifest, kOciImageConfig, "application/vnd.oci.image.layer.v1.tar+gzip",
                          build);
  }

  // Puts original under stage-<sha>, promotes it to stage-migrated-<sha> and checks both tags
  // serve the exact same bytes under one digest.
  void check_promotion(OciClient& client, const Manifest& original) {
    const std::string sha = original.digest.substr(7, 12);
    const auto pushed = client.put_manifest("stage-" + sha, original);
    ASSERT_TRUE(pushed.ok()) << pushed.error().describe();
    EXPECT_EQ(*pushed, original.digest);

    const auto fetched = client.get_manifest("stage-" + sha);
    ASSERT_TRUE(fetched.ok()) << fetched.error().describe();
    EXPECT_EQ(fetched->bytes, original.bytes);
    EXPECT_EQ(fetched->media_type, original.media_type);
    EXPECT_EQ(fetched->digest, original.digest);

    const auto head = client.head_manifest("stage-" + sha);
    ASSERT_TRUE(head.ok()) << head.error().describe();
    ASSERT_TRUE(head->has_value());
    EXPECT_EQ((*head)->digest, original.digest);
    EXPECT_EQ((*head)->media_type, original.media_type);
    EXPECT_TRUE((*head)->bytes.empty());

    const std::string migrated = "stage-migrated-" + sha;
    const auto before = client.head_manifest(migrated);
    ASSERT_TRUE(before.ok()) << before.error().describe();
    EXPECT_FALSE(before->has_value());

    const auto promoted = client.put_manifest(migrated, *fetched);
    ASSERT_TRUE(promoted.ok()) << promoted.error().describe();
    EXPECT_EQ(*promoted, original.digest);
    const auto copy = client.get_manifest(migrated);
    ASSERT_TRUE(copy.ok()) << copy.error().describe();
    EXPECT_EQ(copy->bytes, original.bytes);
    EXPECT_EQ(copy->digest, original.digest);
    EXPECT_EQ(copy->media_type, original.media_type);
    const auto by_digest = client.get_manifest(original.digest);
    ASSERT_TRUE(by_digest.ok()) << by_digest.error().describe();
    EXPECT_EQ(by_digest->bytes, original.bytes);
  }

  std::string base_url_;
  std::string repository_;
  http::Client http_;
  Blob config_;  ///< the config blob of the last image_manifest()
};

TEST_F(RegistryOciTest, ListsEveryTagOnceWithASmallPageSize) {
  OciClient client = client_for("tags");
  const Manifest manifest = docker_manifest("tags");
  const std::vector<std::string> tags = {"stage-a1", "stage-b2", "stage-c3", "stage-d4", "stage-e5"};
  for (const std::string& tag : tags) {
    const auto put = client.put_manifest(tag, manifest);
    ASSERT_TRUE(put.ok()) << put.error().describe();
  }
  // docker-registry 2.8 ignores `n` on tags/list and never sends a Link header (tag paging
  // arrived in distribution 3): the Link walk itself is covered by the scripted server in
  // tests/unit/registry. Here the real registry must still give every tag through a small page.
  const auto listed = client.list_tags(2);
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  const auto one_page = client.list_tags(100);
  ASSERT_TRUE(one_page.ok()) << one_page.error().describe();
  // docker-registry lists tags in its storage's directory order, not sorted: the paged walk
  // must give that same order, and every tag exactly once.
  EXPECT_EQ(*listed, *one_page);
  std::vector<std::string> sorted = *listed;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, tags);
}

TEST_F(RegistryOciTest, ReportsAnUnknownRepositoryAndManifest) {
  OciClient client = client_for("missing");
  const auto tags = client.list_tags(2);
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tags.error().message,
            fmt::format("GET /v2/{}/tags/list: 404 NAME_UNKNOWN repository name not known to registry",
                        repository_));
  const auto manifest = client.get_manifest("stage-abc");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(
      manifest.error().message.rfind(fmt::format("GET /v2/{}/manifests/stage-abc: 404 ", repository_), 0), 0u)
      << manifest.error().message;
}

TEST_F(RegistryOciTest, PromotesADockerV2ManifestByteForByte) {
  OciClient client = client_for("docker");
  const Manifest manifest = docker_manifest("docker-abc123");
  ASSERT_NO_FATAL_FAILURE(check_promotion(client, manifest));
  const auto config = client.get_blob(config_.digest);
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(*config, config_.bytes);
}

TEST_F(RegistryOciTest, PromotesAnOciManifestByteForByte) {
  OciClient client = client_for("oci");
  ASSERT_NO_FATAL_FAILURE(check_promotion(client, oci_manifest("oci-def456")));
}

TEST_F(RegistryOciTest, PromotesAnOciIndexByteForByte) {
  OciClient client = client_for("index");
  const Manifest child = oci_manifest("index-789abc");
  // An index may only name manifests the repository already holds.
  const auto child_put = client.put_manifest(child.digest, child);
  ASSERT_TRUE(child_put.ok()) << child_put.error().describe();
  const nlohmann::json index = {{"schemaVersion", 2},
                                {"mediaType", kOciIndex},
                                {"manifests",
                                 {{{"mediaType", kOciManifest},
                                   {"size", child.bytes.size()},
                                   {"digest", child.digest},
                                   {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}}}}};
  std::string bytes = index.dump(2);
  ASSERT_NO_FATAL_FAILURE(
      check_promotion(client, Manifest{std::string(kOciIndex), sha256_digest(bytes), bytes}));
}

}  // namespace
}  // namespace mgate::backend::registry
