// `mgate promote` and `mgate tags`, the real binary against the sandbox's moto_server (ECR) and
// docker-registry (OCI), judged by the real aws CLI and by the registry's own answers: both tags
// on one digest, the exact manifest bytes, refusals that change nothing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/http/client.hpp"
#include "backend/http/url.hpp"
#include "backend/registry/digest.hpp"
#include "backend/registry/media_types.hpp"
#include "backend/registry/oci_client.hpp"
#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

namespace fs = std::filesystem;
namespace reg = backend::registry;
using nlohmann::json;

constexpr int kRefusedExit = 3;

// A manifest as pushed: exact bytes, digest, media type.
struct Image {
  std::string bytes;
  std::string digest;
  std::string media_type;
};

Image image_of(std::string bytes, std::string_view media_type) {
  std::string digest = reg::sha256_digest(bytes);
  return Image{std::move(bytes), std::move(digest), std::string(media_type)};
}

std::string config_blob(const std::string& created, const std::string& arch, const std::string& build) {
  return fmt::format(R"({{"architecture":"{}","os":"linux","created":"{}","config":{{}},)"
                     R"("rootfs":{{"type":"layers","diff_ids":[]}},"build":"{}"}})",
                     arch, created, build);
}

// An image manifest over a config blob, indented so any re-serialisation would change its digest.
Image image_manifest(std::string_view media_type, const std::string& config) {
  const bool oci = media_type == reg::kOciManifest;
  const json j = {{"schemaVersion", 2},
                  {"mediaType", media_type},
                  {"config",
                   {{"mediaType", oci ? reg::kOciImageConfig : reg::kDockerImageConfig},
                    {"size", config.size()},
                    {"digest", reg::sha256_digest(config)}}},
                  {"layers", json::array()}};
  return image_of(j.dump(3) + "\n", media_type);
}

Image index_of(const std::vector<std::pair<Image, std::string>>& children) {
  json manifests = json::array();
  for (const auto& [child, arch] : children) {
    manifests.push_back({{"mediaType", child.media_type},
                         {"digest", child.digest},
                         {"size", child.bytes.size()},
                         {"platform", {{"architecture", arch}, {"os", "linux"}}}});
  }
  const json j = {{"schemaVersion", 2}, {"mediaType", reg::kOciIndex}, {"manifests", manifests}};
  return image_of(j.dump(2), reg::kOciIndex);
}

class PromoteCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    suffix_ = fmt::format("{}-{}", ::getpid(), counter_++);
    ecr_repo_ = "promote-" + suffix_;
    immutable_repo_ = "promote-imm-" + suffix_;
    oci_repo_ = "promote/" + suffix_;
    dir_ = make_test_dir("promote-" + suffix_);
    config_ = dir_ / "mgate.yaml";
    std::ofstream(config_) << fmt::format(
        "project: udab-server\n"
        "alembic:\n  scripts: {alembic}\n"
        "audit_log: {audit}\n"
        "environments:\n"
        "  stage:\n"
        "    kube:\n      jobs:\n        selector: component=migration\n        name: db-migration-{{sha7}}\n"
        "    database:\n      dsn_env: STAGE_DATABASE_URL\n"
        "    registry:\n      type: ecr\n      region: us-east-1\n      repository: {ecr}\n"
        "      built_tag: stage-{{sha}}\n      migrated_tag: stage-migrated-{{sha}}\n      endpoint: {moto}\n"
        "  locked:\n"
        "    kube:\n      jobs:\n        selector: component=migration\n        name: db-migration-{{sha7}}\n"
        "    database:\n      dsn_env: STAGE_DATABASE_URL\n"
        "    registry:\n      type: ecr\n      region: us-east-1\n      repository: {imm}\n"
        "      built_tag: stage-{{sha}}\n      migrated_tag: stage-migrated-{{sha}}\n"
        "  prod:\n"
        "    protected: true\n"
        "    kube:\n      jobs:\n        selector: component=migration\n        name: db-migration-{{sha7}}\n"
        "    database:\n      dsn_env: PROD_DATABASE_URL\n"
        "    registry:\n      type: oci\n      url: {registry}\n      repository: {oci}\n"
        "      built_tag: prod-{{sha}}\n      migrated_tag: prod-migrated-{{sha}}\n",
        fmt::arg("alembic", sandbox_->alembic_ini().string()), fmt::arg("audit", (dir_ / "audit.jsonl").string()),
        fmt::arg("ecr", ecr_repo_), fmt::arg("imm", immutable_repo_), fmt::arg("moto", sandbox_->moto_url()),
        fmt::arg("registry", sandbox_->registry_url()), fmt::arg("oci", oci_repo_));
    // The gate: a promote needs the environment's database at the heads (a closed gate is its
    // own test below). Idempotent, so every test starts open.
    for (const char* db : {"stage", "prod"}) alembic(db, {"upgrade", "heads"});
  }

  void alembic(const std::string& database, const std::vector<std::string>& args) const {
    const CommandResult r = run_alembic(*sandbox_, database, args);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
  }


  CommandResult run(std::vector<std::string> argv) const {
    Command c;
    c.argv = std::move(argv);
    c.env = sandbox_env(*sandbox_, {{"MGATE_CONFIG", config_.string()}, {"DOCKER_CONFIG", dir_.string()}});
    auto r = run_command(c);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : CommandResult{};
  }

  CommandResult mgate(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{(fs::path(std::getenv("MGATE_BUILD_DIR")) / "bin" / "mgate").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(std::move(argv));
  }

  // The aws CLI against moto, JSON output parsed.
  json aws(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"aws", "--endpoint-url", sandbox_->moto_url(), "--region", "us-east-1",
                                  "--output", "json", "ecr"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(std::move(argv));
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return r.out.empty() ? json() : json::parse(r.out, nullptr, false);
  }

  void create_ecr_repo(const std::string& name, const std::string& mutability = "MUTABLE") const {
    aws({"create-repository", "--repository-name", name, "--image-tag-mutability", mutability});
  }

  // What CI's push does: the bytes under a tag, with their true digest (moto invents a digest
  // when none is given; ECR itself hashes the bytes).
  void ecr_put(const std::string& repo, const std::string& tag, const Image& image) const {
    const fs::path file = dir_ / (reg::sha256_digest(image.bytes).substr(7) + ".json");
    std::ofstream(file, std::ios::binary) << image.bytes;
    const json put = aws({"put-image", "--repository-name", repo, "--image-tag", tag, "--image-manifest",
                          "file://" + file.string(), "--image-manifest-media-type", image.media_type,
                          "--image-digest", image.digest});
    EXPECT_EQ(put["image"]["imageId"]["imageDigest"], image.digest);
  }

  // The tags `aws ecr describe-images` lists on digest.
  std::vector<std::string> ecr_tags_of(const std::string& repo, const std::string& digest) const {
    const json d = aws({"describe-images", "--repository-name", repo, "--image-ids", "imageDigest=" + digest});
    std::vector<std::string> tags = d["imageDetails"][0].value("imageTags", std::vector<std::string>{});
    std::sort(tags.begin(), tags.end());
    return tags;
  }

  std::string ecr_digest_of(const std::string& repo, const std::string& tag) const {
    const json d = aws({"describe-images", "--repository-name", repo, "--image-ids", "imageTag=" + tag});
    return d["imageDetails"][0].value("imageDigest", std::string{});
  }

  reg::OciClient oci() const {
    return reg::OciClient(reg::OciOptions{sandbox_->registry_url(), oci_repo_, std::nullopt, {}});
  }

  void oci_push_blob(const std::string& bytes) const {
    backend::http::Client http;
    const auto opened = http.send(backend::http::Request{
        .method = "POST", .url = fmt::format("{}/v2/{}/blobs/uploads/", sandbox_->registry_url(), oci_repo_)});
    ASSERT_TRUE(opened.ok() && opened->status == 202);
    auto upload = backend::http::resolve_url(sandbox_->registry_url(), opened->header("Location").value_or(""));
    ASSERT_TRUE(upload.ok());
    const char sep = upload->find('?') == std::string::npos ? '?' : '&';
    backend::http::Request close{.method = "PUT",
                                 .url = fmt::format("{}{}digest={}", *upload, sep, reg::sha256_digest(bytes)),
                                 .body = bytes};
    close.add_header("Content-Type", "application/octet-stream");
    const auto closed = http.send(close);
    ASSERT_TRUE(closed.ok() && closed->status == 201) << (closed.ok() ? closed->body : closed.error().message);
  }

  void oci_put(const std::string& tag, const Image& image) const {
    auto client = oci();
    const auto put = client.put_manifest(tag, reg::Manifest{image.media_type, image.digest, image.bytes});
    ASSERT_TRUE(put.ok()) << put.error().describe();
  }

  json tags_json(const std::string& env) const {
    const auto r = mgate({"--env", env, "tags", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    const json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j.is_discarded() || !j.contains("environments") ? json::object() : j["environments"][0];
  }

  static const json* row_for(const json& env, const std::string& sha) {
    if (!env.contains("shas")) return nullptr;
    for (const auto& row : env["shas"])
      if (row["sha"] == sha) return &row;
    return nullptr;
  }

  static inline int counter_ = 0;
  Sandbox* sandbox_ = nullptr;
  std::string suffix_;
  std::string ecr_repo_;
  std::string immutable_repo_;
  std::string oci_repo_;
  fs::path dir_;
  fs::path config_;
};

TEST_F(PromoteCli, EcrPromotesADockerAnOciAndAMultiArchImage) {
  create_ecr_repo(ecr_repo_);
  const Image docker = image_manifest(reg::kDockerManifestV2, config_blob("2026-11-20T08:00:00Z", "amd64", "docker"));
  const Image oci = image_manifest(reg::kOciManifest, config_blob("2026-11-20T09:00:00Z", "amd64", "oci"));
  const Image amd = image_manifest(reg::kOciManifest, config_blob("2026-11-20T10:00:00Z", "amd64", "multi"));
  const Image arm = image_manifest(reg::kOciManifest, config_blob("2026-11-20T10:00:00Z", "arm64", "multi"));
  const Image index = index_of({{amd, "amd64"}, {arm, "arm64"}});
  ecr_put(ecr_repo_, "child-amd64", amd);
  ecr_put(ecr_repo_, "child-arm64", arm);
  const std::vector<std::pair<std::string, Image>> builds = {
      {"3f2a1c9d8e7b", docker}, {"8c41e07d2b95", oci}, {"b7d3f5a19c20", index}};
  for (const auto& [sha, image] : builds) ecr_put(ecr_repo_, "stage-" + sha, image);

  for (const auto& [sha, image] : builds) {
    SCOPED_TRACE(image.media_type);
    const auto r = mgate({"--env", "stage", "promote", sha, "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << r.out;
    EXPECT_NE(r.out.find("aws ecr put-image --repository-name " + ecr_repo_ + " --image-tag stage-migrated-" + sha),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("promoted stage: stage-migrated-" + sha + " -> " + image.digest), std::string::npos) << r.out;
    // The aws CLI sees both tags on one digest, and the migrated tag serves the exact bytes.
    EXPECT_EQ(ecr_tags_of(ecr_repo_, image.digest),
              (std::vector<std::string>{"stage-" + sha, "stage-migrated-" + sha}));
    const json got = aws({"batch-get-image", "--repository-name", ecr_repo_, "--image-ids",
                          "imageTag=stage-migrated-" + sha, "--accepted-media-types", image.media_type});
    EXPECT_EQ(got["images"][0]["imageManifest"], image.bytes);

    const auto again = mgate({"--env", "stage", "promote", sha, "--yes"});
    EXPECT_EQ(again.exit_code, 0) << again.describe();
    EXPECT_NE(again.out.find("already promoted"), std::string::npos) << again.out;
  }

  const json env = tags_json("stage");
  EXPECT_EQ(env["other_tags"], 2);  // the index's children
  for (const auto& [sha, image] : builds) {
    const json* row = row_for(env, sha);
    ASSERT_NE(row, nullptr) << sha;
    EXPECT_EQ((*row)["same_digest"], true);
    EXPECT_EQ((*row)["digest"], image.digest);
    EXPECT_EQ((*row)["media_type"], image.media_type);
    // moto has no GetDownloadUrlForLayer: the push time stands in, marked as such.
    EXPECT_EQ((*row)["build_date_source"], "pushed-time");
    EXPECT_TRUE((*row)["pushed_at"].is_string());
  }

  // Every promote and no-op is in the audit log.
  std::ifstream audit(dir_ / "audit.jsonl");
  int succeeded = 0;
  for (std::string line; std::getline(audit, line);) {
    const json record = json::parse(line);
    EXPECT_EQ(record["action"], "promote");
    succeeded += record["outcome"] == "succeeded" ? 1 : 0;
  }
  EXPECT_EQ(succeeded, 6);
}

TEST_F(PromoteCli, EcrRefusesAMigratedTagOnAnotherDigestAndChangesNothing) {
  create_ecr_repo(ecr_repo_);
  const Image built = image_manifest(reg::kDockerManifestV2, config_blob("2026-11-20T08:00:00Z", "amd64", "new"));
  const Image other = image_manifest(reg::kDockerManifestV2, config_blob("2026-11-19T08:00:00Z", "amd64", "old"));
  ecr_put(ecr_repo_, "stage-0a7f4d3e6c58", built);
  ecr_put(ecr_repo_, "stage-migrated-0a7f4d3e6c58", other);
  const auto r = mgate({"--env", "stage", "promote", "0a7f4d3e6c58", "--yes"});
  EXPECT_EQ(r.exit_code, kRefusedExit) << r.describe();
  EXPECT_NE(r.err.find("stage-migrated-0a7f4d3e6c58 already names " + other.digest), std::string::npos) << r.err;
  EXPECT_EQ(ecr_digest_of(ecr_repo_, "stage-migrated-0a7f4d3e6c58"), other.digest);
  EXPECT_EQ(ecr_tags_of(ecr_repo_, built.digest), std::vector<std::string>{"stage-0a7f4d3e6c58"});

  const json env = tags_json("stage");
  const json* row = row_for(env, "0a7f4d3e6c58");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ((*row)["same_digest"], false);
  EXPECT_EQ((*row)["migrated"]["digest"], other.digest);
}

TEST_F(PromoteCli, OnAnImmutableRepositoryTheRefusalNamesTheOwningDigest) {
  create_ecr_repo(immutable_repo_, "IMMUTABLE");
  const Image built = image_manifest(reg::kOciManifest, config_blob("2026-11-20T08:00:00Z", "amd64", "a"));
  const Image other = image_manifest(reg::kOciManifest, config_blob("2026-11-20T08:00:00Z", "amd64", "b"));
  const Image fresh = image_manifest(reg::kOciManifest, config_blob("2026-11-20T08:00:00Z", "amd64", "c"));
  ecr_put(immutable_repo_, "stage-e4b1f9a7c3d2", built);
  ecr_put(immutable_repo_, "stage-migrated-e4b1f9a7c3d2", other);
  ecr_put(immutable_repo_, "stage-5e9b2c8a4f17", fresh);

  const auto refused = mgate({"--env", "locked", "promote", "e4b1f9a7c3d2", "--yes"});
  EXPECT_EQ(refused.exit_code, kRefusedExit) << refused.describe();
  EXPECT_NE(refused.err.find("immutable: stage-migrated-e4b1f9a7c3d2 is owned by digest " + other.digest),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(ecr_digest_of(immutable_repo_, "stage-migrated-e4b1f9a7c3d2"), other.digest);

  // A tag not yet set can be created; the plan says it can never move afterwards.
  const auto created = mgate({"--env", "locked", "promote", "5e9b2c8a4f17", "--yes"});
  EXPECT_EQ(created.exit_code, 0) << created.describe();
  EXPECT_NE(created.out.find("tags:  immutable"), std::string::npos) << created.out;
  EXPECT_NE(created.out.find("can never be moved"), std::string::npos) << created.out;
  EXPECT_EQ(ecr_digest_of(immutable_repo_, "stage-migrated-5e9b2c8a4f17"), fresh.digest);
}

TEST_F(PromoteCli, OciPromotesByteForByteIncludingAnIndex) {
  const std::string docker_config = config_blob("2026-11-18T07:00:00.25Z", "amd64", "docker");
  const std::string amd_config = config_blob("2026-11-20T06:30:00Z", "amd64", "multi");
  const std::string arm_config = config_blob("2026-11-01T00:00:00Z", "arm64", "multi");
  for (const auto& blob : {docker_config, amd_config, arm_config}) oci_push_blob(blob);
  const Image docker = image_manifest(reg::kDockerManifestV2, docker_config);
  const Image amd = image_manifest(reg::kOciManifest, amd_config);
  const Image arm = image_manifest(reg::kOciManifest, arm_config);
  oci_put("child-amd64", amd);
  oci_put("child-arm64", arm);
  const Image index = index_of({{arm, "arm64"}, {amd, "amd64"}});
  oci_put("prod-3f2a1c9d8e7b", docker);
  oci_put("prod-b7d3f5a19c20", index);

  // A protected environment: --yes alone is not enough.
  const auto unconfirmed = mgate({"--env", "prod", "promote", "b7d3f5a19c20", "--yes"});
  EXPECT_EQ(unconfirmed.exit_code, kRefusedExit) << unconfirmed.describe();

  const auto dry = mgate({"--env", "prod", "promote", "b7d3f5a19c20", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.describe();
  EXPECT_NE(dry.out.find("crane tag --insecure"), std::string::npos) << dry.out;
  auto client = oci();
  auto absent = client.head_manifest("prod-migrated-b7d3f5a19c20");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  for (const auto& [sha, image] : std::vector<std::pair<std::string, Image>>{{"3f2a1c9d8e7b", docker},
                                                                              {"b7d3f5a19c20", index}}) {
    SCOPED_TRACE(image.media_type);
    const auto r = mgate({"--env", "prod", "promote", sha, "--yes", "--confirm-env", "prod"});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << r.out;
    auto served = client.get_manifest("prod-migrated-" + sha);
    ASSERT_TRUE(served.ok()) << served.error().describe();
    EXPECT_EQ(served->bytes, image.bytes);
    EXPECT_EQ(served->digest, image.digest);
    EXPECT_EQ(served->media_type, image.media_type);
  }

  const json env = tags_json("prod");
  const json* plain = row_for(env, "3f2a1c9d8e7b");
  const json* multi = row_for(env, "b7d3f5a19c20");
  ASSERT_TRUE(plain != nullptr && multi != nullptr) << env.dump(2);
  EXPECT_EQ((*plain)["same_digest"], true);
  EXPECT_EQ((*plain)["build_date"], "2026-11-18T07:00:00.250Z");
  EXPECT_EQ((*plain)["build_date_source"], "image-config");
  EXPECT_EQ((*plain)["media_type"], reg::kDockerManifestV2);
  EXPECT_EQ((*multi)["media_type"], reg::kOciIndex);
  EXPECT_EQ((*multi)["build_date"], "2026-11-20T06:30:00.000Z");  // the amd64 image's config
  EXPECT_EQ(env["shas"][0]["sha"], "b7d3f5a19c20");                  // newest build first
  EXPECT_EQ((*multi)["pushed_at"], nullptr);                          // the OCI API has no push time
}

TEST_F(PromoteCli, TagsReportsEachEnvironmentAndExitsFourWhenOneFails) {
  create_ecr_repo(ecr_repo_);
  // prod's repository does not exist in docker-registry: that environment fails, stage answers.
  const auto r = mgate({"--env", "stage", "tags"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("no tags match the patterns"), std::string::npos) << r.out;
  const auto both = mgate({"tags", "--json"});
  EXPECT_EQ(both.exit_code, 4) << both.describe();
  const json j = json::parse(both.out);
  ASSERT_EQ(j["environments"].size(), 3u);
  EXPECT_EQ(j["environments"][0]["env"], "stage");
  EXPECT_EQ(j["environments"][0]["error"], nullptr);
  EXPECT_EQ(j["environments"][1]["error"]["code"], "not_found");  // locked's repository was never created
  EXPECT_EQ(j["environments"][2]["error"]["code"], "not_found");
}

TEST_F(PromoteCli, AClosedGateRefusesUnlessForcedWithAReasonWhichIsAudited) {
  create_ecr_repo(ecr_repo_);
  const Image image = image_manifest(reg::kDockerManifestV2, config_blob("2026-11-21T08:00:00Z", "amd64", "gate"));
  ecr_put(ecr_repo_, "stage-5e9b2c8a4f17", image);
  alembic("stage", {"downgrade", "b7d3f5a19c20"});  // a restore: four revisions behind the heads

  const auto refused = mgate({"--env", "stage", "promote", "5e9b2c8a4f17", "--yes"});
  EXPECT_EQ(refused.exit_code, 3) << refused.describe();
  EXPECT_NE(refused.err.find("refused: gate closed: the database is 4 behind: 0a7f4d3e6c58, 5e9b2c8a4f17, "
                             "d2c6a8e1f3b9, e4b1f9a7c3d2, not at the head e4b1f9a7c3d2 the image of 5e9b2c8 carries; "
                             "promote anyway only with --force-ungated --reason"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(ecr_tags_of(ecr_repo_, image.digest), (std::vector<std::string>{"stage-5e9b2c8a4f17"}));

  const auto no_reason = mgate({"--env", "stage", "promote", "5e9b2c8a4f17", "--yes", "--force-ungated"});
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.describe();
  EXPECT_NE(no_reason.err.find("--force-ungated needs --reason"), std::string::npos) << no_reason.err;

  const auto forced = mgate({"--env", "stage", "promote", "5e9b2c8a4f17", "--yes", "--force-ungated", "--reason",
                             "INC-4711: hotfix image, schema checked by hand"});
  ASSERT_EQ(forced.exit_code, 0) << forced.describe() << forced.out;
  EXPECT_NE(forced.out.find("note: FORCED past the gate (gate closed: the database is 4 behind"), std::string::npos)
      << forced.out;
  EXPECT_EQ(ecr_tags_of(ecr_repo_, image.digest),
            (std::vector<std::string>{"stage-5e9b2c8a4f17", "stage-migrated-5e9b2c8a4f17"}));
  std::vector<json> records;
  std::ifstream in(dir_ / "audit.jsonl");
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["outcome"], "refused");
  EXPECT_EQ(records[1]["outcome"], "failed");
  EXPECT_EQ(records[2]["outcome"], "succeeded");
  EXPECT_EQ(records[2]["reason"], "INC-4711: hotfix image, schema checked by hand");
  EXPECT_EQ(records[2]["arguments"]["force_ungated"], true);
  EXPECT_NE(records[2]["arguments"]["gate"].get<std::string>().find("4 behind"), std::string::npos);
  alembic("stage", {"upgrade", "heads"});
}

}  // namespace
}  // namespace mgate::sandbox::testing
