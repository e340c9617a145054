// OciClient against a scripted loopback registry: the bearer challenge and token dance, Basic
// auth, tag pagination over Link headers, digest checks and error messages.

#include "backend/registry/oci_client.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backend/core/base64.hpp"
#include "backend/registry/digest.hpp"
#include "tests/unit/http/loopback_server.hpp"

namespace mgate::backend::registry {
namespace {

using http::testing::LoopbackServer;
using http::testing::Recorder;

constexpr const char* kManifestBytes =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";

OciOptions options_for(const LoopbackServer& server, std::optional<BasicCredentials> creds = {}) {
  OciOptions options{
      .base_url = server.url(""), .repository = "org/app", .credentials = std::move(creds), .http = {}};
  options.http.retry.max_attempts = 1;
  return options;
}

void serve_manifest(httplib::Response& res) {
  res.status = 200;
  res.set_header("Docker-Content-Digest", sha256_digest(kManifestBytes));
  res.set_content(kManifestBytes, "application/vnd.oci.image.manifest.v1+json");
}

TEST(OciClientAuth, AnswersABearerChallengeThenReusesTheTokenForTheScope) {
  LoopbackServer server;
  Recorder seen;
  server.server().Get("/token", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    // `access_token` rather than `token`: the OAuth2 spelling must be accepted too.
    res.set_content(R"({"access_token":"tok-123","expires_in":300})", "application/json");
  });
  server.server().Get("/v2/org/app/manifests/v1", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    if (req.get_header_value("Authorization") != "Bearer tok-123") {
      res.status = 401;
      res.set_header("WWW-Authenticate",
                     "Bearer realm=\"http://127.0.0.1:" + std::to_string(server.port()) +
                         "/token\",service=\"reg.test\",scope=\"repository:org/app:pull\"");
      res.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                      "application/json");
      return;
    }
    serve_manifest(res);
  });
  ASSERT_TRUE(server.start());

  OciClient client(options_for(server, BasicCredentials{"ci", Secret("pw")}));
  const auto manifest = client.get_manifest("v1");
  ASSERT_TRUE(manifest.ok()) << manifest.error().describe();
  EXPECT_EQ(manifest->bytes, kManifestBytes);
  EXPECT_EQ(manifest->media_type, kOciManifest);
  ASSERT_TRUE(client.get_manifest("v1").ok());

  const auto all = seen.all();
  ASSERT_EQ(all.size(), 4u) << "401, token, retry, then the cached token straight away";
  EXPECT_EQ(all[0].header("Authorization"), "<absent>");
  EXPECT_EQ(all[1].path, "/token");
  EXPECT_EQ(all[1].target, "/token?service=reg.test&scope=repository%3Aorg%2Fapp%3Apull");
  EXPECT_EQ(all[1].header("Authorization"), "Basic " + base64_encode("ci:pw"));
  EXPECT_EQ(all[2].header("Authorization"), "Bearer tok-123");
  EXPECT_EQ(all[3].header("Authorization"), "Bearer tok-123");
  EXPECT_NE(all[0].header("Accept").find(std::string(kDockerManifestList)), std::string::npos);
}

TEST(OciClientAuth, ReportsARefusedTokenWithoutLoopingOrLeakingTheToken) {
  LoopbackServer server;
  Recorder seen;
  server.server().Get("/token", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    res.set_content(R"({"token":"secret-token"})", "application/json");
  });
  server.server().Get("/v2/org/app/tags/list", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    res.status = 401;
    res.set_header("WWW-Authenticate",
                   "Bearer realm=\"http://127.0.0.1:" + std::to_string(server.port()) + "/token\"");
    res.set_content(R"({"errors":[{"code":"DENIED","message":"requested access is denied"}]})",
                    "application/json");
  });
  ASSERT_TRUE(server.start());

  OciClient client(options_for(server));
  const auto tags = client.list_tags(10);
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(tags.error().message, "GET /v2/org/app/tags/list: 401 DENIED requested access is denied");
  EXPECT_EQ(tags.error().describe().find("secret-token"), std::string::npos);
  EXPECT_EQ(seen.count(), 3u) << "one challenge answered, then give up";
}

TEST(OciClientAuth, SendsBasicCredentialsAfterABasicChallenge) {
  LoopbackServer server;
  Recorder seen;
  server.server().Put(
      "/v2/org/app/manifests/stage-migrated-abc", [&](const httplib::Request& req, httplib::Response& res) {
        seen.record(req);
        if (req.get_header_value("Authorization") != "Basic " + base64_encode("robot:s3cret")) {
          res.status = 401;
          res.set_header("WWW-Authenticate", "Basic realm=\"registry\"");
          return;
        }
        res.status = 201;
        res.set_header("Docker-Content-Digest", sha256_digest(req.body));
      });
  ASSERT_TRUE(server.start());

  OciClient client(options_for(server, BasicCredentials{"robot", Secret("s3cret")}));
  const Manifest manifest{std::string(kOciManifest), sha256_digest(kManifestBytes), kManifestBytes};
  const auto digest = client.put_manifest("stage-migrated-abc", manifest);
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_EQ(*digest, manifest.digest);
  const auto all = seen.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].body, kManifestBytes);
  EXPECT_EQ(all[1].header("Content-Type"), kOciManifest);
}

TEST(OciClientTags, FollowsLinkPaginationAcrossThreePages) {
  LoopbackServer server;
  Recorder seen;
  server.server().Get("/v2/org/app/tags/list", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    const std::string last = req.get_param_value("last");
    nlohmann::json page = {{"name", "org/app"}};
    if (last.empty()) {
      page["tags"] = {"a", "b"};
      res.set_header("Link", R"(</v2/org/app/tags/list?last=b&n=2>; rel="next")");
    } else if (last == "b") {
      page["tags"] = {"c", "d"};
      res.set_header("Link", R"(</v2/org/app/tags/list?last=d&n=2>; rel="next")");
    } else {
      page["tags"] = {"e"};
    }
    res.set_content(page.dump(), "application/json");
  });
  ASSERT_TRUE(server.start());

  OciClient client(options_for(server));
  const auto tags = client.list_tags(2);
  ASSERT_TRUE(tags.ok()) << tags.error().describe();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  const auto all = seen.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].target, "/v2/org/app/tags/list?n=2");
  EXPECT_EQ(all[1].target, "/v2/org/app/tags/list?last=b&n=2");
  EXPECT_EQ(all[2].target, "/v2/org/app/tags/list?last=d&n=2");
}

TEST(OciClientManifests, RejectsBytesThatDoNotMatchTheServedDigest) {
  LoopbackServer server;
  server.server().Get("/v2/org/app/manifests/v1", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Docker-Content-Digest", sha256_digest("other bytes"));
    res.set_content(kManifestBytes, "application/vnd.oci.image.manifest.v1+json");
  });
  ASSERT_TRUE(server.start());
  OciClient client(options_for(server));
  const auto manifest = client.get_manifest("v1");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(manifest.error().message,
            "GET /v2/org/app/manifests/v1: digest mismatch: Docker-Content-Digest says " +
                sha256_digest("other bytes") + " but the bytes hash to " + sha256_digest(kManifestBytes));
}

TEST(OciClientManifests, NamesTheCallAndTheRegistryErrorCode) {
  LoopbackServer server;
  server.server().Get("/v2/org/app/manifests/stage-abc", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                    "application/json");
  });
  ASSERT_TRUE(server.start());
  OciClient client(options_for(server));
  const auto manifest = client.get_manifest("stage-abc");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(manifest.error().message,
            "GET /v2/org/app/manifests/stage-abc: 404 MANIFEST_UNKNOWN manifest unknown");
}

TEST(OciClientBlobs, FollowsAStorageRedirectWithoutCredentialsAndChecksTheDigest) {
  LoopbackServer server;
  Recorder seen;
  const std::string config = R"({"created":"2026-11-21T06:00:00Z"})";
  const std::string digest = sha256_digest(config);
  server.server().Get(R"(/v2/org/app/blobs/sha256:[0-9a-f]+)",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        seen.record(req);
                        if (req.get_header_value("Authorization").empty()) {
                          res.status = 401;
                          res.set_header("WWW-Authenticate", "Basic realm=\"registry\"");
                          return;
                        }
                        res.status = 307;
                        res.set_header("Location", "/storage/blob?X-Amz-Signature=abc");
                      });
  server.server().Get("/storage/blob", [&](const httplib::Request& req, httplib::Response& res) {
    seen.record(req);
    res.set_content(config, "application/octet-stream");
  });
  ASSERT_TRUE(server.start());

  OciClient client(options_for(server, BasicCredentials{"robot", Secret("s3cret")}));
  const auto blob = client.get_blob(digest);
  ASSERT_TRUE(blob.ok()) << blob.error().describe();
  EXPECT_EQ(*blob, config);
  const auto all = seen.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].path, "/storage/blob");
  EXPECT_EQ(all[2].header("Authorization"), "<absent>");

  // Storage that serves other bytes than the digest asked for is caught.
  const auto wrong = client.get_blob(sha256_digest("something else"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kProtocol);
  EXPECT_NE(wrong.error().message.find("digest mismatch"), std::string::npos) << wrong.error().message;
}

}  // namespace
}  // namespace mgate::backend::registry
