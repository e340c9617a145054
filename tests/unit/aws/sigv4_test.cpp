// The SigV4 building blocks and the signer's guards, apart from the AWS suites
// (sigv4_vectors_test.cpp), with the properties the suites do not pin down.

#include "backend/aws/sigv4.hpp"

#include <gtest/gtest.h>

#include "backend/aws/crypto.hpp"

namespace mgate::backend::aws {
namespace {

constexpr const char* kSigV4SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSigV4Token = "token/with+chars=";

Clock::time_point suite_time() {
  return Clock::from_time_t(1440938160);
}  // 2015-08-30T12:36:00Z

SigningParams params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.when = suite_time();
  return p;
}

Credentials credentials(const char* token = "") {
  return Credentials{"AKIDEXAMPLE", Secret(kSigV4SecretKey), Secret(token), std::nullopt};
}

SigningRequest get_root() {
  SigningRequest r;
  r.headers = {{"Host", "example.amazonaws.com"}};
  return r;
}

void expect_no_secret(const Error& e) {
  const std::string text = e.describe() + e.message + e.detail;
  EXPECT_EQ(text.find(kSigV4SecretKey), std::string::npos) << text;
  EXPECT_EQ(text.find(kSigV4Token), std::string::npos) << text;
}

TEST(Crypto, Sha256AndHmacMatchPublishedVectors) {
  EXPECT_EQ(hex_sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sigv4, DerivesTheSigningKeyOfTheAwsDocumentationExample) {
  SigningParams p = params();
  p.when = Clock::from_time_t(1329264000);  // 2012-02-15
  p.service = "iam";
  EXPECT_EQ(hex_encode(signing_key(Secret(kSigV4SecretKey), p).reveal()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  EXPECT_EQ(amz_date(suite_time()), "20150830T123600Z");
  EXPECT_EQ(credential_scope(params()), "20150830/us-east-1/service/aws4_request");
}

TEST(CanonicalRequest, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(uri_encode("a b/c~-._\xC3\xA9", true), "a%20b/c~-._%C3%A9");
  EXPECT_EQ(uri_encode("a b/c;=+", false), "a%20b%2Fc%3B%3D%2B");
  EXPECT_EQ(percent_decode("%E1%88%b4+%zz%4"), "\xE1\x88\xB4+%zz%4");
}

TEST(CanonicalRequest, NormalizesDotSegmentsAndRepeatedSlashes) {
  EXPECT_EQ(normalize_path(""), "/");
  EXPECT_EQ(normalize_path("//"), "/");
  EXPECT_EQ(normalize_path("/a/./b/../c"), "/a/c");
  EXPECT_EQ(normalize_path("/a//b/"), "/a/b/");
  EXPECT_EQ(normalize_path("/a/b/.."), "/a/");
  EXPECT_EQ(normalize_path("/../a"), "/a");
}

TEST(CanonicalRequest, DoubleEncodesThePathExceptForS3) {
  EXPECT_EQ(canonical_path("/a%20b/./c", true, true), "/a%2520b/c");
  // S3: the wire path is signed as sent, dots and repeated slashes included.
  EXPECT_EQ(canonical_path("/a%20b//c/../", false, false), "/a%20b//c/../");
  EXPECT_EQ(canonical_path("", false, false), "/");
}

TEST(CanonicalRequest, SortsQueryByKeyThenValueWithEmptyValues) {
  EXPECT_EQ(canonical_query("b=2&a=2&a=1&c&d=&&"), "a=1&a=2&b=2&c=&d=");
  EXPECT_EQ(canonical_query("k=a b/c%2Fd+e"), "k=a%20b%2Fc%2Fd%2Be");
  EXPECT_EQ(canonical_query("\xE1\x88\xB4=bar&%E1%88%B4=baz"), "%E1%88%B4=bar&%E1%88%B4=baz");
  EXPECT_EQ(canonical_query(""), "");
}

TEST(CanonicalRequest, JoinsRepeatedHeadersInOrderAndCollapsesWhitespace) {
  const auto h =
      canonical_headers({{"X-B", " two\n\t words "}, {"host", "h"}, {"x-a", "first"}, {"X-A", "second"}});
  EXPECT_EQ(h.block, "host:h\nx-a:first,second\nx-b:two words\n");
  EXPECT_EQ(h.signed_headers, "host;x-a;x-b");
}

TEST(Sigv4, ReplacesAStaleDateAndAuthorizationInsteadOfSigningThemTwice) {
  SigningRequest r = get_root();
  r.headers.emplace_back("X-Amz-Date", "19990101T000000Z");
  r.headers.emplace_back("authorization", "stale");
  const auto s = sign(r, credentials(), params());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ASSERT_EQ(s->headers.size(), 2u);
  EXPECT_EQ(s->headers[0], (Header{"X-Amz-Date", "20150830T123600Z"}));
}

TEST(Sigv4, SignsTheSessionTokenOrAddsItAfterwards) {
  const auto signed_token = sign(get_root(), credentials(kSigV4Token), params());
  ASSERT_TRUE(signed_token.ok());
  EXPECT_NE(signed_token->canonical_request.find("x-amz-security-token:token/with+chars="),
            std::string::npos);
  EXPECT_EQ(signed_token->headers.front(), (Header{"X-Amz-Security-Token", kSigV4Token}));

  SigningParams p = params();
  p.sign_session_token = false;
  const auto unsigned_token = sign(get_root(), credentials(kSigV4Token), p);
  ASSERT_TRUE(unsigned_token.ok());
  EXPECT_EQ(unsigned_token->canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(unsigned_token->headers.front(), (Header{"X-Amz-Security-Token", kSigV4Token}));
  EXPECT_NE(unsigned_token->signature, signed_token->signature);
}

TEST(Sigv4, UsesThePayloadHashOverrideEverywhere) {
  SigningParams p = params();
  p.payload_hash = kUnsignedPayload;
  p.add_content_sha256 = true;
  SigningRequest r = get_root();
  r.body = "ignored";
  const auto s = sign(r, credentials(), p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(s->canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  EXPECT_EQ(s->headers[1], (Header{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}));
}

TEST(Sigv4, PresignsAUrlCarryingTheEncodedToken) {
  SigningRequest r = get_root();
  r.query = "Action=GetCallerIdentity&Version=2011-06-15";
  const auto u = presign(r, credentials(kSigV4Token), params(), std::chrono::seconds{60});
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_TRUE(
      u->url.starts_with("https://example.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
                         "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"))
      << u->url;
  EXPECT_NE(u->url.find("&X-Amz-Expires=60&X-Amz-Security-Token=token%2Fwith%2Bchars%3D"
                        "&X-Amz-Signature=" +
                        u->signature),
            std::string::npos);
  EXPECT_EQ(u->signature.size(), 64u);
}

TEST(Sigv4, RefusesBadInputWithoutPrintingSecrets) {
  Credentials no_key = credentials(kSigV4Token);
  no_key.access_key_id.clear();
  const auto a = sign(get_root(), no_key, params());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kUnauthenticated);
  expect_no_secret(a.error());

  SigningParams no_region = params();
  no_region.region.clear();
  const auto b = sign(get_root(), credentials(kSigV4Token), no_region);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument);
  expect_no_secret(b.error());

  Credentials expired = credentials(kSigV4Token);
  expired.expiration = suite_time();
  const auto c = presign(get_root(), expired, params(), std::chrono::seconds{60});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(c.error().message.find("AKIDEXAMPLE"), std::string::npos);
  expect_no_secret(c.error());
}

TEST(Sigv4, PresignRefusesOutOfRangeExpiryAndAMissingHost) {
  EXPECT_FALSE(presign(get_root(), credentials(), params(), std::chrono::seconds{0}).ok());
  EXPECT_FALSE(
      presign(get_root(), credentials(), params(), kMaxPresignExpiry + std::chrono::seconds{1}).ok());
  EXPECT_TRUE(presign(get_root(), credentials(), params(), kMaxPresignExpiry).ok());
  const auto no_host = presign(SigningRequest{}, credentials(), params(), std::chrono::seconds{60});
  ASSERT_FALSE(no_host.ok());
  EXPECT_EQ(no_host.error().code, ErrorCode::kInvalidArgument);
}

TEST(Sigv4, BuildsASigningRequestFromAUrl) {
  const auto r = signing_request("GET", "http://127.0.0.1:5000/a%20b?x=1&y=", {{"X-Extra", "1"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->scheme, "http");
  EXPECT_EQ(r->path, "/a%20b");
  EXPECT_EQ(r->query, "x=1&y=");
  EXPECT_EQ(r->headers, (std::vector<Header>{{"Host", "127.0.0.1:5000"}, {"X-Extra", "1"}}));
  const auto u = presign(*r, credentials(), params(), std::chrono::seconds{60});
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->url.starts_with("http://127.0.0.1:5000/a%20b?x=1&y=&X-Amz-Algorithm=")) << u->url;

  const auto own_host = signing_request("GET", "https://sts.amazonaws.com/", {{"host", "other"}});
  ASSERT_TRUE(own_host.ok());
  EXPECT_EQ(own_host->headers, (std::vector<Header>{{"host", "other"}}));
  EXPECT_FALSE(signing_request("GET", "not a url").ok());
}

}  // namespace
}  // namespace mgate::backend::aws
