// The pure parts of backend/registry: WWW-Authenticate challenges, Link headers, docker config
// credentials and digests.

#include <gtest/gtest.h>

#include "backend/core/base64.hpp"
#include "backend/registry/challenge.hpp"
#include "backend/registry/digest.hpp"
#include "backend/registry/docker_config.hpp"
#include "backend/registry/link_header.hpp"

namespace mgate::backend::registry {
namespace {

TEST(Challenge, ParsesABearerChallengeWithCommasInsideQuotes) {
  const auto challenges = parse_challenges(
      R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull,push")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].param("realm"), "https://ghcr.io/token");
  EXPECT_EQ(challenges[0].param("service"), "ghcr.io");
  EXPECT_EQ(challenges[0].param("scope"), "repository:org/app:pull,push");
}

TEST(Challenge, ParsesSpacesEscapesBareValuesAndSeveralChallenges) {
  const auto challenges = parse_challenges(
      R"(Basic realm="Harbor \"core\"" , Bearer Realm = "https://h/service/token", service=harbor)");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].param("realm"), R"(Harbor "core")");
  EXPECT_EQ(challenges[1].scheme, "bearer");
  EXPECT_EQ(challenges[1].param("realm"), "https://h/service/token");
  EXPECT_EQ(challenges[1].param("service"), "harbor");
}

TEST(Challenge, FindsASchemeAcrossSeveralHeaderValues) {
  const auto found = find_challenge({R"(Basic realm="x")", R"(BEARER realm="https://t")"}, "bearer");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->param("realm"), "https://t");
  EXPECT_FALSE(find_challenge({R"(Basic realm="x")"}, "bearer"));
  EXPECT_TRUE(parse_challenges("").empty());
}

TEST(LinkHeader, FindsTheNextTargetAmongSeveralLinks) {
  const auto next = find_link(
      {R"(</v2/a/tags/list?last=z&n=2>; rel="last", </v2/a/tags/list?last=b&n=2>; rel="next")"}, "next");
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, "/v2/a/tags/list?last=b&n=2");
}

TEST(LinkHeader, AcceptsBareAndMultiValuedRelsAndSeparateFields) {
  EXPECT_EQ(find_link({"<https://r/x?p=2>;rel=next"}, "next").value_or(""), "https://r/x?p=2");
  EXPECT_EQ(find_link({R"(</a>; rel="prev")", R"(</b>; title="a, b"; rel="last NEXT")"}, "next").value_or(""),
            "/b");
  EXPECT_FALSE(find_link({R"(</a>; rel="prev")"}, "next"));
  EXPECT_FALSE(find_link({}, "next"));
}

TEST(DockerConfig, DecodesAuthAndMatchesTheHostWithOrWithoutScheme) {
  const std::string config = R"({"auths": {
    "https://ghcr.io": {"auth": ")" +
                             base64_encode("octo:p4ss:with:colons") + R"("},
    "harbor.example.com:8443": {"username": "robot$ci", "password": "hunter2"},
    "https://index.docker.io/v1/": {"auth": ")" +
                             base64_encode("hubuser:hubpass") + R"("}}})";
  const auto ghcr = credentials_from_docker_config(config, "ghcr.io");
  ASSERT_TRUE(ghcr.ok()) << ghcr.error().describe();
  ASSERT_TRUE(ghcr->has_value());
  EXPECT_EQ((*ghcr)->username, "octo");
  EXPECT_EQ((*ghcr)->password.reveal(), "p4ss:with:colons");

  const auto harbor = credentials_from_docker_config(config, "https://Harbor.example.com:8443/v2/");
  ASSERT_TRUE(harbor.ok() && harbor->has_value());
  EXPECT_EQ((*harbor)->username, "robot$ci");
  EXPECT_EQ((*harbor)->password.reveal(), "hunter2");

  const auto hub = credentials_from_docker_config(config, "registry-1.docker.io");
  ASSERT_TRUE(hub.ok() && hub->has_value());
  EXPECT_EQ((*hub)->username, "hubuser");

  const auto other = credentials_from_docker_config(config, "harbor.example.com");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value()) << "a different port is a different registry";
}

TEST(DockerConfig, ReportsBadAuthHelpersAndBadJsonWithoutTheSecret) {
  const auto bad = credentials_from_docker_config(
      R"({"auths":{"r.io":{"auth":")" + base64_encode("no-colon-secret") + R"("}}})", "r.io");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().describe().find("no-colon-secret"), std::string::npos);

  const auto helper = credentials_from_docker_config(R"({"credHelpers":{"r.io":"ecr-login"}})", "r.io");
  ASSERT_FALSE(helper.ok());
  EXPECT_NE(helper.error().message.find("credHelpers"), std::string::npos);

  const auto store =
      credentials_from_docker_config(R"({"credsStore":"desktop","auths":{"r.io":{}}})", "r.io");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("credsStore"), std::string::npos);

  EXPECT_FALSE(credentials_from_docker_config("{not json", "r.io").ok());
  const auto missing = load_docker_credentials("/nonexistent/docker/config.json", "r.io");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(DockerConfig, NormalizesRegistryHosts) {
  EXPECT_EQ(normalize_registry_host("https://index.docker.io/v1/"), "index.docker.io");
  EXPECT_EQ(normalize_registry_host("docker.io"), "index.docker.io");
  EXPECT_EQ(normalize_registry_host("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(normalize_registry_host("GHCR.io/org/app"), "ghcr.io");
}

TEST(Digest, HashesTheExactBytes) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(sha256_digest("{\"a\":1}"), sha256_digest("{\"a\": 1}"));
  EXPECT_TRUE(is_sha256_digest(sha256_digest("abc")));
  EXPECT_FALSE(is_sha256_digest("sha256:ABC"));
  EXPECT_TRUE(is_digest_reference("sha256:abc"));
  EXPECT_FALSE(is_digest_reference("stage-abc123"));
}

}  // namespace
}  // namespace mgate::backend::registry
