// The tag pattern read both ways, grouping by commit, build dates from image configs, and the
// details cache. Registries themselves are tested against moto and docker-registry.

#include <gtest/gtest.h>

#include "backend/registry/media_types.hpp"
#include "backend/registry/tag_model.hpp"
#include "tests/support/memory_registry.hpp"

namespace mgate::backend::registry {
namespace {

using testing::MemoryRegistry;

constexpr const char* kSha1 = "3f2a1c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";
constexpr const char* kSha2 = "8c41e07d2b95aa00bb11cc22dd33ee44ff556677";

TagPattern pattern(const char* text, const char* env = "stage") {
  auto p = TagPattern::parse(text, env);
  EXPECT_TRUE(p.ok()) << (p ? "" : p.error().message);
  return *p;
}

Clock::time_point at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

TEST(TagPattern, MatchesTheCommitOfATag) {
  const TagPattern built = pattern("{env}-{sha}");
  EXPECT_EQ(built.text(), "stage-{sha}");
  EXPECT_EQ(built.match("stage-3f2a1c9"), "3f2a1c9");
  EXPECT_EQ(built.match(std::string("stage-") + kSha1), kSha1);
  EXPECT_EQ(built.match("stage-migrated-3f2a1c9"), std::nullopt);  // "migrated-" is not hex
  EXPECT_EQ(built.match("stage-3f2a1c"), std::nullopt);            // 6 digits: too short
  EXPECT_EQ(built.match("stage-3F2A1C9"), std::nullopt);           // git writes lower case
  EXPECT_EQ(built.match("prod-3f2a1c9"), std::nullopt);
  EXPECT_EQ(built.match("stage-3f2a1c9-dirty"), std::nullopt);
  EXPECT_EQ(built.tag_for("abcdef1"), "stage-abcdef1");
  EXPECT_FALSE(built.short_only());
}

TEST(TagPattern, Sha7TakesExactlySevenDigits) {
  const TagPattern p = pattern("db-{sha7}-migrated");
  EXPECT_TRUE(p.short_only());
  EXPECT_EQ(p.match("db-3f2a1c9-migrated"), "3f2a1c9");
  EXPECT_EQ(p.match("db-3f2a1c9d-migrated"), std::nullopt);
  EXPECT_EQ(p.tag_for(kSha1), "db-3f2a1c9-migrated");
}

TEST(TagPattern, RepeatedPlaceholdersMustNameOneCommit) {
  const TagPattern p = pattern("{sha7}-build-{sha}");
  EXPECT_EQ(p.match("3f2a1c9-build-3f2a1c9d8e"), "3f2a1c9d8e");
  EXPECT_EQ(p.match("3f2a1c9-build-8c41e07d2b"), std::nullopt);
}

TEST(TagPattern, AHexLiteralAfterShaIsLeftToTheLiteral) {
  const TagPattern p = pattern("{sha}ab");
  EXPECT_EQ(p.match("3f2a1c9ab"), "3f2a1c9");
  EXPECT_EQ(p.match("3f2a1c9"), std::nullopt);
}

TEST(TagPattern, RefusesAPatternWithoutACommit) {
  auto p = TagPattern::parse("{env}-latest", "stage");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(p.error().message.find("{sha}"), std::string::npos) << p.error().message;
}

TEST(TagPattern, CommitShas) {
  EXPECT_TRUE(is_commit_sha("3f2a1c9"));
  EXPECT_TRUE(is_commit_sha(kSha1));
  EXPECT_FALSE(is_commit_sha("3f2a1c"));
  EXPECT_FALSE(is_commit_sha("3f2a1cz"));
  EXPECT_FALSE(is_commit_sha(std::string(65, 'a')));
}

TagPatterns stage_patterns() { return TagPatterns{pattern("stage-{sha}"), pattern("stage-migrated-{sha}")}; }

TEST(GroupBySha, PairsBuiltAndMigratedTags) {
  const std::vector<TaggedImage> images = {
      {"stage-3f2a1c9", "sha256:a", "", at("2026-11-20T10:00:00Z")},
      {"stage-migrated-3f2a1c9", "sha256:a", "", at("2026-11-20T10:05:00Z")},
      {"stage-8c41e07", "sha256:b", "", at("2026-11-20T11:00:00Z")},
      {"stage-migrated-d2c6a8e", "sha256:c", "", std::nullopt},  // built tag deleted by a lifecycle rule
  };
  auto rows = group_by_sha(images, stage_patterns());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].sha, "3f2a1c9");
  ASSERT_TRUE(rows[0].built && rows[0].migrated);
  EXPECT_TRUE(rows[0].same_digest());
  EXPECT_EQ(rows[0].pushed_at, at("2026-11-20T10:00:00Z"));  // the built tag's push
  EXPECT_EQ(rows[0].build_date_source, BuildDateSource::kPushedTime);
  EXPECT_EQ(rows[1].sha, "8c41e07");
  EXPECT_FALSE(rows[1].migrated);
  EXPECT_FALSE(rows[1].same_digest());
  EXPECT_EQ(rows[2].sha, "d2c6a8e");
  EXPECT_FALSE(rows[2].built);
  EXPECT_EQ(rows[2].digest(), "sha256:c");
  EXPECT_EQ(rows[2].build_date_source, BuildDateSource::kUnknown);
}

TEST(GroupBySha, DifferentDigestsAreNotTheSame) {
  auto rows = group_by_sha({{"stage-3f2a1c9", "sha256:a", "", {}}, {"stage-migrated-3f2a1c9", "sha256:b", "", {}}},
                           stage_patterns());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].same_digest());
}

TEST(SortNewestFirst, ByBuildDateThenUndatedBySha) {
  std::vector<ShaImages> rows(4);
  rows[0].sha = "bbbbbbb";
  rows[1].sha = "aaaaaaa";
  rows[2].sha = "ccccccc";
  rows[2].build_date = at("2026-11-01T00:00:00Z");
  rows[3].sha = "ddddddd";
  rows[3].build_date = at("2026-11-02T00:00:00Z");
  sort_newest_first(rows);
  EXPECT_EQ(rows[0].sha, "ddddddd");
  EXPECT_EQ(rows[1].sha, "ccccccc");
  EXPECT_EQ(rows[2].sha, "aaaaaaa");
  EXPECT_EQ(rows[3].sha, "bbbbbbb");
}

TEST(TagReader, DatesEachCommitByItsImageConfig) {
  MemoryRegistry mem;
  // Older push, newer build: Image Updater's newest-build goes by the config, and so does the model.
  const auto d1 = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T12:00:00.5Z"))),
                                   std::string(kDockerManifestV2));
  const auto d2 = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T09:00:00Z"))),
                                   std::string(kDockerManifestV2));
  mem.tag("stage-3f2a1c9", d1, at("2026-11-20T08:00:00Z"));
  mem.tag("stage-8c41e07", d2, at("2026-11-20T13:00:00Z"));
  mem.tag("latest", d2);
  mem.tag("prod-8c41e07", d2);
  TagReader reader(mem, stage_patterns());
  auto model = reader.read();
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->other_tags, 2u);
  ASSERT_EQ(model->shas.size(), 2u);
  EXPECT_EQ(model->shas[0].sha, "3f2a1c9");
  EXPECT_EQ(model->shas[0].build_date, at("2026-11-20T12:00:00.5Z"));
  EXPECT_EQ(model->shas[0].build_date_source, BuildDateSource::kImageConfig);
  EXPECT_EQ(model->shas[0].media_type, kDockerManifestV2);
  EXPECT_EQ(model->shas[0].built->media_type, kDockerManifestV2);
  EXPECT_EQ(model->shas[1].sha, "8c41e07");
  // Details are read once per digest: a second read asks for no manifest or blob.
  const int manifests = mem.calls["get_manifest"];
  const int blobs = mem.calls["get_blob"];
  EXPECT_EQ(manifests, 2);
  EXPECT_EQ(blobs, 2);
  ASSERT_TRUE(reader.read().ok());
  EXPECT_EQ(mem.calls["get_manifest"], manifests);
  EXPECT_EQ(mem.calls["get_blob"], blobs);
}

TEST(TagReader, FallsBackToThePushTimeMarkedAsSuch) {
  MemoryRegistry mem;
  mem.blobs_unavailable = true;  // what moto's ECR gives: no GetDownloadUrlForLayer
  const auto d = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T12:00:00Z"))),
                                  std::string(kOciManifest));
  mem.tag("stage-3f2a1c9", d, at("2026-11-20T08:00:00Z"));
  TagReader reader(mem, stage_patterns());
  auto model = reader.read();
  ASSERT_TRUE(model.ok());
  ASSERT_EQ(model->shas.size(), 1u);
  EXPECT_EQ(model->shas[0].build_date, at("2026-11-20T08:00:00Z"));
  EXPECT_EQ(model->shas[0].build_date_source, BuildDateSource::kPushedTime);
  EXPECT_EQ(model->shas[0].media_type, kOciManifest);  // still learnt from the manifest
  EXPECT_NE(model->shas[0].detail_error.find("blobs cannot be read"), std::string::npos);
  // An unservable blob is remembered, not asked again every refresh.
  ASSERT_TRUE(reader.read().ok());
  EXPECT_EQ(mem.calls["get_blob"], 1);
}

TEST(TagReader, DatesAnIndexByItsLinuxAmd64Image) {
  MemoryRegistry mem;
  const auto arm = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-01-01T00:00:00Z", "arm64"))),
                                    std::string(kOciManifest));
  const auto amd = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T07:30:00+01:00"))),
                                    std::string(kOciManifest));
  const std::string index = fmt::format(
      R"({{"schemaVersion":2,"mediaType":"{}","manifests":[)"
      R"({{"mediaType":"{}","digest":"{}","size":1,"platform":{{"architecture":"arm64","os":"linux"}}}},)"
      R"({{"mediaType":"{}","digest":"{}","size":1,"platform":{{"architecture":"amd64","os":"linux"}}}}]}})",
      kOciIndex, kOciManifest, arm, kOciManifest, amd);
  mem.tag("stage-3f2a1c9", mem.add_manifest(index, std::string(kOciIndex)));
  TagReader reader(mem, stage_patterns());
  auto model = reader.read();
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->shas[0].media_type, kOciIndex);
  EXPECT_EQ(model->shas[0].build_date, at("2026-11-20T06:30:00Z"));
  EXPECT_EQ(model->shas[0].build_date_source, BuildDateSource::kImageConfig);
}

TEST(TagReader, ReadsDetailsOnlyForTheNewestCommits) {
  MemoryRegistry mem;
  for (int i = 0; i < 5; ++i) {
    const auto d = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T00:00:00Z")), i),
                                    std::string(kDockerManifestV2));
    mem.tag(fmt::format("stage-{:07x}", 0xa000000 + i), d, at("2026-11-01T00:00:00Z") + std::chrono::hours(i));
  }
  TagReader reader(mem, stage_patterns(), TagReaderOptions{2});
  auto model = reader.read();
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(mem.calls["get_blob"], 2);
  EXPECT_EQ(model->shas[0].build_date_source, BuildDateSource::kImageConfig);
  EXPECT_EQ(model->shas[0].sha, "a000004");  // the newest push got its details
  EXPECT_EQ(model->shas[4].build_date_source, BuildDateSource::kPushedTime);
}

TEST(TagReader, AFailingListingIsTheError) {
  MemoryRegistry mem;
  mem.fail_list = make_error(ErrorCode::kPermissionDenied, "ECR DescribeImages udab-server: AccessDeniedException");
  TagReader reader(mem, stage_patterns());
  auto model = reader.read();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kPermissionDenied);
}

TEST(TagModelJson, NamesEveryField) {
  MemoryRegistry mem;
  const auto d = mem.add_manifest(testing::docker_manifest(mem.add_blob(testing::image_config("2026-11-20T12:00:00Z"))),
                                  std::string(kDockerManifestV2));
  mem.tag("stage-3f2a1c9", d, at("2026-11-20T08:00:00Z"));
  mem.tag("stage-migrated-3f2a1c9", d);
  TagReader reader(mem, stage_patterns());
  auto model = reader.read();
  ASSERT_TRUE(model.ok());
  const auto j = to_json(*model);
  EXPECT_EQ(j["registry"], "MEM test/repo");
  EXPECT_EQ(j["built_tag"], "stage-{sha}");
  ASSERT_EQ(j["shas"].size(), 1u);
  const auto& row = j["shas"][0];
  EXPECT_EQ(row["sha"], "3f2a1c9");
  EXPECT_EQ(row["built"]["tag"], "stage-3f2a1c9");
  EXPECT_EQ(row["built"]["digest"], d);
  EXPECT_EQ(row["built"]["pushed_at"], "2026-11-20T08:00:00.000Z");
  EXPECT_EQ(row["migrated"]["tag"], "stage-migrated-3f2a1c9");
  EXPECT_EQ(row["migrated"]["pushed_at"], nullptr);
  EXPECT_EQ(row["same_digest"], true);
  EXPECT_EQ(row["build_date"], "2026-11-20T12:00:00.000Z");
  EXPECT_EQ(row["build_date_source"], "image-config");
  EXPECT_EQ(row["media_type"], kDockerManifestV2);
}

TEST(FindSha, ExactPrefixAndAmbiguous) {
  TagModel model;
  model.registry = "MEM";
  model.shas.resize(3);
  model.shas[0].sha = "3f2a1c9d8e";
  model.shas[1].sha = "3f2a1c9a00";
  model.shas[2].sha = "8c41e07";
  auto exact = find_sha(model, "3f2a1c9d8e");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ((*exact)->sha, "3f2a1c9d8e");
  auto shorter = find_sha(model, "8c41e07d2b95");  // a full sha typed against a 7-digit tag
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ((*shorter)->sha, "8c41e07");
  auto ambiguous = find_sha(model, "3f2a1c9");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(ambiguous.error().message.find("3f2a1c9d8e, 3f2a1c9a00"), std::string::npos) << ambiguous.error().message;
  EXPECT_EQ(find_sha(model, "0000000").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mgate::backend::registry
