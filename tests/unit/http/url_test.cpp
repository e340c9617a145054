#include "backend/http/url.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::http {
namespace {

TEST(Url, SplitsAnAbsoluteUrl) {
  auto url = parse_url("HTTPS://user:pw@Registry.example:5000/v2/app/tags/list?n=10&last=a#frag");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "Registry.example");
  EXPECT_EQ(url->port, 5000);
  EXPECT_TRUE(url->explicit_port);
  EXPECT_EQ(url->path, "/v2/app/tags/list");
  EXPECT_EQ(url->query, "n=10&last=a");
}

TEST(Url, FillsTheDefaultPortAndPath) {
  auto url = parse_url("https://api.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 443);
  EXPECT_FALSE(url->explicit_port);
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->query, "");
}

TEST(Url, HostHeaderDropsOnlyTheSchemeDefaultPort) {
  EXPECT_EQ(parse_url("https://h.example:443/x")->host_header(), "h.example");
  EXPECT_EQ(parse_url("http://h.example:80/x")->host_header(), "h.example");
  EXPECT_EQ(parse_url("https://h.example:6443/x")->host_header(), "h.example:6443");
  EXPECT_EQ(parse_url("http://[::1]:8080/x")->host_header(), "[::1]:8080");
}

TEST(Url, RedactedFormHasNoUserinfoNorQuery) {
  EXPECT_EQ(redact_url("https://AKIA:secret@bucket.s3.amazonaws.com:443/blob?X-Amz-Signature=abc"),
            "https://bucket.s3.amazonaws.com:443/blob");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080/api/v1?watch=1"), "http://127.0.0.1:8080/api/v1");
}

TEST(Url, RedactsEvenWhatItCannotParse) {
  EXPECT_EQ(redact_url("not a url?token=abc"), "not a url");
  EXPECT_EQ(redact_url("weird://user:pw@host/path?q"), "weird://host/path");
}

TEST(Url, ErrorsNeverRepeatTheUrl) {
  auto url = parse_url("https://user:hunter22@[bad/x?sig=s3cr3t");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(url.error().describe().find("hunter22"), std::string::npos);
  EXPECT_EQ(url.error().describe().find("s3cr3t"), std::string::npos);
}

TEST(Url, ResolvesLinkHeaderReferences) {
  EXPECT_EQ(*resolve_url("https://r.example:5000/v2/_catalog?n=2", "/v2/_catalog?last=b&n=2"),
            "https://r.example:5000/v2/_catalog?last=b&n=2");
  EXPECT_EQ(*resolve_url("https://r.example/v2/app/tags/list", "list?n=5"),
            "https://r.example/v2/app/tags/list?n=5");
  EXPECT_EQ(*resolve_url("https://r.example/v2/", "https://other.example/x"), "https://other.example/x");
}

}  // namespace
}  // namespace mgate::backend::http
