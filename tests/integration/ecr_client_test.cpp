// EcrClient against the sandbox's moto_server: repositories, PutImage, DescribeImages,
// BatchGetImage by digest, retagging and the typed errors, over real signed HTTP.

#include "backend/aws/ecr_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "backend/registry/digest.hpp"
#include "backend/registry/media_types.hpp"
#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/moto_service.hpp"

namespace mgate::sandbox::testing {
namespace {

using backend::aws::EcrClient;
using backend::aws::EcrErrorKind;
using backend::aws::EcrOptions;

constexpr const char* kSha = "3f9c2ab";
/// The media type every manifest here has, as the std::string put_image takes.
const std::string kDockerManifestV2{backend::registry::kDockerManifestV2};

/// A Docker v2 manifest whose one layer depends on `n`, so each n is a distinct image.
std::string manifest_for(int n) {
  const std::string layer = backend::registry::sha256_digest("layer-" + std::to_string(n));
  return std::string(R"({"schemaVersion":2,"mediaType":")") + kDockerManifestV2 +
         R"(","config":{"mediaType":")" + std::string(backend::registry::kDockerImageConfig) +
         R"(","size":7,"digest":")" + backend::registry::sha256_digest("config") +
         R"("},"layers":[{"mediaType":)" +
         R"("application/vnd.docker.image.rootfs.diff.tar.gzip","size":32,"digest":")" + layer + R"("}]})";
}

/// A repository name no other test (or rerun against a kept sandbox) uses.
std::string repo_name(const std::string& base) {
  return base + "-" + std::to_string(::getpid());
}

EcrClient client_for(const Sandbox& sandbox, int max_results = backend::aws::kEcrMaxPageSize) {
  EcrOptions options;
  options.region = kMotoRegion;
  options.endpoint = sandbox.moto_url();
  options.credentials.access_key_id = "testing";
  options.credentials.secret_access_key = backend::Secret("testing");
  options.max_results = max_results;
  return EcrClient(std::move(options));
}

TEST(EcrClientMoto, PutsDescribesFetchesAndRetagsAnImage) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  EcrClient client = client_for(**sandbox);
  const std::string repo = repo_name("udab-server");
  const auto created = client.create_repository(repo);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->registry_id, kMotoAccountId);

  const std::string manifest = manifest_for(1);
  const std::string digest = backend::registry::sha256_digest(manifest);
  const std::string tag = std::string("stage-") + kSha;
  const auto put = client.put_image(repo, tag, manifest, kDockerManifestV2, digest);
  ASSERT_TRUE(put.ok()) << put.error().describe();
  EXPECT_EQ(put->digest, digest);
  EXPECT_EQ(put->tag, tag);

  auto images = client.describe_images(repo);
  ASSERT_TRUE(images.ok()) << images.error().describe();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].digest, digest);
  EXPECT_EQ((*images)[0].tags, std::vector<std::string>{tag});

  const auto fetched = client.batch_get_image(repo, digest);
  ASSERT_TRUE(fetched.ok()) << fetched.error().describe();
  EXPECT_EQ(fetched->manifest, manifest);
  EXPECT_EQ(fetched->media_type, kDockerManifestV2);

  const std::string migrated = std::string("stage-migrated-") + kSha;
  const auto retagged = client.put_image(repo, migrated, manifest, kDockerManifestV2, digest);
  ASSERT_TRUE(retagged.ok()) << retagged.error().describe();
  images = client.describe_images(repo);
  ASSERT_TRUE(images.ok()) << images.error().describe();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].digest, digest);
  auto tags = (*images)[0].tags;
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{tag, migrated}));

  // moto answers ImageAlreadyExistsException (not ImageTagAlreadyExistsException) for a
  // tag already on the same digest in a mutable repository, as ECR does.
  const auto again = client.put_image(repo, tag, manifest, kDockerManifestV2, digest);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, backend::ErrorCode::kAlreadyExists);
  EXPECT_EQ(backend::aws::ecr_error_kind(again.error()), EcrErrorKind::kImageAlreadyExists);
  EXPECT_EQ(again.error().detail, "ImageAlreadyExistsException");
  EXPECT_EQ(
      again.error().message.rfind("ECR PutImage " + repo + ":" + tag + ": ImageAlreadyExistsException: ", 0),
      0u)
      << again.error().message;
}

TEST(EcrClientMoto, PagesThroughMoreImagesThanOnePage) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  EcrClient client = client_for(**sandbox, 2);
  const std::string repo = repo_name("paged");
  ASSERT_TRUE(client.create_repository(repo).ok());
  std::vector<std::string> digests;
  for (int n = 0; n < 5; ++n) {
    const std::string manifest = manifest_for(100 + n);
    digests.push_back(backend::registry::sha256_digest(manifest));
    const auto put =
        client.put_image(repo, "v" + std::to_string(n), manifest, kDockerManifestV2, digests.back());
    ASSERT_TRUE(put.ok()) << put.error().describe();
  }
  // moto ignores maxResults and never sends nextToken for DescribeImages and ListImages: all five
  // come back in one page. Paging over nextToken is covered by the scripted server in tests/unit.
  const auto images = client.describe_images(repo);
  ASSERT_TRUE(images.ok()) << images.error().describe();
  std::vector<std::string> seen;
  for (const auto& image : *images) seen.push_back(image.digest);
  std::sort(seen.begin(), seen.end());
  std::sort(digests.begin(), digests.end());
  EXPECT_EQ(seen, digests);

  const auto ids = client.list_images(repo);
  ASSERT_TRUE(ids.ok()) << ids.error().describe();
  EXPECT_EQ(ids->size(), 5u);
}

TEST(EcrClientMoto, TypedErrorsForMissingRepositoryAndImage) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  EcrClient client = client_for(**sandbox);
  const std::string missing = repo_name("no-such-repo");
  const auto images = client.describe_images(missing);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.error().code, backend::ErrorCode::kNotFound);
  EXPECT_EQ(backend::aws::ecr_error_kind(images.error()), EcrErrorKind::kRepositoryNotFound);
  EXPECT_EQ(
      images.error().message.rfind("ECR DescribeImages " + missing + ": RepositoryNotFoundException: ", 0),
      0u)
      << images.error().message;

  const std::string repo = repo_name("fetch-missing");
  ASSERT_TRUE(client.create_repository(repo).ok());
  const auto fetched = client.batch_get_image(repo, backend::registry::sha256_digest("nothing"));
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(backend::aws::ecr_error_kind(fetched.error()), EcrErrorKind::kImageNotFound);
  EXPECT_EQ(fetched.error().code, backend::ErrorCode::kNotFound);

  const auto repos = client.describe_repositories({repo});
  ASSERT_TRUE(repos.ok()) << repos.error().describe();
  ASSERT_EQ(repos->size(), 1u);
  EXPECT_EQ((*repos)[0].name, repo);
  EXPECT_EQ((*repos)[0].tag_mutability, "MUTABLE");
}

TEST(EcrClientMoto, BatchDeleteImageDeletesByTagAndReportsAMissingId) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  EcrClient client = client_for(**sandbox);
  const std::string repo = repo_name("delete");
  ASSERT_TRUE(client.create_repository(repo).ok());
  std::vector<std::string> digests;
  for (int n = 0; n < 3; ++n) {
    const std::string manifest = manifest_for(200 + n);
    digests.push_back(backend::registry::sha256_digest(manifest));
    const auto put = client.put_image(repo, std::string("d").append(std::to_string(n)), manifest,
                                      kDockerManifestV2, digests.back());
    ASSERT_TRUE(put.ok()) << put.error().describe();
  }

  const auto deleted = client.batch_delete_image(repo, {{"", "d0"}, {digests[1], ""}});
  ASSERT_TRUE(deleted.ok()) << deleted.error().describe();
  std::vector<std::string> deleted_digests;
  for (const auto& id : *deleted) deleted_digests.push_back(id.digest);
  std::sort(deleted_digests.begin(), deleted_digests.end());
  std::vector<std::string> expected{digests[0], digests[1]};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(deleted_digests, expected);
  auto images = client.describe_images(repo);
  ASSERT_TRUE(images.ok()) << images.error().describe();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].digest, digests[2]);

  // moto, like ECR, reports an unknown id as failures[] inside a 200 while deleting the others.
  const auto partly = client.batch_delete_image(repo, {{"", "d2"}, {"", "no-such-tag"}});
  ASSERT_FALSE(partly.ok());
  EXPECT_EQ(partly.error().code, backend::ErrorCode::kNotFound);
  EXPECT_EQ(backend::aws::ecr_error_kind(partly.error()), EcrErrorKind::kImageNotFound);
  EXPECT_EQ(partly.error().message.rfind(
                "ECR BatchDeleteImage " + repo + ": image no-such-tag: ImageNotFound: ", 0),
            0u)
      << partly.error().message;
  images = client.describe_images(repo);
  ASSERT_TRUE(images.ok()) << images.error().describe();
  EXPECT_TRUE(images->empty());
}

TEST(EcrClientMoto, GetDownloadUrlForLayerIsACleanErrorWhereMotoLacksIt) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  EcrClient client = client_for(**sandbox);
  const std::string repo = repo_name("layers");
  ASSERT_TRUE(client.create_repository(repo).ok());
  const std::string digest = backend::registry::sha256_digest("config");
  // moto 5.2 raises NotImplementedError here, which Werkzeug turns into an HTML HTTP 500.
  const auto blob = client.get_blob(repo, digest);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, backend::ErrorCode::kUnavailable);
  EXPECT_EQ(blob.error().message, "ECR GetDownloadUrlForLayer " + repo + "@" + digest + ": HTTP 500");
}

}  // namespace
}  // namespace mgate::sandbox::testing
