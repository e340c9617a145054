// StsClient: the Query request it sends, the XML answer it reads and the XML errors it maps,
// against a scripted loopback server.

#include "backend/aws/sts_client.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::aws {
namespace {

using http::testing::LoopbackServer;
using http::testing::Recorder;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/deploy";
constexpr const char* kNewSecret = "StsSecret/Qz9+DistinctiveValue1234";
constexpr const char* kNewToken = "FwoGZXIvYXdzEDistinctiveSessionToken==";

std::string assume_role_answer(const std::string& action = "AssumeRole") {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <" + action +
         "Result>\n    <Credentials>\n      <AccessKeyId>ASIAEXAMPLE123</AccessKeyId>\n"
         "      <SecretAccessKey>" +
         kNewSecret +
         "</SecretAccessKey>\n"
         "      <SessionToken>" +
         kNewToken +
         "</SessionToken>\n"
         "      <Expiration>2026-11-21T09:30:00Z</Expiration>\n    </Credentials>\n"
         "    "
         "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/s</Arn></AssumedRoleUser>\n  "
         "</" +
         action + "Result>\n</" + action + "Response>\n";
}

class StsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      recorder_.record(req);
      res.status = status_;
      res.set_content(answer_, "text/xml");
    });
    ASSERT_TRUE(server_.start());
  }

  StsClient client() {
    StsOptions options;
    options.endpoint = server_.url("/");
    options.region = "eu-west-1";
    options.http.retry.max_attempts = 1;
    options.now = [] { return Clock::time_point(std::chrono::seconds(1795000000)); };
    return StsClient(std::move(options));
  }

  static Credentials source() {
    return Credentials{"AKIASOURCE", Secret("source-secret"), Secret("source-token"), std::nullopt};
  }

  LoopbackServer server_;
  Recorder recorder_;
  int status_ = 200;
  std::string answer_ = assume_role_answer();
};

TEST_F(StsTest, AssumeRoleSendsASignedQueryRequestAndReadsTheCredentials) {
  auto sts = client();
  AssumeRoleRequest request{kRole, "ops session", "ext-42", 1800, std::nullopt};
  auto creds = sts.assume_role(request, source());
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->access_key_id, "ASIAEXAMPLE123");
  EXPECT_EQ(creds->secret_access_key.reveal(), kNewSecret);
  EXPECT_EQ(creds->session_token.reveal(), kNewToken);
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(format_rfc3339(*creds->expiration), "2026-11-21T09:30:00.000Z");

  ASSERT_EQ(recorder_.count(), 1U);
  const auto seen = recorder_.all().front();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy"
            "&RoleSessionName=ops%20session&ExternalId=ext-42&DurationSeconds=1800");
  EXPECT_EQ(seen.header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(seen.header("Authorization").rfind("AWS4-HMAC-SHA256 Credential=AKIASOURCE/", 0), 0U)
      << seen.header("Authorization");
  EXPECT_NE(seen.header("Authorization").find("/eu-west-1/sts/aws4_request"), std::string::npos);
  EXPECT_EQ(seen.header("X-Amz-Security-Token"), "source-token");
}

TEST_F(StsTest, WebIdentityIsUnsignedAndCarriesTheToken) {
  answer_ = assume_role_answer("AssumeRoleWithWebIdentity");
  auto sts = client();
  auto creds = sts.assume_role_with_web_identity(
      WebIdentityRequest{kRole, "pod", Secret("eyJhbGciOi.jwt+token"), std::nullopt});
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->access_key_id, "ASIAEXAMPLE123");
  const auto seen = recorder_.all().front();
  EXPECT_EQ(seen.header("Authorization"), "<absent>");
  EXPECT_NE(seen.body.find("Action=AssumeRoleWithWebIdentity&"), std::string::npos) << seen.body;
  EXPECT_NE(seen.body.find("&WebIdentityToken=eyJhbGciOi.jwt%2Btoken"), std::string::npos) << seen.body;
}

TEST_F(StsTest, AccessDeniedNamesTheCallAndTheMessage) {
  status_ = 403;
  answer_ =
      "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
      "<Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/ci is not authorized to perform: "
      "sts:AssumeRole on resource: "
      "&quot;deploy&quot;</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
  auto sts = client();
  auto creds =
      sts.assume_role(AssumeRoleRequest{kRole, "s", std::nullopt, std::nullopt, std::nullopt}, source());
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      creds.error().message,
      std::string("STS AssumeRole ") + kRole +
          ": AccessDenied: User: arn:aws:iam::1:user/ci is not authorized to perform: sts:AssumeRole on "
          "resource: \"deploy\"");
  EXPECT_EQ(creds.error().detail, "AccessDenied");
  EXPECT_EQ(creds.error().describe().find("source-secret"), std::string::npos);
  EXPECT_EQ(creds.error().describe().find("source-token"), std::string::npos);
}

TEST_F(StsTest, ErrorCodesMapToKinds) {
  const auto error_for = [](long status, const std::string& code) {
    http::Response response;
    response.status = status;
    response.body =
        "<ErrorResponse><Error><Code>" + code + "</Code><Message>m</Message></Error></ErrorResponse>";
    return sts_error("STS AssumeRole x", response);
  };
  EXPECT_EQ(error_for(403, "InvalidClientTokenId").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(error_for(400, "ExpiredToken").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(error_for(400, "InvalidIdentityToken").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(error_for(400, "Throttling").code, ErrorCode::kUnavailable);
  EXPECT_TRUE(error_for(400, "Throttling").retryable);
  EXPECT_EQ(error_for(400, "ValidationError").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_for(503, "ServiceUnavailable").code, ErrorCode::kUnavailable);
  http::Response bare;
  bare.status = 502;
  bare.body = "<html>bad gateway</html>";
  EXPECT_EQ(sts_error("STS AssumeRole x", bare).message, "STS AssumeRole x: HTTP 502");
}

TEST_F(StsTest, MfaIsRefusedWithoutACall) {
  auto sts = client();
  auto creds = sts.assume_role(
      AssumeRoleRequest{kRole, "s", std::nullopt, std::nullopt, "arn:aws:iam::1:mfa/ci"}, source());
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(creds.error().message.find("MFA"), std::string::npos) << creds.error().message;
  EXPECT_EQ(recorder_.count(), 0U);
}

TEST(StsParse, MissingPartsAreProtocolErrorsThatNeverQuoteTheAnswer) {
  std::string answer = assume_role_answer();
  const auto cut = answer.find("<SessionToken>");
  answer.erase(cut, answer.find("</SessionToken>") + 15 - cut);
  auto creds = parse_sts_credentials(answer, "STS AssumeRole r");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(creds.error().message, "STS AssumeRole r: unreadable answer: no SessionToken");
  EXPECT_EQ(creds.error().describe().find(kNewSecret), std::string::npos);

  auto none = parse_sts_credentials("<html/>", "STS AssumeRole r");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "STS AssumeRole r: unreadable answer: no <Credentials> element");
}

TEST(StsParse, FormEncodingUsesUnreservedCharactersOnly) {
  EXPECT_EQ(form_encode({{"a b", "x/y+z=~._-"}, {"k", ""}}), "a%20b=x%2Fy%2Bz%3D~._-&k=");
}

TEST(StsParse, WebIdentityTokenFileIsTrimmedAndMissingFileIsNamed) {
  const auto path = std::filesystem::temp_directory_path() / "mgate-sts-token-test";
  std::ofstream(path) << "header.payload.sig\n";
  auto token = read_web_identity_token(path.string());
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->reveal(), "header.payload.sig");
  std::filesystem::remove(path);
  auto missing = read_web_identity_token(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_EQ(missing.error().message, "cannot read the web identity token file " + path.string());
}

}  // namespace
}  // namespace mgate::backend::aws
