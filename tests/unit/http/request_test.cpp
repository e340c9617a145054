#include "backend/http/request.hpp"

#include <gtest/gtest.h>

#include "backend/http/headers.hpp"
#include "backend/http/response.hpp"

namespace mgate::backend::http {
namespace {

TEST(Headers, LookupIgnoresCaseAndKeepsEveryValue) {
  Headers headers;
  headers.add("Link", "</v2/_catalog?last=a>; rel=\"next\"");
  headers.add("content-type", "application/json");
  headers.add("LINK", "</v2/_catalog?last=b>; rel=\"prev\"");
  EXPECT_EQ(headers.get("link"), "</v2/_catalog?last=a>; rel=\"next\"");
  EXPECT_EQ(headers.get_all("Link"), (std::vector<std::string>{"</v2/_catalog?last=a>; rel=\"next\"",
                                                               "</v2/_catalog?last=b>; rel=\"prev\""}));
  EXPECT_EQ(headers.get("Content-Type"), "application/json");
  EXPECT_FALSE(headers.get("Docker-Content-Digest").has_value());
  EXPECT_TRUE(headers.get_all("Docker-Content-Digest").empty());
  EXPECT_TRUE(headers.contains("CONTENT-TYPE"));
  EXPECT_EQ(headers.size(), 3u);
}

TEST(Headers, FoldedLinesJoinTheLastValue) {
  Headers headers;
  headers.add("X-Long", "first");
  headers.append_to_last("second");
  EXPECT_EQ(headers.get("x-long"), "first second");
}

TEST(Response, AccessorsReadTheHeaders) {
  Response response;
  response.status = 204;
  response.headers.add("WWW-Authenticate", "Bearer realm=\"a\"");
  response.headers.add("www-authenticate", "Basic realm=\"b\"");
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.header("Www-Authenticate"), "Bearer realm=\"a\"");
  EXPECT_EQ(response.header_all("WWW-AUTHENTICATE").size(), 2u);
}

TEST(Request, IdempotencyFollowsTheMethodUnlessOverridden) {
  EXPECT_TRUE(Request{.method = "GET"}.is_idempotent());
  EXPECT_TRUE(Request{.method = "PUT"}.is_idempotent());
  EXPECT_TRUE(Request{.method = "DELETE"}.is_idempotent());
  EXPECT_TRUE(Request{.method = "HEAD"}.is_idempotent());
  EXPECT_TRUE(Request{.method = "OPTIONS"}.is_idempotent());
  EXPECT_FALSE(Request{.method = "POST"}.is_idempotent());
  EXPECT_FALSE(Request{.method = "PATCH"}.is_idempotent());
  // Parenthesised: a designated initialiser's comma would split the macro argument.
  EXPECT_TRUE((Request{.method = "POST", .idempotent = true}.is_idempotent()));
  EXPECT_FALSE((Request{.method = "PUT", .idempotent = false}.is_idempotent()));
}

TEST(Request, SetBearerReplacesAnyAuthorizationAndHidesTheToken) {
  Request request{.method = "GET", .url = "https://k8s.example:6443/api?token=qs-secret"};
  request.add_header("authorization", "Basic old");
  request.set_bearer(Secret("first-token"));
  request.set_bearer(Secret("tok-12345"));
  EXPECT_TRUE(request.headers.empty());
  ASSERT_EQ(request.secret_headers.size(), 1u);
  EXPECT_EQ(request.secret_headers[0].first, "Authorization");
  EXPECT_EQ(request.secret_headers[0].second.reveal(), "Bearer tok-12345");
  EXPECT_TRUE(request.has_header("AUTHORIZATION"));
  EXPECT_EQ(request.describe(), "GET https://k8s.example:6443/api");
}

}  // namespace
}  // namespace mgate::backend::http
