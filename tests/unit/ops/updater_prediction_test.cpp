// What Argo CD Image Updater would deploy next, and why a migrated tag is not deploying: each
// strategy, the allow-tags and ignore-tags filters, and the verdict texts an on-call engineer reads.

#include "backend/ops/updater_prediction.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::ops {
namespace {
// unit_ops is a unity build: a named namespace keeps these helpers apart from the other tests'.
namespace updater_prediction_test {

constexpr const char* kRepo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";

Clock::time_point at(const char* text) {
  return parse_rfc3339(text).value();
}

RegistryTag dated(std::string tag, const char* date, std::string digest = "sha256:aaa") {
  return RegistryTag{std::move(tag), std::move(digest), at(date)};
}

RegistryTag undated(std::string tag, std::string digest = "sha256:aaa") {
  return RegistryTag{std::move(tag), std::move(digest), std::nullopt};
}

UpdaterRule rule(UpdateStrategy strategy, std::string allow = "", std::string constraint = "") {
  UpdaterRule r;
  r.image = kRepo;
  r.strategy = strategy;
  r.allow_tags = std::move(allow);
  r.constraint = std::move(constraint);
  return r;
}

PredictionInput input(UpdaterRule r, std::vector<RegistryTag> tags, std::vector<std::string> asked,
                      std::string current = "") {
  return PredictionInput{std::move(r), kRepo, std::move(tags), std::move(current), std::move(asked)};
}

// The gated flow: only migrated tags, newest build first.
std::vector<RegistryTag> gated_tags() {
  return {dated("stage-abc", "2026-11-21T09:00:00Z", "sha256:abc"),
          dated("stage-migrated-abc", "2026-11-21T09:00:00Z", "sha256:abc"),
          dated("stage-migrated-old", "2026-11-20T10:00:00Z", "sha256:old"),
          dated("stage-def", "2026-11-22T08:00:00Z", "sha256:def")};
}

TEST(UpdaterPrediction, NewestBuildPicksTheNewestAllowedTagAndExplainsTheOthers) {
  const auto p = predict_next_deploy(input(
      rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-"), gated_tags(),
      {"stage-migrated-abc", "stage-migrated-old", "stage-def"}, std::string(kRepo) + ":stage-migrated-old"));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-abc");
  EXPECT_EQ(p.next->digest, "sha256:abc");
  EXPECT_EQ(p.next->build_date, at("2026-11-21T09:00:00Z"));
  EXPECT_TRUE(p.changes);
  EXPECT_EQ(p.candidates, 2u);
  EXPECT_EQ(
      p.why,
      "stage-migrated-abc has the newest build (2026-11-21T09:00:00Z) of 2 candidate tags; the Deployment "
      "runs 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:stage-migrated-old now.");
  ASSERT_EQ(p.verdicts.size(), 3u);
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kWouldDeploy);
  EXPECT_EQ(p.verdicts[0].reason, "would deploy next");
  EXPECT_EQ(p.verdicts[1].kind, TagVerdictKind::kBehindPick);
  EXPECT_EQ(
      p.verdicts[1].reason,
      "older build (2026-11-20T10:00:00Z) than the current pick stage-migrated-abc (2026-11-21T09:00:00Z)");
  // The newest build of all is a built tag, which allow-tags keeps out.
  EXPECT_EQ(p.verdicts[2].kind, TagVerdictKind::kNotAllowed);
  EXPECT_EQ(p.verdicts[2].reason, "not allowed: does not match regexp:^stage-migrated-");
}

TEST(UpdaterPrediction, CurrentImageIsAlreadyTheNewest) {
  const auto p =
      predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-"), gated_tags(),
                                {"stage-migrated-abc"}, std::string(kRepo) + ":stage-migrated-abc"));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-abc");
  EXPECT_FALSE(p.changes);
  EXPECT_EQ(
      p.why,
      "stage-migrated-abc has the newest build (2026-11-21T09:00:00Z) of 2 candidate tags; the Deployment "
      "already runs it.");
  ASSERT_EQ(p.verdicts.size(), 1u);
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kRunning);
  EXPECT_EQ(p.verdicts[0].reason, "already running: the updater would keep it");
}

TEST(UpdaterPrediction, UnknownCurrentImageCountsAsAChange) {
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-"),
                                           gated_tags(), {"stage-migrated-abc"}));
  EXPECT_TRUE(p.changes);
  EXPECT_EQ(p.why,
            "stage-migrated-abc has the newest build (2026-11-21T09:00:00Z) of 2 candidate tags; what the "
            "Deployment runs is not known.");
}

TEST(UpdaterPrediction, NewestBuildSkipsUndatedTags) {
  auto tags = gated_tags();
  tags.push_back(undated("stage-migrated-new"));
  const auto p = predict_next_deploy(
      input(rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-"), tags, {"stage-migrated-new"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-abc");
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kUndated);
  EXPECT_EQ(
      p.verdicts[0].reason,
      "no build date: newest-build cannot order it (the updater skips a tag whose image config it cannot "
      "read)");
}

TEST(UpdaterPrediction, NewestBuildWithOnlyUndatedTagsDeploysNothing) {
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild),
                                           {undated("stage-migrated-a"), undated("stage-migrated-b")}, {}));
  EXPECT_FALSE(p.next.has_value());
  EXPECT_FALSE(p.changes);
  EXPECT_EQ(p.candidates, 0u);
  EXPECT_EQ(p.why, "nothing would deploy: none of the 2 tags in the registry qualifies under newest-build.");
}

TEST(UpdaterPrediction, NewestBuildTieGoesToTheGreatestName) {
  // One image tagged twice has one build date; the updater sorts by date, then name, and takes the last.
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild), gated_tags(), {"stage-abc"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-def");
  const auto tie = predict_next_deploy(
      input(rule(UpdateStrategy::kNewestBuild, "regexp:abc$"), gated_tags(), {"stage-abc"}));
  ASSERT_TRUE(tie.next.has_value());
  EXPECT_EQ(tie.next->tag, "stage-migrated-abc");
  EXPECT_EQ(
      tie.verdicts[0].reason,
      "same build date (2026-11-21T09:00:00Z) as the current pick stage-migrated-abc, which wins the tie by "
      "name");
}

TEST(UpdaterPrediction, AllowTagsRegexpIsUnanchored) {
  // "migrated-" has no ^: it matches inside "stage-migrated-abc", as Go's MatchString does.
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "regexp:migrated-"),
                                           gated_tags(), {"stage-migrated-old", "stage-def"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-abc");
  EXPECT_EQ(p.candidates, 2u);
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kBehindPick);
  EXPECT_EQ(p.verdicts[1].reason, "not allowed: does not match regexp:migrated-");
}

TEST(UpdaterPrediction, AllowTagsOfAnotherEnvironmentMatchNothing) {
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "regexp:^prod-migrated-"),
                                           gated_tags(), {"stage-migrated-abc"}));
  EXPECT_FALSE(p.next.has_value());
  EXPECT_EQ(
      p.why,
      "nothing would deploy: none of the 4 tags in the registry qualifies under newest-build, allow-tags "
      "regexp:^prod-migrated-.");
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kNotAllowed);
  EXPECT_EQ(p.verdicts[0].reason, "not allowed: does not match regexp:^prod-migrated-");
}

TEST(UpdaterPrediction, InvalidRegexpMatchesNothing) {
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "regexp:("), gated_tags(),
                                           {"stage-migrated-abc", "stage-migrated-zzz"}));
  EXPECT_FALSE(p.next.has_value());
  EXPECT_EQ(p.candidates, 0u);
  EXPECT_EQ(p.why, "nothing would deploy: invalid allow-tags regexp: missing ): (.");
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kInvalidAllowTags);
  EXPECT_EQ(p.verdicts[0].reason, "invalid allow-tags regexp: missing ): (");
  // A tag the registry does not have is reported as such first.
  EXPECT_EQ(p.verdicts[1].kind, TagVerdictKind::kMissing);
  EXPECT_EQ(p.verdicts[1].reason, "not in the registry");
}

TEST(UpdaterPrediction, AllowTagsAnyEmptyAndMalformed) {
  for (const char* allow : {"", "any", "ANY"}) {
    const auto p = predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, allow), gated_tags(), {}));
    ASSERT_TRUE(p.next.has_value()) << allow;
    EXPECT_EQ(p.next->tag, "stage-def") << allow;
  }
  const auto no_colon =
      predict_next_deploy(input(rule(UpdateStrategy::kNewestBuild, "stage-*"), gated_tags(), {"stage-def"}));
  EXPECT_FALSE(no_colon.next.has_value());
  EXPECT_EQ(no_colon.verdicts[0].reason,
            "invalid allow-tags 'stage-*': expected \"any\" or \"regexp:<expression>\"");
  const auto glob = predict_next_deploy(
      input(rule(UpdateStrategy::kNewestBuild, "glob:stage-*"), gated_tags(), {"stage-def"}));
  EXPECT_FALSE(glob.next.has_value());
  EXPECT_EQ(glob.verdicts[0].reason, "invalid allow-tags 'glob:stage-*': unknown match function 'glob'");
}

TEST(UpdaterPrediction, IgnoreTagsGlobsSkipTags) {
  auto r = rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-");
  r.ignore_tags = {"latest", "stage-migrated-a?c"};
  const auto p = predict_next_deploy(input(r, gated_tags(), {"stage-migrated-abc", "stage-migrated-old"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-old");
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kIgnored);
  EXPECT_EQ(p.verdicts[0].reason, "ignored by ignore-tags 'stage-migrated-a?c'");
  EXPECT_EQ(p.verdicts[1].kind, TagVerdictKind::kWouldDeploy);

  r.ignore_tags = {"stage-migrated-old*", "[", "stage-migrated-abc"};
  const auto none = predict_next_deploy(input(r, gated_tags(), {"stage-migrated-old"}));
  EXPECT_FALSE(none.next.has_value());
  EXPECT_EQ(none.verdicts[0].reason, "ignored by ignore-tags 'stage-migrated-old*'");
  EXPECT_EQ(
      none.why,
      "nothing would deploy: none of the 4 tags in the registry qualifies under newest-build, allow-tags "
      "regexp:^stage-migrated-, ignore-tags 'stage-migrated-old*', '[', 'stage-migrated-abc'.");
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_EQ(none.notes[0], "ignore-tags '[' is not a valid glob: it ignores nothing");
}

TEST(UpdaterPrediction, GlobFollowsGoFilepathMatch) {
  EXPECT_TRUE(glob_match("stage-*", "stage-migrated-abc"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("v?.?", "v1.2"));
  EXPECT_FALSE(glob_match("v?.?", "v1.23"));
  EXPECT_TRUE(glob_match("[a-c]x", "bx"));
  EXPECT_FALSE(glob_match("[a-c]x", "dx"));
  EXPECT_TRUE(glob_match("[^a-c]x", "dx"));
  EXPECT_FALSE(glob_match("[^a-c]x", "ax"));
  EXPECT_TRUE(glob_match("[!]x", "!x"));  // Go has no '!' negation: a class of '!'
  EXPECT_TRUE(glob_match("a\\*", "a*"));
  EXPECT_FALSE(glob_match("a\\*", "ab"));
  EXPECT_FALSE(glob_match("*", "a/b"));  // '*' stops at the path separator
  EXPECT_FALSE(glob_match("stage-migrated-abc", "stage-migrated-abcd"));
  // Malformed patterns match nothing, even where a prefix would.
  EXPECT_FALSE(glob_match("[", "["));
  EXPECT_FALSE(glob_match("a[", "a"));
  EXPECT_FALSE(glob_match("[]a]", "a"));
  EXPECT_FALSE(glob_match("[-a]", "a"));
  EXPECT_FALSE(glob_match("a\\", "a"));
}

std::vector<RegistryTag> version_tags() {
  return {undated("v1.2.3"),     undated("1.2.10"), undated("1.3.0"), undated("stage-migrated-abc"),
          undated("1.2.11-rc1"), undated("1.02.0")};
}

TEST(UpdaterPrediction, SemverHonoursTheConstraintAndSkipsNonSemverTags) {
  const auto p =
      predict_next_deploy(input(rule(UpdateStrategy::kSemver, "", "~1.2"), version_tags(),
                                {"1.2.10", "v1.2.3", "1.3.0", "stage-migrated-abc", "1.2.11-rc1", "1.02.0"},
                                std::string(kRepo) + ":v1.2.3"));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "1.2.10");  // numerically, not by name: 10 > 3
  EXPECT_TRUE(p.changes);
  EXPECT_EQ(p.candidates, 2u);
  EXPECT_EQ(p.why,
            "1.2.10 is the highest version of 2 candidate tags within '~1.2'; the Deployment runs "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1.2.3 now.");
  ASSERT_EQ(p.verdicts.size(), 6u);
  EXPECT_EQ(p.verdicts[0].reason, "would deploy next");
  EXPECT_EQ(p.verdicts[1].reason, "lower version than the current pick 1.2.10");
  EXPECT_EQ(p.verdicts[2].kind, TagVerdictKind::kOutsideConstraint);
  EXPECT_EQ(p.verdicts[2].reason, "outside the version constraint '~1.2'");
  EXPECT_EQ(p.verdicts[3].kind, TagVerdictKind::kNotSemver);
  EXPECT_EQ(p.verdicts[3].reason, "not a semantic version (semver strategy)");
  // A prerelease needs a constraint that names one ("~1.2-0").
  EXPECT_EQ(p.verdicts[4].reason, "outside the version constraint '~1.2'");
  EXPECT_EQ(p.verdicts[5].reason, "not a semantic version (semver strategy)");  // leading zero
}

TEST(UpdaterPrediction, SemverWithoutConstraintTakesTheHighestVersion) {
  auto tags = version_tags();
  const auto p = predict_next_deploy(input(rule(UpdateStrategy::kSemver), tags, {"1.3.0"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "1.3.0");
  EXPECT_EQ(p.why,
            "1.3.0 is the highest version of 4 candidate tags; what the Deployment runs is not known.");
  // Without a constraint nothing filters prereleases out, so a higher one wins.
  tags.push_back(undated("2.0.0-rc.1"));
  const auto pre = predict_next_deploy(input(rule(UpdateStrategy::kSemver), tags, {"1.3.0"}));
  ASSERT_TRUE(pre.next.has_value());
  EXPECT_EQ(pre.next->tag, "2.0.0-rc.1");
  EXPECT_EQ(pre.verdicts[0].reason, "lower version than the current pick 2.0.0-rc.1");
}

TEST(UpdaterPrediction, SemverWithAnInvalidConstraintConsidersNothing) {
  const auto p = predict_next_deploy(
      input(rule(UpdateStrategy::kSemver, "", "~1.2 || banana"), version_tags(), {"1.2.10"}));
  EXPECT_FALSE(p.next.has_value());
  EXPECT_EQ(p.verdicts[0].kind, TagVerdictKind::kInvalidConstraint);
  EXPECT_EQ(p.verdicts[0].reason, "invalid semver constraint '~1.2 || banana': cannot read 'banana'");
}

TEST(UpdaterPrediction, AlphabeticalTakesTheGreatestName) {
  const auto p =
      predict_next_deploy(input(rule(UpdateStrategy::kAlphabetical, "regexp:^stage-migrated-"),
                                {undated("stage-migrated-2026-11-20"), undated("stage-migrated-2026-11-21"),
                                 undated("stage-2026-11-22")},
                                {"stage-migrated-2026-11-20"}));
  ASSERT_TRUE(p.next.has_value());
  EXPECT_EQ(p.next->tag, "stage-migrated-2026-11-21");
  EXPECT_EQ(p.why,
            "stage-migrated-2026-11-21 sorts last by name of 2 candidate tags; what the Deployment runs is "
            "not known.");
  EXPECT_EQ(p.verdicts[0].reason,
            "sorts before the current pick stage-migrated-2026-11-21 (alphabetical strategy)");
}

TEST(UpdaterPrediction, DigestFollowsOneTagAndComparesDigests) {
  const std::vector<RegistryTag> tags{undated("stage", "sha256:new"),
                                      undated("stage-migrated-abc", "sha256:abc")};
  const auto r = rule(UpdateStrategy::kDigest, "", "stage");
  const auto moved = predict_next_deploy(
      input(r, tags, {"stage", "stage-migrated-abc"}, std::string(kRepo) + ":stage@sha256:old"));
  ASSERT_TRUE(moved.next.has_value());
  EXPECT_EQ(moved.next->tag, "stage");
  EXPECT_EQ(moved.next->digest, "sha256:new");
  EXPECT_TRUE(moved.changes);
  EXPECT_EQ(moved.verdicts[0].reason, "would deploy next");
  EXPECT_EQ(moved.verdicts[1].kind, TagVerdictKind::kNotFollowed);
  EXPECT_EQ(moved.verdicts[1].reason, "not followed: the digest strategy follows only 'stage'");

  const auto same = predict_next_deploy(input(r, tags, {"stage"}, std::string(kRepo) + ":stage@sha256:new"));
  EXPECT_FALSE(same.changes);
  EXPECT_EQ(same.why,
            "stage is the tag the digest strategy follows, at sha256:new; the Deployment already runs it.");
  EXPECT_EQ(same.verdicts[0].kind, TagVerdictKind::kRunning);

  // A reference without a digest is pinned even when the tag is the same.
  const auto pin = predict_next_deploy(input(r, tags, {}, std::string(kRepo) + ":stage"));
  EXPECT_TRUE(pin.changes);
  EXPECT_EQ(pin.why,
            "stage is the tag the digest strategy follows, at sha256:new; the Deployment runs "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:stage, which names no digest, so the updater "
            "pins one.");

  const auto unnamed = predict_next_deploy(input(rule(UpdateStrategy::kDigest), tags, {"stage"}));
  EXPECT_FALSE(unnamed.next.has_value());
  EXPECT_EQ(
      unnamed.verdicts[0].reason,
      "the digest strategy names no tag to follow (image-list entry <image>:<tag>), so the updater considers "
      "no tag");
}

TEST(UpdaterPrediction, ImageNameMismatchConsidersNothing) {
  auto r = rule(UpdateStrategy::kNewestBuild, "regexp:^stage-migrated-");
  r.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker";
  const auto p = predict_next_deploy(input(r, gated_tags(), {"stage-migrated-abc", "stage-migrated-zzz"}));
  EXPECT_FALSE(p.next.has_value());
  EXPECT_EQ(p.candidates, 0u);
  const std::string reason =
      "image name mismatch: the Application follows 123456789012.dkr.ecr.us-east-1.amazonaws.com/worker, the "
      "registry is 123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
  EXPECT_EQ(p.why, "nothing would deploy: " + reason + ".");
  for (const auto& v : p.verdicts) {
    EXPECT_EQ(v.kind, TagVerdictKind::kImageMismatch);
    EXPECT_EQ(v.reason, reason);
  }
}

TEST(UpdaterPrediction, ImageNamesCompareAsReferences) {
  const auto picks = [](std::string image, std::string repository) {
    auto r = rule(UpdateStrategy::kNewestBuild);
    r.image = std::move(image);
    PredictionInput in{r, std::move(repository), gated_tags(), "", {}};
    return predict_next_deploy(in).next.has_value();
  };
  EXPECT_TRUE(picks("nginx", "docker.io/library/nginx"));
  EXPECT_TRUE(picks("index.docker.io/library/nginx", "nginx"));
  EXPECT_TRUE(picks(kRepo, "app"));    // the registry known by repository name only
  EXPECT_TRUE(picks("", "anything"));  // the image followed is not known: not checked
  EXPECT_FALSE(picks("ghcr.io/acme/app", kRepo));
  EXPECT_FALSE(picks("ghcr.io/acme/app", "acme/api"));
}

TEST(UpdaterPrediction, StrategyNamesAndAliases) {
  EXPECT_EQ(parse_update_strategy(""), UpdateStrategy::kSemver);
  EXPECT_EQ(parse_update_strategy("latest"), UpdateStrategy::kNewestBuild);
  EXPECT_EQ(parse_update_strategy("Newest-Build"), UpdateStrategy::kNewestBuild);
  EXPECT_EQ(parse_update_strategy("name"), UpdateStrategy::kAlphabetical);
  EXPECT_EQ(parse_update_strategy("digest"), UpdateStrategy::kDigest);
  EXPECT_EQ(parse_update_strategy("newest"), std::nullopt);
}

TEST(UpdaterPrediction, RuleFromTheApplicationWinsOverTheConfig) {
  config::DeployConfig deploy;
  deploy.allow_tags = "regexp:^stage-migrated-";
  deploy.ignore_tags = {"stage-migrated-old*"};
  deploy.update_strategy = "newest-build";

  const UpdaterRule fallback = updater_rule(deploy, std::nullopt);
  EXPECT_EQ(fallback.source, "config");
  EXPECT_EQ(fallback.image, "");
  EXPECT_EQ(fallback.strategy, UpdateStrategy::kNewestBuild);
  EXPECT_EQ(fallback.allow_tags, "regexp:^stage-migrated-");
  EXPECT_EQ(fallback.ignore_tags, std::vector<std::string>{"stage-migrated-old*"});

  kube::UpdaterImage app;
  app.alias = "app";
  app.image = kRepo;
  app.allow_tags = "regexp:^stage-migrated-";
  const UpdaterRule r = updater_rule(deploy, app);
  EXPECT_EQ(r.source, "application");
  EXPECT_EQ(r.image, kRepo);
  // The Application sets no strategy: the updater's default applies, not config.yaml's.
  EXPECT_EQ(r.strategy, UpdateStrategy::kSemver);
  EXPECT_TRUE(r.ignore_tags.empty());
  EXPECT_EQ(r.notes,
            (std::vector<std::string>{
                "config.yaml's update_strategy 'newest-build' differs from the Application's 'semver', which "
                "applies",
                "config.yaml's ignore_tags 'stage-migrated-old*' differs from the Application's '', which "
                "applies"}));

  app.update_strategy = "newest";
  app.ignore_tags = {"stage-migrated-old*"};
  const UpdaterRule unknown = updater_rule(deploy, app);
  EXPECT_EQ(unknown.strategy, UpdateStrategy::kSemver);
  ASSERT_FALSE(unknown.notes.empty());
  EXPECT_EQ(unknown.notes[0], "unknown update strategy 'newest': the updater uses semver");
}

TEST(UpdaterPrediction, RegistryTagsDateOnlyFromImageConfigs) {
  registry::TagModel model;
  registry::ShaImages a;
  a.sha = "abc";
  a.built = registry::TagState{"stage-abc", "sha256:abc", "", std::nullopt};
  a.migrated = registry::TagState{"stage-migrated-abc", "sha256:abc", "", std::nullopt};
  a.build_date = at("2026-11-21T09:00:00Z");
  a.build_date_source = registry::BuildDateSource::kImageConfig;
  registry::ShaImages b;
  b.sha = "def";
  b.built = registry::TagState{"stage-def", "sha256:def", "", std::nullopt};
  b.build_date = at("2026-11-22T09:00:00Z");
  b.build_date_source = registry::BuildDateSource::kPushedTime;
  model.shas = {a, b};
  const auto tags = registry_tags(model);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].tag, "stage-abc");
  EXPECT_EQ(tags[1].tag, "stage-migrated-abc");
  EXPECT_EQ(tags[1].build_date, at("2026-11-21T09:00:00Z"));
  EXPECT_EQ(tags[2].tag, "stage-def");
  EXPECT_EQ(tags[2].build_date, std::nullopt);  // a push time is not what newest-build compares
}

}  // namespace updater_prediction_test
}  // namespace
}  // namespace mgate::backend::ops
