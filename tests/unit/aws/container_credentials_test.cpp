// The container credential source against a scripted loopback agent: the URL it builds, the
// Authorization header it sends, the hosts it refuses and the JSON it reads.

#include "backend/aws/container_credentials.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws {
namespace {

using http::testing::LoopbackServer;
using http::testing::Recorder;

constexpr const char* kContainerSecret = "ContainerSecret/Ab3+DistinctiveValue5555";
constexpr const char* kAnswer =
    R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"ContainerSecret/Ab3+DistinctiveValue5555",)"
    R"("Token":"container-token","Expiration":"2026-11-21T10:00:00Z","RoleArn":"arn:aws:iam::1:role/task"})";

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      res.status = status_;
      res.set_content(status_ == 200 ? kAnswer : R"({"code":"AccessDenied","message":"no"})",
                      "application/json");
    });
    ASSERT_TRUE(server_.start());
  }
  static http::ClientOptions fast() {
    http::ClientOptions options;
    options.retry.max_attempts = 1;
    return options;
  }

  LoopbackServer server_;
  Recorder recorder_;
  int status_ = 200;
};

TEST(ContainerRequest, RelativeUriGoesToTheEcsAgent) {
  ContainerSettings settings;
  settings.relative_uri = "/v2/credentials/abc-123";
  settings.full_uri = "http://127.0.0.1:1/ignored";  // the relative URI wins, as in botocore
  auto request = container_request(settings);
  ASSERT_TRUE(request.ok()) << request.error().describe();
  EXPECT_EQ(request->url, "http://169.254.170.2/v2/credentials/abc-123");
  EXPECT_FALSE(request->authorization.has_value());
}

TEST(ContainerRequest, FullUriHostsAllowedOverHttp) {
  for (const char* url : {"http://127.0.0.1:8080/creds", "http://localhost/creds", "http://169.254.170.2/c",
                          "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
                          "http://[::1]:9/c", "https://creds.example.com/c"}) {
    ContainerSettings settings;
    settings.full_uri = url;
    auto request = container_request(settings);
    ASSERT_TRUE(request.ok()) << url << ": " << request.error().describe();
    EXPECT_EQ(request->url, url);
  }
}

TEST(ContainerRequest, OtherHostsOverHttpAreRefused) {
  for (const char* url : {"http://169.254.169.254/latest", "http://creds.example.com/c", "http://10.0.0.1/c",
                          "http://127.evil.com/c"}) {
    ContainerSettings settings;
    settings.full_uri = url;
    auto request = container_request(settings);
    ASSERT_FALSE(request.ok()) << url;
    EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(request.error().message.find("is not allowed over http"), std::string::npos)
        << request.error().message;
  }
}

TEST(ContainerRequest, NotConfiguredIsNotFound) {
  auto request = container_request(ContainerSettings{});
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, ErrorCode::kNotFound);
}

TEST(ContainerRequest, SettingsComeFromTheEnvironment) {
  const std::map<std::string, std::string> env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/x"},
                                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"},
                                               {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""}};
  const auto settings = container_settings([&](const char* name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  EXPECT_TRUE(settings.configured());
  EXPECT_FALSE(settings.relative_uri.has_value());  // empty counts as unset
  EXPECT_EQ(settings.full_uri.value_or(""), "http://127.0.0.1/x");
  EXPECT_EQ(settings.authorization_token.value_or(""), "tok");
  EXPECT_FALSE(settings.authorization_token_file.has_value());
}

TEST_F(ContainerTest, FullUriWithTokenFromTheEnvironment) {
  ContainerSettings settings;
  settings.full_uri = server_.url("/v1/credentials");
  settings.authorization_token = "env-token-value";
  auto creds = fetch_container_credentials(settings, fast());
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(creds->secret_access_key.reveal(), kContainerSecret);
  EXPECT_EQ(creds->session_token.reveal(), "container-token");
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(format_rfc3339(*creds->expiration), "2026-11-21T10:00:00.000Z");
  ASSERT_EQ(recorder_.count(), 1U);
  EXPECT_EQ(recorder_.all().front().path, "/v1/credentials");
  EXPECT_EQ(recorder_.all().front().header("Authorization"), "env-token-value");
}

TEST_F(ContainerTest, TokenFileWinsOverTheTokenVariable) {
  const auto path = std::filesystem::temp_directory_path() / "mgate-container-token-test";
  std::ofstream(path) << "file-token-value\n";
  ContainerSettings settings;
  settings.full_uri = server_.url("/v1/credentials");
  settings.authorization_token = "env-token-value";
  settings.authorization_token_file = path.string();
  auto creds = fetch_container_credentials(settings, fast());
  std::filesystem::remove(path);
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(recorder_.all().front().header("Authorization"), "file-token-value");

  auto missing = fetch_container_credentials(settings, fast());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_EQ(recorder_.count(), 1U);  // nothing sent without the token
}

TEST_F(ContainerTest, RefusalIsAnErrorNamingTheStatus) {
  status_ = 403;
  ContainerSettings settings;
  settings.full_uri = server_.url("/v1/credentials?secret=q");
  auto creds = fetch_container_credentials(settings, fast());
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(creds.error().message,
            "container credentials from " + server_.url("/v1/credentials") + ": HTTP 403");
}

TEST(ContainerParse, IncompleteAnswerNeverQuotesIt) {
  auto creds =
      parse_json_credentials(R"({"AccessKeyId":"A","SecretAccessKey":")" + std::string(kContainerSecret) + R"("})",
                             "container credentials from x");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().message, "container credentials from x: the answer has no string Token");
  EXPECT_EQ(creds.error().describe().find(kContainerSecret), std::string::npos);
}

}  // namespace
}  // namespace mgate::backend::aws
