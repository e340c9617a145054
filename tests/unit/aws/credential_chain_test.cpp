// The credential chain's sources, their order, profile selection and region precedence,
// with temporary shared files and an injected environment.

#include "backend/aws/credential_chain.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws {
namespace {

constexpr const char* kChainSecret = "ChainSecret/Xy7+DistinctiveValue9876";

/// A temporary HOME with the two shared files, and the environment the chain sees.
class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mgate-aws-cred-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    home_ = pattern;
    std::filesystem::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
    // No test may reach a real metadata service; the IMDS tests point it at a loopback fake.
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
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

void expect_clean_chain_error(const Error& e) {
  EXPECT_EQ(e.describe().find(kChainSecret), std::string::npos) << e.describe();
}

TEST_F(ChainTest, EnvironmentWithSessionTokenOrLegacyName) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = kChainSecret;
  env_["AWS_SECURITY_TOKEN"] = "legacy";
  auto r = resolve_credentials(options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "environment");
  EXPECT_EQ(r->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(r->credentials.secret_access_key.reveal(), kChainSecret);
  EXPECT_EQ(r->credentials.session_token.reveal(), "legacy");
  env_["AWS_SESSION_TOKEN"] = "current";  // the current name wins over the legacy one
  EXPECT_EQ(resolve_credentials(options())->credentials.session_token.reveal(), "current");
}

TEST_F(ChainTest, PartialEnvironmentIsAnErrorWithoutTheSecret) {
  env_["AWS_SECRET_ACCESS_KEY"] = kChainSecret;
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  expect_clean_chain_error(r.error());
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
                           kChainSecret + "\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n");
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

TEST_F(ChainTest, SsoProfilesAreUnsupportedNotSkipped) {
  write(".aws/config",
        "[profile sso]\nsso_session = corp\n[profile legacy]\nsso_start_url = https://x/start\n");
  write(".aws/credentials", "[sso]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n");
  for (const char* profile : {"sso", "legacy"}) {
    auto r = resolve_credentials(options(profile));
    ASSERT_FALSE(r.ok()) << profile;
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(
        r.error().message,
        fmt::format("profile {} signs in through IAM Identity Center (SSO); not supported yet", profile));
  }
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
  const auto role = m.find("assume-role (role_arn of profile default)");
  const auto web = m.find("web identity (AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto container = m.find("container credentials");
  const auto imds = m.find("EC2 instance metadata (IMDS disabled by AWS_EC2_METADATA_DISABLED)");
  ASSERT_NE(env, std::string::npos) << m;
  ASSERT_NE(creds, std::string::npos) << m;
  ASSERT_NE(process, std::string::npos) << m;
  ASSERT_NE(config, std::string::npos) << m;
  ASSERT_NE(role, std::string::npos) << m;
  ASSERT_NE(web, std::string::npos) << m;
  ASSERT_NE(container, std::string::npos) << m;
  ASSERT_NE(imds, std::string::npos) << m;
  EXPECT_LT(env, role);
  EXPECT_LT(role, web);
  EXPECT_LT(web, creds);
  EXPECT_LT(creds, process);
  EXPECT_LT(process, config);
  EXPECT_LT(config, container);
  EXPECT_LT(container, imds);
}

TEST_F(ChainTest, MalformedFileErrorNamesFileAndLineWithoutTheSecret) {
  write(".aws/credentials", std::string("[default]\naws_access_key_id = AKIA\n") + kChainSecret + "\n");
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind((home_ / ".aws/credentials").string() + ":3: ", 0), 0U)
      << r.error().message;
  expect_clean_chain_error(r.error());
}

TEST_F(ChainTest, PartialFileCredentialsNeverShowTheSecret) {
  write(".aws/credentials", std::string("[default]\naws_secret_access_key = ") + kChainSecret + "\n");
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  expect_clean_chain_error(r.error());
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

// ---- The network sources: STS, container credentials and IMDS, against loopback fakes. ----

/// One fake that answers as STS (POST /), the container agent (GET /creds) and IMDSv2.
class NetworkChainTest : public ChainTest {
 protected:
  void SetUp() override {
    ChainTest::SetUp();
    auto& http = server_.server();
    http.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      const std::string role = req.get_param_value("RoleArn");
      const std::string name = role.substr(role.rfind('/') + 1);
      if (name == "denied") {
        res.status = 403;
        res.set_content(
            "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed</Message></Error>"
            "</ErrorResponse>",
            "text/xml");
        return;
      }
      const std::string action = req.get_param_value("Action");
      res.set_content("<" + action + "Response><" + action + "Result><Credentials><AccessKeyId>ASIA" + name +
                          "</AccessKeyId><SecretAccessKey>secret-" + name +
                          "</SecretAccessKey><SessionToken>token-" + name +
                          "</SessionToken><Expiration>2026-11-21T11:00:00Z</Expiration></Credentials></" +
                          action + "Result></" + action + "Response>",
                      "text/xml");
    });
    http.Get("/creds", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      res.set_content(R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"cs","Token":"ct",)"
                      R"("Expiration":"2026-11-21T12:00:00Z"})",
                      "application/json");
    });
    http.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      res.set_content("imds-token", "text/plain");
    });
    http.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
             [this](const httplib::Request& req, httplib::Response& res) {
               recorder_.record(req);
               if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-token") {
                 res.status = 401;
               } else if (std::string(req.matches[1]).empty()) {
                 res.set_content("web-role", "text/plain");
               } else {
                 res.set_content(R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"is",)"
                                 R"("Token":"it","Expiration":"2026-11-21T13:00:00Z"})",
                                 "application/json");
               }
             });
    ASSERT_TRUE(server_.start());
    env_["AWS_ENDPOINT_URL_STS"] = server_.url("");
    env_["AWS_REGION"] = "eu-central-1";
  }

  CredentialOptions options(std::optional<std::string> profile = std::nullopt) {
    CredentialOptions o = ChainTest::options(std::move(profile));
    o.http.retry.max_attempts = 1;
    o.now = [] { return Clock::time_point(std::chrono::seconds(1795000000)); };
    return o;
  }

  /// The STS calls seen, as "Action RoleArn signed-by-key".
  std::vector<std::string> sts_calls() {
    std::vector<std::string> calls;
    for (const auto& seen : recorder_.all()) {
      if (seen.method != "POST") continue;
      httplib::Params params;
      httplib::detail::parse_query_text(seen.body, params);
      const std::string auth = seen.header("Authorization");
      const auto from = auth.find("Credential=");
      const std::string key =
          from == std::string::npos ? "unsigned" : auth.substr(from + 11, auth.find('/', from) - from - 11);
      calls.push_back(params.find("Action")->second + " " + params.find("RoleArn")->second + " " + key);
    }
    return calls;
  }

  std::string param(const std::string& name) {
    for (const auto& seen : recorder_.all()) {
      if (seen.method != "POST") continue;
      httplib::Params params;
      httplib::detail::parse_query_text(seen.body, params);
      const auto it = params.find(name);
      return it == params.end() ? "<absent>" : it->second;
    }
    return "<no call>";
  }

  http::testing::LoopbackServer server_;
  http::testing::Recorder recorder_;
};

TEST_F(NetworkChainTest, RoleProfileAssumesTheRoleWithItsSourceProfileKeys) {
  write(".aws/config",
        "[profile deploy]\nrole_arn = arn:aws:iam::1:role/deploy\nsource_profile = base\n"
        "role_session_name = ops-console\nexternal_id = ext-9\nduration_seconds = 1800\n");
  write(".aws/credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n");
  auto r = resolve_credentials(options("deploy"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "assume-role (profile deploy, arn:aws:iam::1:role/deploy)");
  EXPECT_EQ(r->credentials.access_key_id, "ASIAdeploy");
  EXPECT_EQ(r->credentials.secret_access_key.reveal(), "secret-deploy");
  EXPECT_EQ(r->credentials.session_token.reveal(), "token-deploy");
  ASSERT_TRUE(r->credentials.expiration.has_value());
  EXPECT_EQ(format_rfc3339(*r->credentials.expiration), "2026-11-21T11:00:00.000Z");
  EXPECT_EQ(sts_calls(), std::vector<std::string>{"AssumeRole arn:aws:iam::1:role/deploy AKIABASE"});
  EXPECT_EQ(param("RoleSessionName"), "ops-console");
  EXPECT_EQ(param("ExternalId"), "ext-9");
  EXPECT_EQ(param("DurationSeconds"), "1800");
  const auto auth = recorder_.all().front().header("Authorization");
  EXPECT_NE(auth.find("/eu-central-1/sts/aws4_request"), std::string::npos) << auth;
}

TEST_F(NetworkChainTest, SourceProfilesChainRoleAfterRole) {
  write(".aws/config",
        "[profile prod]\nrole_arn = arn:aws:iam::1:role/prod\nsource_profile = hub\n"
        "[profile hub]\nrole_arn = arn:aws:iam::1:role/hub\nsource_profile = base\n");
  write(".aws/credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n");
  auto r = resolve_credentials(options("prod"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->credentials.access_key_id, "ASIAprod");
  EXPECT_EQ(sts_calls(), (std::vector<std::string>{"AssumeRole arn:aws:iam::1:role/hub AKIABASE",
                                                   "AssumeRole arn:aws:iam::1:role/prod ASIAhub"}));
  EXPECT_EQ(param("RoleSessionName"), "mgate-session-1795000000");
}

TEST_F(NetworkChainTest, SourceProfileCyclesAreRefusedBeforeAnyCall) {
  write(".aws/config",
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
        "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n");
  auto r = resolve_credentials(options("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "source_profile cycle: a -> b -> a");
  auto self = resolve_credentials(options("self"));
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().message, "source_profile cycle: self -> self");
  EXPECT_EQ(recorder_.count(), 0U);
}

TEST_F(NetworkChainTest, AProfileMaySourceItsOwnKeys) {
  write(".aws/credentials",
        "[self]\naws_access_key_id = AKIASELF\naws_secret_access_key = s\n"
        "role_arn = arn:aws:iam::1:role/self\nsource_profile = self\n");
  auto r = resolve_credentials(options("self"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->credentials.access_key_id, "ASIAself");  // the role wins over the profile's own keys
  EXPECT_EQ(sts_calls(), std::vector<std::string>{"AssumeRole arn:aws:iam::1:role/self AKIASELF"});
}

TEST_F(NetworkChainTest, CredentialSourcesEnvironmentAndContainer) {
  write(".aws/config",
        "[profile fromenv]\nrole_arn = arn:aws:iam::1:role/fromenv\ncredential_source = Environment\n"
        "[profile fromecs]\nrole_arn = arn:aws:iam::1:role/fromecs\ncredential_source = EcsContainer\n"
        "[profile bad]\nrole_arn = arn:aws:iam::1:role/bad\ncredential_source = Laptop\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url("/creds");
  auto fromenv = resolve_credentials(options("fromenv"));  // explicit, yet the source reads the environment
  ASSERT_TRUE(fromenv.ok()) << fromenv.error().describe();
  EXPECT_EQ(fromenv->credentials.access_key_id, "ASIAfromenv");
  auto fromecs = resolve_credentials(options("fromecs"));
  ASSERT_TRUE(fromecs.ok()) << fromecs.error().describe();
  EXPECT_EQ(fromecs->credentials.access_key_id, "ASIAfromecs");
  EXPECT_EQ(sts_calls(), (std::vector<std::string>{"AssumeRole arn:aws:iam::1:role/fromenv AKIAENV",
                                                   "AssumeRole arn:aws:iam::1:role/fromecs ASIACONTAINER"}));
  auto bad = resolve_credentials(options("bad"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("credential_source Laptop of profile bad"), std::string::npos);
}

TEST_F(NetworkChainTest, StsErrorsNameTheCallAndMfaIsRefused) {
  write(".aws/config",
        "[profile denied]\nrole_arn = arn:aws:iam::1:role/denied\nsource_profile = base\n"
        "[profile mfa]\nrole_arn = arn:aws:iam::1:role/mfa\nsource_profile = base\nmfa_serial = "
        "arn:aws:iam::1:mfa/me\n");
  write(".aws/credentials",
        std::string("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = ") + kChainSecret + "\n");
  auto denied = resolve_credentials(options("denied"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.error().message, "STS AssumeRole arn:aws:iam::1:role/denied: AccessDenied: not allowed");
  expect_clean_chain_error(denied.error());
  auto mfa = resolve_credentials(options("mfa"));
  ASSERT_FALSE(mfa.ok());
  EXPECT_EQ(mfa.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(mfa.error().message.find("MFA"), std::string::npos);
}

TEST_F(NetworkChainTest, WebIdentityFromTheEnvironmentBeatsTheCredentialsFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n");
  write("token", "oidc.jwt.token\n");
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "token").string();
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/pod";
  env_["AWS_ROLE_SESSION_NAME"] = "pod-session";
  auto r = resolve_credentials(options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "assume-role-with-web-identity (arn:aws:iam::1:role/pod)");
  EXPECT_EQ(r->credentials.access_key_id, "ASIApod");
  EXPECT_EQ(sts_calls(),
            std::vector<std::string>{"AssumeRoleWithWebIdentity arn:aws:iam::1:role/pod unsigned"});
  EXPECT_EQ(param("WebIdentityToken"), "oidc.jwt.token");
  EXPECT_EQ(param("RoleSessionName"), "pod-session");
  // An explicit profile ignores the variables, as the AWS CLI does.
  auto explicit_profile = resolve_credentials(options("default"));
  ASSERT_TRUE(explicit_profile.ok()) << explicit_profile.error().describe();
  EXPECT_EQ(explicit_profile->credentials.access_key_id, "AKIASTATIC");
}

TEST_F(NetworkChainTest, WebIdentityFromTheProfile) {
  write("token", "profile.jwt");
  write(".aws/config",
        "[profile web]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = ~/token\n");
  auto r = resolve_credentials(options("web"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->credentials.access_key_id, "ASIAweb");
  EXPECT_EQ(param("WebIdentityToken"), "profile.jwt");
}

TEST_F(NetworkChainTest, WhichSourceWinsWhenSeveralAreConfigured) {
  write(".aws/config",
        "[default]\nrole_arn = arn:aws:iam::1:role/role\nsource_profile = base\n"
        "[profile keys]\naws_access_key_id = AKIACONF\naws_secret_access_key = s\n");
  write(".aws/credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url("/creds");
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server_.url("");
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "e";
  EXPECT_EQ(resolve_credentials(options())->source, "environment");
  env_.erase("AWS_ACCESS_KEY_ID");
  env_.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(resolve_credentials(options())->credentials.access_key_id, "ASIArole");  // role before the rest
  EXPECT_EQ(resolve_credentials(options("keys"))->source,
            "config-file (profile keys)");  // files before container
  write(".aws/config", "[profile keys]\nregion = eu-west-1\n");
  auto container = resolve_credentials(options());
  ASSERT_TRUE(container.ok()) << container.error().describe();
  EXPECT_EQ(container->source, "container-role (" + server_.url("/creds") + ")");  // container before IMDS
  EXPECT_EQ(container->credentials.access_key_id, "ASIACONTAINER");
  env_.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  auto imds = resolve_credentials(options());
  ASSERT_TRUE(imds.ok()) << imds.error().describe();
  EXPECT_EQ(imds->source, "iam-role (instance metadata, role web-role)");
  EXPECT_EQ(imds->credentials.access_key_id, "ASIAIMDS");
  ASSERT_TRUE(imds->credentials.expiration.has_value());
}

TEST_F(NetworkChainTest, UnreachableImdsIsOnlyATriedEntry) {
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9";
  auto r = resolve_credentials(options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message.find("EC2 instance metadata (IMDS at http://127.0.0.1:9/: unreachable"),
            std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace mgate::backend::aws
