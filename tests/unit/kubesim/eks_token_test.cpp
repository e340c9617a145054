#include "tests/sandbox/kubesim/eks_token.hpp"

#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

namespace mgate::kubesim {
namespace {

using std::chrono::system_clock;

constexpr const char* kMotoAnswer =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">)"
    R"(<GetCallerIdentityResult><UserId>zfkhwhcvjzd81zc76020</UserId>)"
    R"(<Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>)"
    R"(</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId>)"
    R"(</ResponseMetadata></GetCallerIdentityResponse>)";

// A query shaped like `aws eks get-token` makes at 2026-11-21T09:21:52Z.
constexpr const char* kQuery =
    "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20261121%2Fus-east-1%2Fsts%2Faws4_request"
    "&X-Amz-Date=20261121T092152Z&X-Amz-Expires=60"
    "&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=4f0704290235a2dd";

system_clock::time_point signed_at() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 21;
  tm.tm_hour = 9;
  tm.tm_min = 21;
  tm.tm_sec = 52;
  return system_clock::from_time_t(::timegm(&tm));
}

std::string base64url(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3FU];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3FU];
  return out;
}

std::string token_for(const std::string& url) {
  return "k8s-aws-v1." + base64url(url);
}

std::string aws_url(const std::string& query = kQuery) {
  return "https://sts.us-east-1.amazonaws.com/?" + query;
}

// The refusal message verify_eks_token throws (STS unreachable: port 1 refuses connections).
std::string refusal(const std::string& token, system_clock::time_point now = signed_at()) {
  const EksCheck check{"http://127.0.0.1:1", "sandbox"};
  try {
    verify_eks_token(token, check, now);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<accepted>";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

const std::string kFormat = "input token was not properly formatted: ";
const std::string kUnreachable =
    "sts getCallerIdentity failed: error during GET: Connection (http://127.0.0.1:1)";

TEST(EksTokenChecks, PrefixSizeAndEncoding) {
  EXPECT_EQ(refusal(base64url(aws_url())), kFormat + "token is missing expected \"k8s-aws-v1.\" prefix");
  EXPECT_EQ(refusal("k8s-aws-v1." + std::string(5000, 'A')), kFormat + "token is too large");
  EXPECT_EQ(refusal("k8s-aws-v1.aHR0cHM6Ly9=="), kFormat + "illegal base64 data at input byte 11");
  EXPECT_EQ(refusal("k8s-aws-v1.aHR0c+M6"), kFormat + "illegal base64 data at input byte 5");
  EXPECT_EQ(refusal(token_for("sts.amazonaws.com/?Action=GetCallerIdentity")),
            kFormat + "token does not decode to a URL: missing protocol scheme");
}

TEST(EksTokenChecks, SchemeHostAndPath) {
  EXPECT_EQ(refusal(token_for(replace(aws_url(), "https:", "http:"))),
            kFormat + "unexpected scheme \"http\" in pre-signed URL");
  EXPECT_EQ(refusal(token_for(replace(aws_url(), "sts.us-east-1.amazonaws.com", "evil.example"))),
            kFormat + "unexpected hostname \"evil.example\" in pre-signed URL");
  EXPECT_EQ(refusal(token_for(replace(aws_url(), ".amazonaws.com", ".amazonaws.com.evil.io"))),
            kFormat +
                "unexpected hostname \"sts.us-east-1.amazonaws.com.evil.io\" in pre-signed "
                "URL");
  EXPECT_EQ(refusal(token_for(replace(aws_url(), "/?", "/x?"))),
            kFormat + "unexpected path in pre-signed URL");
  // Every real STS host shape passes the checks and reaches the (here unreachable) STS.
  EXPECT_EQ(refusal(token_for(aws_url())), kUnreachable);
  EXPECT_EQ(refusal(token_for("https://sts.amazonaws.com/?" + std::string(kQuery))), kUnreachable);
  EXPECT_EQ(refusal(token_for("https://sts.cn-north-1.amazonaws.com.cn/?" + std::string(kQuery))),
            kUnreachable);
  // The local STS's own host is accepted with its scheme.
  EXPECT_EQ(refusal(token_for("http://127.0.0.1:1/?" + std::string(kQuery))), kUnreachable);
}

TEST(EksTokenChecks, QueryParameters) {
  EXPECT_EQ(refusal(token_for(aws_url(std::string(kQuery) + "&Foo=1"))),
            kFormat + "non-whitelisted query parameter \"Foo\"");
  EXPECT_EQ(refusal(token_for(aws_url(std::string(kQuery) + "&Action=GetCallerIdentity"))),
            kFormat + "query parameter with multiple values not supported");
  EXPECT_EQ(refusal(token_for(aws_url(std::string(kQuery) + "&X-Amz-Date=%zz"))),
            kFormat + "malformed query parameter");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "GetCallerIdentity", "AssumeRole")))),
            kFormat + "unexpected action parameter in pre-signed URL");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "2011-06-15", "2012-01-01")))),
            kFormat + "unexpected version parameter in pre-signed URL");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "host%3Bx-k8s-aws-id", "host")))),
            kFormat + "client did not sign the x-k8s-aws-id header in the pre-signed URL");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "&X-Amz-Expires=60", "")))),
            kFormat + "invalid X-Amz-Expires parameter in pre-signed URL: 0");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "X-Amz-Expires=60", "X-Amz-Expires=901")))),
            kFormat + "invalid X-Amz-Expires parameter in pre-signed URL: 901");
  // Parameter names are matched without regard to case, as aws-iam-authenticator does.
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "Action=", "action=")))), kUnreachable);
}

TEST(EksTokenChecks, DateAndAge) {
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "&X-Amz-Date=20261121T092152Z", "")))),
            kFormat + "X-Amz-Date parameter must be present in pre-signed URL");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "20261121T092152Z", "20261131T092152Z")))),
            kFormat +
                "error parsing X-Amz-Date parameter 20261131T092152Z into format "
                "20060102T150405Z");
  EXPECT_EQ(refusal(token_for(aws_url(replace(kQuery, "20261121T092152Z", "2026-11-21")))),
            kFormat + "error parsing X-Amz-Date parameter 2026-11-21 into format 20060102T150405Z");
  const std::string token = token_for(aws_url());
  EXPECT_EQ(refusal(token, signed_at() + std::chrono::seconds(900)), kUnreachable);
  EXPECT_EQ(refusal(token, signed_at() + std::chrono::seconds(901)),
            kFormat +
                "X-Amz-Date parameter is expired (15 minute expiration) 2026-11-21 "
                "09:21:52 +0000 UTC");
  EXPECT_EQ(refusal(token, signed_at() - std::chrono::seconds(60)), kUnreachable);
  EXPECT_EQ(refusal(token, signed_at() - std::chrono::seconds(61)),
            kFormat + "X-Amz-Date parameter is in the future: 2026-11-21 09:21:52 +0000 UTC");
}

TEST(EksTokenChecks, MaxAgeIsConfigurable) {
  const EksCheck check{"http://127.0.0.1:1", "sandbox", std::chrono::seconds(120)};
  try {
    verify_eks_token(token_for(aws_url()), check, signed_at() + std::chrono::seconds(121));
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), kFormat +
                                         "X-Amz-Date parameter is expired (2 minute "
                                         "expiration) 2026-11-21 09:21:52 +0000 UTC");
  }
}

TEST(EksCallerIdentity, ParsesMotoXml) {
  const EksIdentity id = parse_caller_identity(kMotoAnswer);
  EXPECT_EQ(id.arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(id.account, "123456789012");
  EXPECT_EQ(id.user_id, "zfkhwhcvjzd81zc76020");
}

TEST(EksCallerIdentity, ParsesJsonAndXmlEntities) {
  const EksIdentity id = parse_caller_identity(
      R"({"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account":"111122223333",)"
      R"("Arn":"arn:aws:sts::111122223333:assumed-role/dev/bob","UserId":"AROAX:bob"},)"
      R"("ResponseMetadata":{"RequestId":"x"}}})");
  EXPECT_EQ(id.arn, "arn:aws:sts::111122223333:assumed-role/dev/bob");
  EXPECT_EQ(id.account, "111122223333");
  EXPECT_EQ(id.user_id, "AROAX:bob");
  EXPECT_EQ(parse_caller_identity("<Arn>arn:a&amp;b</Arn>").arn, "arn:a&b");
}

TEST(EksCallerIdentity, RefusesAnswersWithoutArnOrWithBadUserId) {
  EXPECT_THROW(
      {
        try {
          parse_caller_identity("<ListAllMyBucketsResult/>");
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(),
                       "sts getCallerIdentity failed: answer carries no Arn: <ListAllMyBucketsResult/>");
          throw;
        }
      },
      std::runtime_error);
  try {
    parse_caller_identity("<Arn>arn:x</Arn><UserId>a:b:c</UserId>");
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sts getCallerIdentity failed: malformed UserID \"a:b:c\"");
  }
}

// A local server standing in for STS (moto), recording what it was asked.
class FakeStsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      target_ = req.target;
      cluster_id_ = req.get_header_value("x-k8s-aws-id");
      accept_ = req.get_header_value("Accept");
      authorization_ = req.get_header_value("Authorization");
      res.status = status_;
      res.set_content(answer_, "application/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    check_ = {"http://127.0.0.1:" + std::to_string(port_), "sandbox"};
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  EksCheck check_;
  std::mutex mutex_;
  int status_ = 200;
  std::string answer_ = kMotoAnswer;
  std::string target_, cluster_id_, accept_, authorization_;
};

TEST_F(FakeStsTest, ReplaysTheExactQueryWithClusterHeader) {
  const EksIdentity id = verify_eks_token(token_for(aws_url()), check_, signed_at());
  EXPECT_EQ(id.arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(id.account, "123456789012");
  EXPECT_EQ(id.user_id, "zfkhwhcvjzd81zc76020");
  std::lock_guard<std::mutex> lock(mutex_);
  EXPECT_EQ(target_, "/?" + std::string(kQuery));
  EXPECT_EQ(cluster_id_, "sandbox");
  EXPECT_EQ(accept_, "application/json");
  EXPECT_EQ(authorization_,
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261121/us-east-1/sts/aws4_request, "
            "SignedHeaders=host;x-k8s-aws-id, Signature=4f0704290235a2dd");
}

TEST_F(FakeStsTest, NoRoutingHeaderWhenDisabled) {
  check_.moto_routing_header = false;
  verify_eks_token(token_for(aws_url()), check_, signed_at());
  std::lock_guard<std::mutex> lock(mutex_);
  EXPECT_EQ(authorization_, "");
}

TEST_F(FakeStsTest, StsRefusalNamesStatusAndCode) {
  status_ = 403;
  answer_ =
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The "
      "security token included in the request is invalid.</Message></Error></ErrorResponse>";
  try {
    verify_eks_token(token_for(aws_url()), check_, signed_at());
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "sts getCallerIdentity failed: error from AWS (expected 200, got 403). "
                 "InvalidClientTokenId: The security token included in the request is invalid.");
  }
  status_ = 500;
  answer_ = "boom";
  try {
    verify_eks_token(token_for(aws_url()), check_, signed_at());
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "sts getCallerIdentity failed: error from AWS (expected 200, got 500). Body: boom");
  }
}

}  // namespace
}  // namespace mgate::kubesim
