// backend/kube/eks_token against the real aws CLI (same keys, region, cluster and second) and
// against the simulator's independent SigV4 query check and EKS token verifier.

#include "backend/kube/eks_token.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox/kubesim/eks_token.hpp"
#include "tests/sandbox/kubesim/sigv4_query_check.hpp"

namespace mgate::backend::kube {
namespace {

using std::chrono::system_clock;

constexpr const char* kAkid = "AKIAKUBETESTKEY";
constexpr const char* kSecret = "kube/test+secret";

aws::Credentials keys(std::string session_token = {}) {
  aws::Credentials c;
  c.access_key_id = kAkid;
  c.secret_access_key = Secret(kSecret);
  c.session_token = Secret(std::move(session_token));
  return c;
}

system_clock::time_point at(int hour, int min, int sec) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 21;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return system_clock::from_time_t(::timegm(&tm));
}

std::string base64url_decode(const std::string& in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) return "<bad base64url>";
    buffer = ((buffer << 6) | static_cast<unsigned>(v)) & 0xFFFFU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFU);
    }
  }
  return out;
}

// The URL inside a token, or a marker that fails every comparison.
std::string url_of(const std::string& token) {
  const std::string prefix = kEksTokenPrefix;
  if (token.rfind(prefix, 0) != 0) return "<no k8s-aws-v1. prefix>";
  return base64url_decode(token.substr(prefix.size()));
}

std::string query_of(const std::string& url) {
  const auto q = url.find('?');
  return q == std::string::npos ? "" : url.substr(q + 1);
}

std::vector<std::string> param_names(const std::string& url) {
  std::vector<std::string> names;
  std::string query = query_of(url);
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t amp = std::min(query.find('&', start), query.size());
    const std::string param = query.substr(start, amp - start);
    names.push_back(param.substr(0, param.find('=')));
    start = amp + 1;
  }
  return names;
}

// X-Amz-Date=20261121T104208Z as a time point.
system_clock::time_point amz_date_of(const std::string& url) {
  const auto pos = url.find("X-Amz-Date=");
  std::tm tm{};
  if (pos == std::string::npos || !strptime(url.c_str() + pos + 11, "%Y%m%dT%H%M%SZ", &tm)) return {};
  return system_clock::from_time_t(::timegm(&tm));
}

// What `aws eks get-token` prints, run with only these keys (no profile, no endpoint override).
nlohmann::json aws_cli_token(const std::string& region, const std::string& cluster,
                             const std::string& session_token) {
  std::string command =
      "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_STS -u AWS_SESSION_TOKEN "
      "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_STS_REGIONAL_ENDPOINTS=regional "
      "AWS_ACCESS_KEY_ID='" +
      std::string(kAkid) + "' AWS_SECRET_ACCESS_KEY='" + kSecret + "' ";
  if (!session_token.empty()) command += "AWS_SESSION_TOKEN='" + session_token + "' ";
  command += "aws --region " + region + " eks get-token --cluster-name " + cluster + " --output json";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    ::pclose(pipe);
  }
  return nlohmann::json::parse(out, nullptr, false);
}

// Same keys, region, cluster and second as the aws CLI: the whole URL must be byte-identical,
// which proves the parameter set, their order, the signed headers and the payload hash.
void expect_same_as_aws_cli(const std::string& region, const std::string& session_token) {
  const nlohmann::json cli = aws_cli_token(region, "sandbox", session_token);
  ASSERT_TRUE(cli.is_object()) << "aws eks get-token printed no JSON";
  const std::string cli_url = url_of(cli["status"]["token"].get<std::string>());
  const auto when = amz_date_of(cli_url);
  ASSERT_NE(when, system_clock::time_point{}) << cli_url;

  auto ours = eks_token("sandbox", keys(session_token), region, when);
  ASSERT_TRUE(ours.ok()) << ours.error().describe();
  const std::string our_url = url_of(ours->token.reveal());
  EXPECT_EQ(param_names(our_url), param_names(cli_url));
  EXPECT_EQ(our_url, cli_url);
  // The CLI reads its clock again for expirationTimestamp, so it may be one second later.
  auto cli_expiry = parse_rfc3339(cli["status"]["expirationTimestamp"].get<std::string>());
  ASSERT_TRUE(cli_expiry.ok());
  EXPECT_EQ(ours->expiration, when + std::chrono::minutes(14));
  EXPECT_LE(*cli_expiry - ours->expiration, std::chrono::seconds(1));
  EXPECT_GE(*cli_expiry - ours->expiration, std::chrono::seconds(0));
}

TEST(EksToken, SameUrlAsAwsCli) {
  expect_same_as_aws_cli("us-east-1", "");
}

TEST(EksToken, SameUrlAsAwsCliWithSessionToken) {
  expect_same_as_aws_cli("eu-west-1", "sess/tok+en=");
}

TEST(EksToken, ExactShapeAndExpiry) {
  auto t = eks_token("sandbox", keys(), "eu-central-1", at(9, 21, 52) + std::chrono::milliseconds(700));
  ASSERT_TRUE(t.ok()) << t.error().describe();
  const std::string url = url_of(t->token.reveal());
  EXPECT_EQ(url.substr(0, url.find("&X-Amz-Signature=")),
            "https://sts.eu-central-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAKUBETESTKEY%2F20261121%2Feu-central-1%2Fsts%2Faws4_request"
            "&X-Amz-Date=20261121T092152Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id");
  EXPECT_EQ(t->token.reveal().find('='), std::string::npos) << "base64url must not be padded";
  EXPECT_EQ(format_rfc3339(t->expiration), "2026-11-21T09:35:52.000Z");
}

TEST(EksToken, EndpointOverrideAndInputErrors) {
  auto t = eks_token("sandbox", keys(), "us-east-1", at(9, 0, 0), std::string("http://127.0.0.1:4566/"));
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_EQ(url_of(t->token.reveal()).rfind("http://127.0.0.1:4566/?Action=GetCallerIdentity&", 0), 0U);

  auto no_cluster = eks_token("", keys(), "us-east-1", at(9, 0, 0));
  ASSERT_FALSE(no_cluster.ok());
  EXPECT_EQ(no_cluster.error().code, ErrorCode::kInvalidArgument);
  auto no_region = eks_token("sandbox", keys(), "", at(9, 0, 0));
  ASSERT_FALSE(no_region.ok());
  EXPECT_EQ(no_region.error().message, "an EKS token for cluster sandbox needs an AWS region");
  aws::Credentials no_keys;
  EXPECT_FALSE(eks_token("sandbox", no_keys, "us-east-1", at(9, 0, 0)).ok());
}

// STS's own check, made by the simulator's independent verifier.
TEST(EksToken, SignatureVerifiesOnlyForItsCluster) {
  for (const std::string& session : {std::string(), std::string("sess/tok+en=")}) {
    auto t = eks_token("sandbox", keys(session), "us-east-1", at(9, 21, 52));
    ASSERT_TRUE(t.ok()) << t.error().describe();
    const std::string query = query_of(url_of(t->token.reveal()));
    const std::map<std::string, std::string> secrets{{kAkid, kSecret}};
    EXPECT_EQ(kubesim::sigv4_query_refusal("sts.us-east-1.amazonaws.com", "/", query,
                                           {{"x-k8s-aws-id", "sandbox"}}, secrets),
              "");
    EXPECT_EQ(kubesim::sigv4_query_refusal("sts.us-east-1.amazonaws.com", "/", query,
                                           {{"x-k8s-aws-id", "production"}}, secrets),
              "SignatureDoesNotMatch");
    EXPECT_EQ(kubesim::sigv4_query_refusal("sts.us-east-1.amazonaws.com", "/", query,
                                           {{"x-k8s-aws-id", "sandbox"}}, {{kAkid, "wrong"}}),
              "SignatureDoesNotMatch");
  }
}

constexpr const char* kStsAnswer =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">)"
    R"(<GetCallerIdentityResult><UserId>AIDAKUBETEST</UserId>)"
    R"(<Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>)"
    R"(</GetCallerIdentityResult></GetCallerIdentityResponse>)";

// A local server standing in for STS behind the simulator's full aws-iam-authenticator check.
TEST(EksToken, AcceptedByKubesimVerifier) {
  httplib::Server sts;
  std::mutex mutex;
  std::string target, cluster_header;
  sts.Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex);
    target = req.target;
    cluster_header = req.get_header_value("x-k8s-aws-id");
    res.set_content(kStsAnswer, "application/xml");
  });
  const int port = sts.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { sts.listen_after_bind(); });
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(port);

  const auto now = system_clock::now();
  auto t = eks_token("sandbox", keys("sess"), "us-east-1", now, endpoint);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  kubesim::EksCheck check{endpoint, "sandbox"};
  check.secret_keys = {{kAkid, kSecret}};
  std::string arn, refusal_other;
  try {
    arn = kubesim::verify_eks_token(t->token.reveal(), check, now + std::chrono::seconds(30)).arn;
  } catch (const std::runtime_error& e) {
    arn = e.what();
  }
  check.cluster_name = "production";
  try {
    kubesim::verify_eks_token(t->token.reveal(), check, now + std::chrono::seconds(30));
  } catch (const std::runtime_error& e) {
    refusal_other = e.what();
  }
  sts.stop();
  thread.join();
  EXPECT_EQ(arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(target, "/?" + query_of(url_of(t->token.reveal())));
  EXPECT_EQ(cluster_header, "sandbox");
  EXPECT_NE(refusal_other.find("SignatureDoesNotMatch"), std::string::npos) << refusal_other;
}

}  // namespace
}  // namespace mgate::backend::kube
