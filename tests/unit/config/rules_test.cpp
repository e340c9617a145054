// The single-value rules: placeholders, label selectors, DNS-1123 names, image tags.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/config/config.hpp"

namespace mgate::backend::config {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kSha = "5d41402abc4b2a76b9719d911017c592ae1e4b0f";

TEST(ConfigRules, ExpandPatternSubstitutesTheThreePlaceholders) {
  EXPECT_EQ(expand_pattern("db-migration-{sha7}", kSha, "stage"), "db-migration-5d41402");
  EXPECT_EQ(expand_pattern("{env}-migrated-{sha}", kSha, "prod"),
            "prod-migrated-5d41402abc4b2a76b9719d911017c592ae1e4b0f");
  EXPECT_EQ(expand_pattern("static", kSha, "prod"), "static");
  EXPECT_EQ(expand_pattern("x-{other}-{sha7", kSha, "e"), "x-{other}-{sha7");
}

TEST(ConfigRules, PatternErrors) {
  EXPECT_EQ(pattern_error("db-{sha7}-{env}-{sha}"), std::nullopt);
  EXPECT_EQ(pattern_error("no-placeholder"), std::nullopt);
  EXPECT_THAT(pattern_error("x-{SHA}").value_or(""), HasSubstr("unknown placeholder '{SHA}'"));
  EXPECT_THAT(pattern_error("x-{en}").value_or(""), HasSubstr("did you mean '{env}'?"));
  EXPECT_EQ(pattern_error("x-{sha"), "unclosed '{' at character 3");
  EXPECT_EQ(pattern_error("x-{s{sha}}"), "unclosed '{' at character 3");
  EXPECT_EQ(pattern_error("x-}"), "stray '}' at character 3");
}

TEST(ConfigRules, ValidLabelSelectors) {
  for (const char* s : {"component=migration", "a==b", "a!=b", "a", "!a", "a in (x,y)", "a notin (x)",
                        "a,b=c", "app.kubernetes.io/component=migration", "a=", "tier>5", "tier<10",
                        " a = b , c in ( d , e ) , !f ", "example.com/x-y_z.w in (v1)"}) {
    EXPECT_EQ(label_selector_error(s), std::nullopt) << s;
  }
}

TEST(ConfigRules, InvalidLabelSelectors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must not be empty"},
      {"a in (x", "expected ',' or ')' in the set at the end"},
      {"a in x", "expected '(' after in / notin at character 6, found 'x'"},
      {"=b", "expected a label key at character 1, found '='"},
      {"a b", "expected =, ==, !=, in, notin, > or < at character 3, found 'b'"},
      {"a=b c", "expected ',' between requirements at character 5, found 'c'"},
      {"-a=b", "'-a' is not a label key"},
      {"a=b,", "expected a label key at the end"},
      {"!", "expected a label key after '!' at the end"},
      {"a in ()", "expected a value in the set at character 7, found ')'"},
      {"a=-b", "'-b' is not a label value"},
      {"Example.com/a=b", "prefix of label key 'Example.com/a' is not a DNS subdomain"},
      {"a>b", "expected an integer after '>', found 'b'"},
      {std::string(64, 'k'), "is not a label key"},
  };
  for (const auto& [selector, message] : cases) {
    EXPECT_THAT(label_selector_error(selector).value_or("(accepted)"), HasSubstr(message)) << selector;
  }
}

TEST(ConfigRules, Dns1123Labels) {
  EXPECT_TRUE(is_dns1123_label("db-migration-5d41402"));
  EXPECT_TRUE(is_dns1123_label("a"));
  EXPECT_TRUE(is_dns1123_label(std::string(63, 'a')));
  EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
  EXPECT_FALSE(is_dns1123_label(""));
  EXPECT_FALSE(is_dns1123_label("Db"));
  EXPECT_FALSE(is_dns1123_label("-db"));
  EXPECT_FALSE(is_dns1123_label("db-"));
  EXPECT_FALSE(is_dns1123_label("db.migration"));
}

TEST(ConfigRules, ImageTags) {
  EXPECT_TRUE(is_image_tag("stage-migrated-5d41402abc4b2a76b9719d911017c592ae1e4b0f"));
  EXPECT_TRUE(is_image_tag("_v1.2.3"));
  EXPECT_TRUE(is_image_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_image_tag(std::string(129, 'a')));
  EXPECT_FALSE(is_image_tag(".hidden"));
  EXPECT_FALSE(is_image_tag("-dash"));
  EXPECT_FALSE(is_image_tag("has/slash"));
  EXPECT_FALSE(is_image_tag(""));
}

}  // namespace
}  // namespace mgate::backend::config
