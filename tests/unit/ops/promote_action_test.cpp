// The promote's guards and its plan → confirm → execute → verify → audit sequence, on an
// in-memory registry that can stage the races a real one will not produce on demand. The same
// promote runs against moto_server and docker-registry in tests/integration/promote_test.cpp.

#include "backend/ops/promote_action.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "backend/registry/media_types.hpp"
#include "tests/support/memory_registry.hpp"

namespace mgate::backend::ops {
namespace {

using testing::MemoryRegistry;
namespace fs = std::filesystem;

class FixedGate final : public PromoteGate {
 public:
  explicit FixedGate(Result<std::optional<std::string>> answer) : answer_(std::move(answer)) {}
  Result<std::optional<std::string>> blocked(const std::string& sha) override {
    asked.push_back(sha);
    return answer_;
  }
  std::vector<std::string> asked;

 private:
  Result<std::optional<std::string>> answer_;
};

class PromoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("mgate-promote-test-{}", ::getpid());
    fs::remove_all(dir_);
    audit_ = std::make_unique<AuditLog>(dir_ / "audit.jsonl");
    env_.name = "stage";
    env_.registry.built_tag = "stage-{sha}";
    env_.registry.migrated_tag = "stage-migrated-{sha}";
    built_bytes_ = testing::docker_manifest(mem_.add_blob(testing::image_config("2026-11-20T12:00:00Z")));
    built_ = mem_.add_manifest(built_bytes_, std::string(registry::kDockerManifestV2));
    mem_.tag("stage-3f2a1c9d8e", built_);
    ctx_.config = &config_;
    ctx_.env = &env_;
    ctx_.registry = &mem_;
    ctx_.audit = audit_.get();
    ctx_.user = "oncall";
    hooks_.show = [this](const PromotePlan& p) { shown_ = p.describe(); };
    hooks_.confirm = [this](const Confirmation& c) -> Status {
      asked_ = c;
      if (on_confirm_) on_confirm_();
      return confirm_answer_;
    };
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<nlohmann::json> records() {
    auto all = audit_->read_all();
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<nlohmann::json>{};
  }

  Result<PromoteResult> promote(const std::string& sha, bool dry_run = false) {
    return run_promote(ctx_, PromoteRequest{"stage", sha}, hooks_, dry_run);
  }

  fs::path dir_;
  std::unique_ptr<AuditLog> audit_;
  config::Config config_;
  config::Environment env_;
  MemoryRegistry mem_;
  std::string built_bytes_;
  std::string built_;
  PromoteContext ctx_;
  PromoteHooks hooks_;
  std::vector<std::string> shown_;
  std::optional<Confirmation> asked_;
  Status confirm_answer_ = ok_status();
  std::function<void()> on_confirm_;
};

TEST_F(PromoteTest, PlansFromFreshState) {
  auto plan = plan_promote(ctx_, PromoteRequest{"stage", "3f2a1c9d8e"});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->source_tag, "stage-3f2a1c9d8e");
  EXPECT_EQ(plan->target_tag, "stage-migrated-3f2a1c9d8e");
  EXPECT_EQ(plan->source.digest, built_);
  EXPECT_EQ(plan->source.media_type, registry::kDockerManifestV2);
  EXPECT_EQ(plan->target_state, TargetState::kAbsent);
  EXPECT_FALSE(plan->no_op());
  ASSERT_EQ(plan->commands.size(), 1u);
  EXPECT_EQ(plan->commands[0], "memtag " + built_ + " stage-migrated-3f2a1c9d8e");
  ASSERT_EQ(plan->notes.size(), 1u);
  EXPECT_NE(plan->notes[0].find("gate not checked"), std::string::npos);
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
}

TEST_F(PromoteTest, CopiesTheExactBytesAndVerifiesAndAudits) {
  auto result = promote("3f2a1c9d8e");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->no_op);
  EXPECT_EQ(result->verified_digest, built_);
  ASSERT_TRUE(mem_.last_put);
  EXPECT_EQ(mem_.last_put->bytes, built_bytes_);
  EXPECT_EQ(mem_.last_put->media_type, registry::kDockerManifestV2);
  EXPECT_EQ(mem_.tags.at("stage-migrated-3f2a1c9d8e"), built_);
  ASSERT_TRUE(asked_);
  EXPECT_EQ(asked_->type_to_confirm, std::nullopt);
  EXPECT_NE(asked_->question.find("stage-migrated-3f2a1c9d8e"), std::string::npos);
  EXPECT_FALSE(shown_.empty());
  const auto log = records();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["action"], "promote");
  EXPECT_EQ(log[0]["outcome"], "succeeded");
  EXPECT_EQ(log[0]["user"], "oncall");
  EXPECT_EQ(log[0]["arguments"]["target_tag"], "stage-migrated-3f2a1c9d8e");
  EXPECT_EQ(log[0]["before"]["target"]["digest"], "absent");
  EXPECT_EQ(log[0]["before"]["source_digest"], built_);
  EXPECT_EQ(log[0]["after"]["target"]["digest"], built_);
  EXPECT_EQ(log[0]["after"]["no_op"], false);
}

TEST_F(PromoteTest, AcceptsAUniquePrefixOfTheCommit) {
  auto result = promote("3f2a1c9");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->plan.sha, "3f2a1c9d8e");
  EXPECT_EQ(mem_.tags.at("stage-migrated-3f2a1c9d8e"), built_);
}

TEST_F(PromoteTest, AnUnknownCommitIsNotFoundAndAuditedAsFailed) {
  auto result = promote("0123456");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find("stage-0123456"), std::string::npos) << result.error().message;
  EXPECT_EQ(records().at(0)["outcome"], "failed");
  auto bad = promote("not-a-sha");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PromoteTest, SameDigestIsASuccessfulNoOp) {
  mem_.tag("stage-migrated-3f2a1c9d8e", built_);
  auto result = promote("3f2a1c9d8e");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->no_op);
  EXPECT_EQ(result->verified_digest, built_);
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
  EXPECT_FALSE(asked_);  // nothing to confirm
  const auto log = records();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["outcome"], "succeeded");
  EXPECT_EQ(log[0]["after"]["no_op"], true);
}

TEST_F(PromoteTest, AnotherDigestIsRefusedAndNothingChanges) {
  const auto other = mem_.add_manifest(testing::docker_manifest("sha256:" + std::string(64, '0')),
                                       std::string(registry::kDockerManifestV2));
  mem_.tag("stage-migrated-3f2a1c9d8e", other);
  auto result = promote("3f2a1c9d8e");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kRefused);
  EXPECT_NE(result.error().message.find(other), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find(built_), std::string::npos);
  EXPECT_EQ(result.error().message.find("immutable"), std::string::npos);
  EXPECT_EQ(mem_.tags.at("stage-migrated-3f2a1c9d8e"), other);
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
  EXPECT_FALSE(asked_);
  EXPECT_EQ(records().at(0)["outcome"], "refused");
}

TEST_F(PromoteTest, OnAnImmutableRepositoryTheRefusalNamesTheOwningDigest) {
  mem_.mutability = registry::TagMutability::kImmutable;
  const auto other = mem_.add_manifest(testing::docker_manifest("sha256:" + std::string(64, '1')),
                                       std::string(registry::kDockerManifestV2));
  mem_.tag("stage-migrated-3f2a1c9d8e", other);
  auto result = promote("3f2a1c9d8e");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("immutable: stage-migrated-3f2a1c9d8e is owned by digest " + other),
            std::string::npos)
      << result.error().message;
}

TEST_F(PromoteTest, AnImmutableRepositoryIsNotedBeforeTheFirstPut) {
  mem_.mutability = registry::TagMutability::kImmutable;
  auto plan = plan_promote(ctx_, PromoteRequest{"stage", "3f2a1c9d8e"});
  ASSERT_TRUE(plan.ok());
  bool noted = false;
  for (const auto& n : plan->notes) noted |= n.find("immutable") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST_F(PromoteTest, ATagSetAfterThePlanIsAConflictNotAnOverwrite) {
  const auto other = mem_.add_manifest(testing::docker_manifest("sha256:" + std::string(64, '2')),
                                       std::string(registry::kDockerManifestV2));
  on_confirm_ = [&] { mem_.tag("stage-migrated-3f2a1c9d8e", other); };  // the migration Job wins the race
  auto result = promote("3f2a1c9d8e");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kConflict);
  EXPECT_EQ(mem_.tags.at("stage-migrated-3f2a1c9d8e"), other);
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
  EXPECT_EQ(records().at(0)["outcome"], "refused");
}

TEST_F(PromoteTest, AFailedPutIsAuditedAsFailed) {
  mem_.fail_put = make_error(ErrorCode::kUnavailable, "ECR PutImage udab-server: connection reset");
  auto failed = promote("3f2a1c9d8e");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  const auto log = records();
  EXPECT_EQ(log.at(0)["outcome"], "failed");
  EXPECT_EQ(log.at(0)["reason"], "ECR PutImage udab-server: connection reset");
}

TEST_F(PromoteTest, AVerifyThatReadsAnotherDigestFails) {
  const auto other = mem_.add_manifest(testing::docker_manifest("sha256:" + std::string(64, '3')),
                                       std::string(registry::kDockerManifestV2));
  mem_.after_put = [&] { mem_.tag("stage-migrated-3f2a1c9d8e", other); };
  auto failed = promote("3f2a1c9d8e");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kInternal);
  EXPECT_NE(failed.error().message.find("verify failed"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find(other), std::string::npos);
  EXPECT_EQ(records().at(0)["outcome"], "failed");
}

TEST_F(PromoteTest, AClosedGateRefusesAndAnOpenOneIsAsked) {
  FixedGate closed(std::optional<std::string>("stage's database is at 8c41e07d2b95, not this image's head b7d3f5a19c20"));
  ctx_.gate = &closed;
  auto refused = promote("3f2a1c9d8e");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_NE(refused.error().message.find("not this image's head"), std::string::npos);
  EXPECT_EQ(closed.asked, std::vector<std::string>{"3f2a1c9d8e"});
  EXPECT_EQ(mem_.calls["put_manifest"], 0);

  FixedGate open(std::optional<std::string>{});
  ctx_.gate = &open;
  auto ok = promote("3f2a1c9d8e");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  for (const auto& n : ok->plan.notes) EXPECT_EQ(n.find("gate not checked"), std::string::npos);
}

TEST_F(PromoteTest, ReadOnlyRefusesBeforeAnyRegistryCall) {
  ctx_.read_only_flag = true;
  auto result = promote("3f2a1c9d8e");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kRefused);
  EXPECT_TRUE(mem_.calls.empty());
  EXPECT_EQ(records().at(0)["outcome"], "refused");
}

TEST_F(PromoteTest, DryRunStopsAfterThePlan) {
  auto result = promote("3f2a1c9d8e", true);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->dry_run);
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
  EXPECT_EQ(mem_.tags.count("stage-migrated-3f2a1c9d8e"), 0u);
  EXPECT_FALSE(asked_);
  EXPECT_EQ(records().at(0)["outcome"], "dry_run");
}

TEST_F(PromoteTest, AProtectedEnvironmentAsksForItsNameAndADeclineChangesNothing) {
  env_.protected_ = true;
  confirm_answer_ = make_error(ErrorCode::kRefused, "refused: not confirmed");
  auto result = promote("3f2a1c9d8e");
  ASSERT_FALSE(result.ok());
  ASSERT_TRUE(asked_);
  EXPECT_EQ(asked_->type_to_confirm, "stage");
  EXPECT_EQ(mem_.calls["put_manifest"], 0);
  EXPECT_EQ(records().at(0)["outcome"], "refused");
}

}  // namespace
}  // namespace mgate::backend::ops
