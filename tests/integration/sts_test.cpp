// The credential chain's STS sources against the sandbox's real moto_server: a role profile
// (role_arn + source_profile) and web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) resolve
// through AssumeRole / AssumeRoleWithWebIdentity, reached through AWS_ENDPOINT_URL_STS, and the
// temporary credentials then sign a real ECR call.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "backend/aws/credential_cache.hpp"
#include "backend/aws/credential_chain.hpp"
#include "backend/aws/ecr_client.hpp"
#include "backend/aws/endpoints.hpp"
#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/moto_service.hpp"

namespace mgate::sandbox::testing {
namespace {

using backend::aws::CredentialOptions;
using backend::aws::EcrClient;
using backend::aws::EcrOptions;
using backend::aws::ResolvedCredentials;

const std::string kRoleArn = std::string("arn:aws:iam::") + kMotoAccountId + ":role/mgate-deploy";

/// Shared files in a fresh directory, and an environment pointing STS and ECR at moto.
class StsMoto : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = shared_sandbox();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
    sandbox_ = *sandbox;
    dir_ = make_test_dir("sts");
    env_["HOME"] = dir_.string();
    env_["AWS_CONFIG_FILE"] = (dir_ / "config").string();
    env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "credentials").string();
    env_["AWS_ENDPOINT_URL_STS"] = sandbox_->moto_url();
    env_["AWS_ENDPOINT_URL_ECR"] = sandbox_->moto_url();
    env_["AWS_REGION"] = kMotoRegion;
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

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

  /// Creates a repository and reads it back with an EcrClient signing with `creds`.
  void expect_ecr_works(const ResolvedCredentials& creds, const std::string& base) {
    auto endpoint = backend::aws::resolve_endpoint(options(), "ecr", kMotoRegion, std::nullopt);
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().describe();
    EXPECT_EQ(*endpoint, sandbox_->moto_url());
    EcrOptions ecr;
    ecr.region = kMotoRegion;
    ecr.endpoint = *endpoint;
    ecr.credentials = creds.credentials;
    EcrClient client(std::move(ecr));
    const std::string repo = base + "-" + std::to_string(::getpid());
    auto created = client.create_repository(repo);
    ASSERT_TRUE(created.ok()) << created.error().describe();
    auto described = client.describe_repositories({repo});
    ASSERT_TRUE(described.ok()) << described.error().describe();
    ASSERT_EQ(described->size(), 1U);
    EXPECT_EQ((*described)[0].name, repo);
    EXPECT_EQ((*described)[0].registry_id, kMotoAccountId);
  }

  static void expect_temporary(const ResolvedCredentials& r) {
    EXPECT_EQ(r.credentials.access_key_id.rfind("ASIA", 0), 0U) << r.credentials.access_key_id;
    EXPECT_GE(r.credentials.access_key_id.size(), 16U);
    EXPECT_FALSE(r.credentials.secret_access_key.empty());
    EXPECT_FALSE(r.credentials.session_token.empty());
    ASSERT_TRUE(r.credentials.expiration.has_value());
    EXPECT_GT(*r.credentials.expiration, backend::Clock::now());
    EXPECT_LT(*r.credentials.expiration, backend::Clock::now() + std::chrono::hours(13));
  }

  Sandbox* sandbox_ = nullptr;
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(StsMoto, RoleProfileAssumesTheRoleAndItsKeysSignEcr) {
  write("config", "[profile deploy]\nrole_arn = " + kRoleArn +
                      "\nsource_profile = base\nrole_session_name = mgate-it\nduration_seconds = 900\n");
  write("credentials", "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n");
  auto r = backend::aws::resolve_credentials(options("deploy"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "assume-role (profile deploy, " + kRoleArn + ")");
  expect_temporary(*r);
  expect_ecr_works(*r, "mgate-sts-role");

  // Through the cache, as the app uses it: the expiration is what schedules the refresh.
  backend::aws::CredentialCache cache([&] { return backend::aws::resolve_credentials(options("deploy")); });
  auto cached = cache.get();
  ASSERT_TRUE(cached.ok()) << cached.error().describe();
  EXPECT_EQ(cached->credentials.access_key_id.rfind("ASIA", 0), 0U);
}

TEST_F(StsMoto, WebIdentityFromTheEnvironmentAndItsKeysSignEcr) {
  write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZ2F0ZSJ9.c2ln\n");
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_ / "token").string();
  env_["AWS_ROLE_ARN"] = kRoleArn;
  env_["AWS_ROLE_SESSION_NAME"] = "mgate-pod";
  auto r = backend::aws::resolve_credentials(options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->source, "assume-role-with-web-identity (" + kRoleArn + ")");
  expect_temporary(*r);
  expect_ecr_works(*r, "mgate-sts-web");
}

TEST_F(StsMoto, StsUnreachableNamesTheCall) {
  env_["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9";
  write("config", "[profile deploy]\nrole_arn = " + kRoleArn + "\nsource_profile = base\n");
  write("credentials", "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n");
  CredentialOptions o = options("deploy");
  o.http.retry.max_attempts = 1;
  auto r = backend::aws::resolve_credentials(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("STS AssumeRole " + kRoleArn + ": ", 0), 0U) << r.error().message;
  EXPECT_EQ(r.error().describe().find("testing"), std::string::npos) << r.error().describe();
}

}  // namespace
}  // namespace mgate::sandbox::testing
