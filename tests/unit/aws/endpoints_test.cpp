// Endpoint resolution: explicit, service-specific and global variables, the profile's services
// section and endpoint_url, the ignore switch, and the public defaults.

#include "backend/aws/endpoints.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace mgate::backend::aws {
namespace {

class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mgate-aws-endpoint-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    home_ = pattern;
    std::filesystem::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
    std::ofstream(home_ / ".aws/config") << "[default]\n"
                                            "region = eu-west-1\n"
                                            "endpoint_url = http://profile-global:1\n"
                                            "services = local\n"
                                            "[services local]\n"
                                            "ecr =\n"
                                            "  endpoint_url = http://profile-ecr:2\n"
                                            "[profile plain]\n"
                                            "endpoint_url = http://plain-global:3\n"
                                            "[profile ignoring]\n"
                                            "endpoint_url = http://ignored:4\n"
                                            "ignore_configured_endpoint_urls = true\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
  CredentialOptions options(std::optional<std::string> profile = std::nullopt) {
    CredentialOptions o;
    o.profile = std::move(profile);
    o.getenv = [this](const char* name) -> std::optional<std::string> {
      const auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }
  std::string resolve(std::string_view service, std::optional<std::string> explicit_endpoint = std::nullopt,
                      std::optional<std::string> profile = std::nullopt) {
    auto r = resolve_endpoint(options(std::move(profile)), service, "eu-west-1", explicit_endpoint);
    return r.ok() ? *r : "error: " + r.error().message;
  }

  std::filesystem::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(EndpointsTest, PrecedenceFromExplicitDownToTheProfile) {
  env_["AWS_ENDPOINT_URL_ECR"] = "http://env-ecr:5";
  env_["AWS_ENDPOINT_URL"] = "http://env-global:6";
  EXPECT_EQ(resolve("ecr", "http://explicit:7"), "http://explicit:7");
  EXPECT_EQ(resolve("ecr"), "http://env-ecr:5");
  EXPECT_EQ(resolve("sts"), "http://env-global:6");  // AWS_ENDPOINT_URL_ECR is ECR's alone
  env_["AWS_ENDPOINT_URL_STS"] = "http://env-sts:8";
  EXPECT_EQ(resolve("sts"), "http://env-sts:8");
  env_.erase("AWS_ENDPOINT_URL_ECR");
  EXPECT_EQ(resolve("ecr"), "http://env-global:6");
  env_.erase("AWS_ENDPOINT_URL");
  env_.erase("AWS_ENDPOINT_URL_STS");
  EXPECT_EQ(resolve("ecr"), "http://profile-ecr:2");     // the services section wins for its service
  EXPECT_EQ(resolve("sts"), "http://profile-global:1");  // and the profile's endpoint_url covers the rest
  EXPECT_EQ(resolve("sts", std::nullopt, "plain"), "http://plain-global:3");
}

TEST_F(EndpointsTest, IgnoreSwitchSkipsVariablesAndProfileButNotTheExplicitEndpoint) {
  env_["AWS_ENDPOINT_URL_ECR"] = "http://env-ecr:5";
  env_["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(resolve("ecr"), "https://api.ecr.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve("sts"), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve("ecr", "http://explicit:7"), "http://explicit:7");
  env_.erase("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  EXPECT_EQ(resolve("sts", std::nullopt, "ignoring"), "https://sts.eu-west-1.amazonaws.com");
  env_["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "false";  // the variable overrides the profile's setting
  EXPECT_EQ(resolve("sts", std::nullopt, "ignoring"), "http://ignored:4");
}

TEST_F(EndpointsTest, NonUrlIsRefusedNamingItsSource) {
  env_["AWS_ENDPOINT_URL_STS"] = "sts.internal";
  EXPECT_EQ(resolve("sts"), "error: AWS_ENDPOINT_URL_STS is not an http(s) URL");
}

TEST(DefaultEndpoint, PublicPartitionsAndGlobalSts) {
  EXPECT_EQ(default_endpoint("ecr", "us-east-1"), "https://api.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(default_endpoint("sts", "ap-south-1"), "https://sts.ap-south-1.amazonaws.com");
  EXPECT_EQ(default_endpoint("ecr", "cn-north-1"), "https://api.ecr.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(default_endpoint("sts", "cn-northwest-1"), "https://sts.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(default_endpoint("sts", ""), "https://sts.amazonaws.com");
}

TEST_F(EndpointsTest, EcrWithoutARegionIsAnError) {
  env_["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  auto r = resolve_endpoint(options(), "ecr", "", std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mgate::backend::aws
