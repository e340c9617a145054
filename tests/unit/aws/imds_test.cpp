// IMDSv2 against a scripted loopback metadata service that, like the real one with
// HttpTokens=required, answers 401 to any GET without a session token.

#include "backend/aws/imds.hpp"

#include <gtest/gtest.h>

#include <map>

#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws {
namespace {

using http::testing::LoopbackServer;
using http::testing::Recorder;

constexpr const char* kToken = "AQAEAimds-session-token==";

class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) {
        res.status = 400;
        return;
      }
      res.set_content(kToken, "text/plain");
    });
    server_.server().Get(
        R"(/latest/meta-data/iam/security-credentials/(.*))",
        [this](const httplib::Request& req, httplib::Response& res) {
          recorder_.record(req);
          if (req.get_header_value("X-aws-ec2-metadata-token") != kToken) {
            res.status = 401;
            return;
          }
          const std::string role = req.matches[1];
          if (role.empty()) {
            if (roles_.empty()) {
              res.status = 404;
              return;
            }
            res.set_content(roles_, "text/plain");
          } else if (role == "ops-instance-role") {
            res.set_content(
                R"({"Code":"Success","LastUpdated":"2026-11-21T08:00:00Z","Type":"AWS-HMAC",)"
                R"("AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-token",)"
                R"("Expiration":"2026-11-21T14:00:00Z"})",
                "application/json");
          } else {
            res.status = 404;
          }
        });
    ASSERT_TRUE(server_.start());
  }

  ImdsSettings settings() {
    ImdsSettings s;
    s.endpoint = server_.url("");
    return s;
  }

  LoopbackServer server_;
  Recorder recorder_;
  std::string roles_ = "ops-instance-role\n";
};

TEST_F(ImdsTest, TokenThenRoleThenCredentials) {
  auto creds = fetch_imds_credentials(settings(), {});
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->role, "ops-instance-role");
  EXPECT_EQ(creds->credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(creds->credentials.secret_access_key.reveal(), "imds-secret");
  EXPECT_EQ(creds->credentials.session_token.reveal(), "imds-token");
  ASSERT_TRUE(creds->credentials.expiration.has_value());
  EXPECT_EQ(format_rfc3339(*creds->credentials.expiration), "2026-11-21T14:00:00.000Z");

  const auto seen = recorder_.all();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].header("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(seen[1].path, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(seen[2].path, "/latest/meta-data/iam/security-credentials/ops-instance-role");
  EXPECT_EQ(seen[2].header("X-aws-ec2-metadata-token"), kToken);
}

TEST_F(ImdsTest, WithoutTheTokenTheServerRefuses) {
  // The fake really enforces IMDSv2: a GET without the header is 401, so the test above can fail.
  httplib::Client raw("127.0.0.1", server_.port());
  auto res = raw.Get("/latest/meta-data/iam/security-credentials/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(ImdsTest, NoRoleIsNotFound) {
  roles_.clear();
  auto creds = fetch_imds_credentials(settings(), {});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(creds.error().message, "IMDS at " + server_.url("/") + ": no instance profile role");
}

TEST_F(ImdsTest, DisabledMakesNoRequest) {
  ImdsSettings s = settings();
  s.disabled = true;
  auto creds = fetch_imds_credentials(s, {});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(recorder_.count(), 0U);
}

TEST(Imds, UnreachableIsNotFoundQuickly) {
  ImdsSettings s;
  s.endpoint = "http://127.0.0.1:9";  // discard port: nobody listens on loopback
  const auto start = std::chrono::steady_clock::now();
  auto creds = fetch_imds_credentials(s, {});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kNotFound);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(Imds, SettingsFromTheEnvironment) {
  std::map<std::string, std::string> env{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]"},
                                         {"AWS_EC2_METADATA_DISABLED", "TRUE"}};
  const auto lookup = [&](const char* name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  ImdsSettings s = imds_settings(lookup);
  EXPECT_EQ(s.endpoint, "http://[fd00:ec2::254]");
  EXPECT_TRUE(s.disabled);
  env.clear();
  s = imds_settings(lookup);
  EXPECT_EQ(s.endpoint, "http://169.254.169.254");
  EXPECT_FALSE(s.disabled);
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(s.attempts, 1);
}

}  // namespace
}  // namespace mgate::backend::aws
