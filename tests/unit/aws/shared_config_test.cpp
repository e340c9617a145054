// The ini dialect of the shared AWS files and the profile lookup in each file.

#include "backend/aws/shared_config.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::aws {
namespace {

TEST(ParseIni, ReadsSectionsKeysAndBothDelimiters) {
  auto ini =
      parse_ini("[default]\nregion = eu-west-1\nOutput: json\n[profile dev]\nregion=us-east-1\n", "config");
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  EXPECT_EQ(ini->sections.at("default").at("region"), "eu-west-1");
  EXPECT_EQ(ini->sections.at("default").at("output"), "json");  // keys lower-cased
  EXPECT_EQ(ini->sections.at("profile dev").at("region"), "us-east-1");
}

TEST(ParseIni, SkipsCommentsBlankLinesAndCarriageReturns) {
  auto ini = parse_ini("# top\r\n; another\r\n\r\n[a]\r\n  # indented comment\r\nk = v\r\n", "f");
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  ASSERT_EQ(ini->sections.size(), 1U);
  EXPECT_EQ(ini->sections.at("a").size(), 1U);
  EXPECT_EQ(ini->sections.at("a").at("k"), "v");
}

TEST(ParseIni, NestedBlocksAreKeptUnderTheirKeyWithoutError) {
  auto ini = parse_ini(
      "[profile dev]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n"
      "region = eu-central-1\n",
      "config");
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  const auto& dev = ini->sections.at("profile dev");
  EXPECT_EQ(dev.at("region"), "eu-central-1");
  EXPECT_EQ(dev.count("max_concurrent_requests"), 0U);
  EXPECT_EQ(dev.at("s3"), "\nmax_concurrent_requests = 20\naddressing_style = path");
}

TEST(ParseIni, MalformedLineNamesFileAndLine) {
  auto ini = parse_ini("[default]\nregion = eu-west-1\nthis line has no delimiter\n", "/x/config");
  ASSERT_FALSE(ini.ok());
  EXPECT_EQ(ini.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ini.error().message.rfind("/x/config:3: ", 0), 0U) << ini.error().message;
  EXPECT_EQ(ini.error().message.find("delimiter"), std::string::npos);  // the text is not echoed
}

TEST(ParseIni, KeyBeforeSectionAndDuplicatesAreErrors) {
  auto before = parse_ini("k = v\n", "f");
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().message.rfind("f:1: ", 0), 0U);
  auto section = parse_ini("[a]\n[b]\n[a]\n", "f");
  ASSERT_FALSE(section.ok());
  EXPECT_EQ(section.error().message.rfind("f:3: ", 0), 0U);
  auto key = parse_ini("[a]\nk = 1\nK = 2\n", "f");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message.rfind("f:3: ", 0), 0U);
  auto bracket = parse_ini("[a\n", "f");
  ASSERT_FALSE(bracket.ok());
  EXPECT_EQ(bracket.error().message.rfind("f:1: ", 0), 0U);
}

TEST(LoadIni, MissingFileIsNothing) {
  auto ini = load_ini("/nonexistent/mgate/aws/config");
  ASSERT_TRUE(ini.ok());
  EXPECT_FALSE(ini->has_value());
}

TEST(SharedConfig, ConfigUsesProfilePrefixCredentialsDoNot) {
  SharedConfig shared;
  shared.config =
      *parse_ini("[default]\nregion = a\n[profile dev]\nregion = b\n[ops]\nregion = c\n", "config");
  shared.credentials = *parse_ini("[dev]\nregion = d\n[profile ops]\nx = 1\n", "credentials");
  ASSERT_NE(shared.config_profile("default"), nullptr);
  EXPECT_EQ(shared.config_profile("default")->at("region"), "a");
  ASSERT_NE(shared.config_profile("dev"), nullptr);
  EXPECT_EQ(shared.config_profile("dev")->at("region"), "b");
  EXPECT_EQ(shared.config_profile("ops"), nullptr);       // [ops] in config is not a profile
  EXPECT_EQ(shared.credentials_profile("ops"), nullptr);  // [profile ops] in credentials neither
  EXPECT_FALSE(shared.has_profile("ops"));
  EXPECT_EQ(shared.merged_profile("dev").at("region"), "d");  // the credentials file wins
}

}  // namespace
}  // namespace mgate::backend::aws
