// The credential chain's sources, their order, profile selection and region precedence,
// with temporary shared files and an injected environment.

#include "backend/aws/credential_chain.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace mgate::backend::aws {
namespace {

constexpr const char* kSecret = "ChainSecret/Xy7+DistinctiveValue9876";

/// A temporary HOME with the two shared files, and the environment the chain sees.
class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mgate-aws-cred-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    home_ = pattern;
    std::filesystem::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }

  void write(const std::string& rel, const std::string& text) {
    std::ofstream(home_ / rel, std::ios::binary) << text;
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

  std::filesystem::path home_;
  std::map<std::string, std::string> env_;
};

void expect_clean(const Error& e) {
  EXPECT_EQ(e.describe().find(kSecret), std::string::npos) << e.describe();
}

TEST_F(ChainTest, EnvironmentWithSessionTokenOrLegacyName) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  env_["AWS_SECURITY_TOKEN"] = "legacy";
  auto r = resolve_credentials(options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "environment");
  EXPECT_EQ(r->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(r->credentials.secret_access_key.reveal(), kSecret);
  EXPECT_EQ(r->credentials.session_token.reveal(), "legacy");
  env_["AWS_SESSION_TOKEN"] = "current";  // the current name wins over the legacy one
  EXPECT_EQ(resolve_credentials(options())->credentials.session_token.reveal(), "current");
}

TEST_F(ChainTest, PartialEnvironmentIsAnErrorWithoutTheSecret) {
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  expect_clean(r.error());
}

TEST_F(ChainTest, EnvironmentBeatsFilesUnlessAProfileIsExplicit) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
  EXPECT_EQ(resolve_credentials(options())->source, "environment");
  auto r = resolve_credentials(options("default"));  // the AWS CLI skips the environment here
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->credentials.access_key_id, "AKIAFILE");
  EXPECT_EQ(r->source, "shared-credentials-file (profile default)");
}

TEST_F(ChainTest, ProfileSelectionOrder) {
  write(".aws/credentials",
        "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = s\n"
        "[legacy]\naws_access_key_id = AKIALEG\naws_secret_access_key = s\n"
        "[env]\naws_access_key_id = AKIAENVP\naws_secret_access_key = s\n"
        "[cli]\naws_access_key_id = AKIACLI\naws_secret_access_key = s\n");
  EXPECT_EQ(resolve_credentials(options())->credentials.access_key_id, "AKIADEF");
  env_["AWS_DEFAULT_PROFILE"] = "legacy";
  EXPECT_EQ(resolve_credentials(options())->credentials.access_key_id, "AKIALEG");
  env_["AWS_PROFILE"] = "env";
  EXPECT_EQ(resolve_credentials(options())->credentials.access_key_id, "AKIAENVP");
  EXPECT_EQ(resolve_credentials(options("cli"))->credentials.access_key_id, "AKIACLI");
  EXPECT_EQ(selected_profile(options("cli")), "cli");
}

TEST_F(ChainTest, ConfigFileProfilesNeedThePrefixAndComeAfterTheCredentialsFile) {
  write(".aws/config",
        "# comment\n[profile stage]\n; another\naws_access_key_id = AKIACONF\n"
        "aws_secret_access_key = s\n[other]\naws_access_key_id = AKIAWRONG\n"
        "aws_secret_access_key = s\n");
  auto r = resolve_credentials(options("stage"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->credentials.access_key_id, "AKIACONF");
  EXPECT_EQ(r->source, "config-file (profile stage)");
  auto other = resolve_credentials(options("other"));  // `[other]` is not a profile in config
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  write(".aws/credentials", "[stage]\naws_access_key_id = AKIACRED\naws_secret_access_key = s\n");
  EXPECT_EQ(resolve_credentials(options("stage"))->credentials.access_key_id, "AKIACRED");
}

TEST_F(ChainTest, FileLocationsFromTheEnvironment) {
  write("creds", "[default]\naws_access_key_id = AKIAMOVED\naws_secret_access_key = s\n");
  write("conf", "[default]\nregion = ap-south-1\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (home_ / "creds").string();
  env_["AWS_CONFIG_FILE"] = "~/conf";
  EXPECT_EQ(config_file_path(options()), (home_ / "conf").string());
  EXPECT_EQ(resolve_credentials(options())->credentials.access_key_id, "AKIAMOVED");
  EXPECT_EQ(resolve_region(options(), std::nullopt)->value_or(""), "ap-south-1");
}

TEST_F(ChainTest, CredentialProcessComesBetweenTheFiles) {
  write(".aws/config", std::string("[profile proc]\naws_access_key_id = AKIACONF\naws_secret_access_key = s\n"
                                   "credential_process = sh -c 'printf \"%s\" \"$0\"' '{\"Version\": 1, "
                                   "\"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"") +
                           kSecret + "\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n");
  auto r = resolve_credentials(options("proc"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "credential_process (profile proc)");
  EXPECT_EQ(r->credentials.access_key_id, "ASIAPROC");
  ASSERT_TRUE(r->credentials.expiration.has_value());
  EXPECT_EQ(format_rfc3339(*r->credentials.expiration), "2030-01-01T00:00:00.000Z");
}

TEST_F(ChainTest, FailingCredentialProcessIsReported) {
  write(".aws/config", "[default]\ncredential_process = sh -c 'echo session expired >&2; exit 1'\n");
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("credential_process of profile default"), std::string::npos);
  EXPECT_NE(r.error().message.find("session expired"), std::string::npos) << r.error().message;
}

TEST_F(ChainTest, StsAndSsoProfilesAreUnsupportedNotSkipped) {
  write(".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n"
        "[profile web]\nrole_arn = arn:aws:iam::1:role/x\nweb_identity_token_file = /t\n"
        "[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n"
        "[profile sso]\nsso_session = corp\n");
  write(".aws/credentials", "[role]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n");
  for (const char* profile : {"role", "web", "ec2"}) {
    auto r = resolve_credentials(options(profile));
    ASSERT_FALSE(r.ok()) << profile;
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(r.error().message,
              fmt::format("profile {} assumes a role through STS; not supported yet", profile));
  }
  auto sso = resolve_credentials(options("sso"));
  ASSERT_FALSE(sso.ok());
  EXPECT_EQ(sso.error().code, ErrorCode::kUnavailable);
}

TEST_F(ChainTest, WebIdentityFromTheEnvironmentIsUnsupportedNotSkipped) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n");
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/x";
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/var/run/secrets/token";
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("not supported yet"), std::string::npos);
}

TEST_F(ChainTest, NothingAnywhereListsWhatWasTriedInOrder) {
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  const std::string& m = r.error().message;
  const auto env = m.find("environment");
  const auto creds = m.find("shared credentials file " + (home_ / ".aws/credentials").string());
  const auto process = m.find("credential_process");
  const auto config = m.find("config file " + (home_ / ".aws/config").string());
  ASSERT_NE(env, std::string::npos) << m;
  ASSERT_NE(creds, std::string::npos) << m;
  ASSERT_NE(process, std::string::npos) << m;
  ASSERT_NE(config, std::string::npos) << m;
  EXPECT_LT(env, creds);
  EXPECT_LT(creds, process);
  EXPECT_LT(process, config);
}

TEST_F(ChainTest, MalformedFileErrorNamesFileAndLineWithoutTheSecret) {
  write(".aws/credentials", std::string("[default]\naws_access_key_id = AKIA\n") + kSecret + "\n");
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind((home_ / ".aws/credentials").string() + ":3: ", 0), 0U)
      << r.error().message;
  expect_clean(r.error());
}

TEST_F(ChainTest, PartialFileCredentialsNeverShowTheSecret) {
  write(".aws/credentials", std::string("[default]\naws_secret_access_key = ") + kSecret + "\n");
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  expect_clean(r.error());
}

TEST_F(ChainTest, RegionPrecedence) {
  write(".aws/config", "[default]\nregion = eu-north-1\n[profile dev]\nregion = us-west-2\n");
  EXPECT_EQ(resolve_region(options(), std::nullopt)->value_or(""), "eu-north-1");
  EXPECT_EQ(resolve_region(options("dev"), std::nullopt)->value_or(""), "us-west-2");
  env_["AWS_DEFAULT_REGION"] = "sa-east-1";
  EXPECT_EQ(resolve_region(options("dev"), std::nullopt)->value_or(""), "sa-east-1");
  env_["AWS_REGION"] = "ca-central-1";
  EXPECT_EQ(resolve_region(options("dev"), std::nullopt)->value_or(""), "ca-central-1");
  EXPECT_EQ(resolve_region(options("dev"), "me-south-1")->value_or(""), "me-south-1");
}

TEST_F(ChainTest, NoRegionAnywhereIsNothing) {
  auto r = resolve_region(options(), std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

}  // namespace
}  // namespace mgate::backend::aws
