// Semantic versions and constraints as Masterminds/semver v3 reads them, which the updater's semver
// strategy relies on: which tags are versions, how versions order, which satisfy a constraint.

#include "backend/ops/semver_constraint.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::ops {
namespace {
// unit_ops is a unity build: a named namespace keeps these helpers apart from the other tests'.
namespace semver_constraint_test {

int order(const char* a, const char* b) {
  return compare_semver(parse_semver(a).value(), parse_semver(b).value());
}

TEST(SemverConstraint, VersionsParseAsNewVersionDoes) {
  EXPECT_TRUE(is_semver_tag("1"));
  EXPECT_TRUE(is_semver_tag("1.2"));
  EXPECT_TRUE(is_semver_tag("v1.2.3-beta.1+build.5"));
  EXPECT_FALSE(is_semver_tag("V1.2.3"));
  EXPECT_FALSE(is_semver_tag("1.2.3.4"));
  EXPECT_FALSE(is_semver_tag("01.2.3"));
  EXPECT_FALSE(is_semver_tag("stage-migrated-1a2b3c4"));
  const auto v = parse_semver("v1.2-rc.1+build.5");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 0u);
  EXPECT_EQ(v->prerelease, (std::vector<std::string>{"rc", "1"}));
}

TEST(SemverConstraint, VersionsOrderByPrecedence) {
  EXPECT_EQ(order("1.2.3", "1.2.10"), -1);  // numerically, not by name
  EXPECT_EQ(order("2.0.0", "1.9.9"), 1);
  EXPECT_EQ(order("v1.2", "1.2.0"), 0);
  EXPECT_EQ(order("1.2.3+a", "1.2.3+b"), 0);  // metadata plays no part
  EXPECT_EQ(order("1.0.0-rc.1", "1.0.0"), -1);
  EXPECT_EQ(order("1.0.0-rc.2", "1.0.0-rc.10"), -1);
  EXPECT_EQ(order("1.0.0-2", "1.0.0-alpha"), -1);  // numeric identifiers first
  EXPECT_EQ(order("1.0.0-alpha", "1.0.0-alpha.1"), -1);
}

TEST(SemverConstraint, ConstraintsFollowMasterminds) {
  const auto sat = [](const char* c, const char* v) { return semver_satisfies(c, v).value(); };
  EXPECT_TRUE(sat("~1.2", "1.2.0"));
  EXPECT_TRUE(sat("~1.2", "1.2.99"));
  EXPECT_FALSE(sat("~1.2", "1.3.0"));
  EXPECT_FALSE(sat("~1.2.3", "1.2.2"));
  EXPECT_TRUE(sat("~1", "1.9.0"));
  EXPECT_TRUE(sat("^1.2", "1.9.0"));
  EXPECT_FALSE(sat("^1.2", "2.0.0"));
  EXPECT_TRUE(sat("^0.2.3", "0.2.9"));
  EXPECT_FALSE(sat("^0.2.3", "0.3.0"));
  EXPECT_FALSE(sat("^0.0.3", "0.0.4"));
  EXPECT_TRUE(sat("1.2.x", "1.2.7"));
  EXPECT_TRUE(sat("1.2", "1.2.7"));  // a missing part is a wildcard
  EXPECT_FALSE(sat("1.x", "2.0.0"));
  EXPECT_TRUE(sat("<= 2.x", "2.9.9"));
  EXPECT_FALSE(sat("<= 2.x", "3.0.0"));
  EXPECT_TRUE(sat(">= 1.2, < 1.4", "1.3.5"));
  EXPECT_FALSE(sat(">= 1.2, < 1.4", "1.4.0"));
  EXPECT_TRUE(sat(">=1.2 <1.4 || >= 3", "3.1.0"));
  EXPECT_TRUE(sat("1.2 - 1.4.5", "1.4.5"));
  EXPECT_FALSE(sat("1.2 - 1.4.5", "1.4.6"));
  EXPECT_TRUE(sat("*", "0.0.1"));
  EXPECT_TRUE(sat("!= 1.2.3", "1.2.4"));
  EXPECT_FALSE(sat(">= 1.0", "1.5.0-rc1"));
  EXPECT_TRUE(sat("2.x-0", "2.0.0-rc1"));
  const auto bad = semver_satisfies("~>>1", "1.0.0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid semver constraint '~>>1': cannot read '~>>1'");
}

TEST(SemverConstraint, ParsedConstraintIsReusable) {
  const auto c = SemverConstraint::parse("~1.2 || ^3");
  ASSERT_TRUE(c.ok());
  const SemverConstraint copy = *c;  // copies share the parsed form
  EXPECT_TRUE(copy.satisfied_by(parse_semver("1.2.5").value()));
  EXPECT_TRUE(copy.satisfied_by(parse_semver("3.7.0").value()));
  EXPECT_FALSE(copy.satisfied_by(parse_semver("2.0.0").value()));
  const auto not_version = semver_satisfies("~1.2", "stage-migrated-abc");
  ASSERT_FALSE(not_version.ok());
  EXPECT_EQ(not_version.error().message, "'stage-migrated-abc' is not a semantic version");
}

}  // namespace semver_constraint_test
}  // namespace
}  // namespace mgate::backend::ops
