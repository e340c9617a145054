// docker-registry through the OCI distribution API: blobs, a schema 2 manifest under a tag,
// read back byte for byte with the digest the registry reports.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {
namespace {

constexpr const char* kRepository = "udab-server";
constexpr const char* kManifestType = "application/vnd.docker.distribution.manifest.v2+json";

std::string sha256_digest(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex = "sha256:";
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xf];
  }
  return hex;
}

// The path and query of a Location header, which the registry sends as an absolute URL.
std::string path_of(const std::string& location) {
  const std::size_t scheme = location.find("://");
  if (scheme == std::string::npos) return location;
  const std::size_t slash = location.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : location.substr(slash);
}

// A monolithic upload: POST to open it, PUT the bytes with their digest to close it.
void push_blob(httplib::Client& client, const std::string& bytes, const std::string& digest) {
  const auto opened =
      client.Post(fmt::format("/v2/{}/blobs/uploads/", kRepository).c_str(), "", "application/octet-stream");
  ASSERT_TRUE(opened) << httplib::to_string(opened.error());
  ASSERT_EQ(opened->status, 202) << opened->body;
  const std::string upload = path_of(opened->get_header_value("Location"));
  ASSERT_FALSE(upload.empty());
  const std::string sep = upload.find('?') == std::string::npos ? "?" : "&";
  const auto closed =
      client.Put((upload + sep + "digest=" + digest).c_str(), bytes, "application/octet-stream");
  ASSERT_TRUE(closed) << httplib::to_string(closed.error());
  ASSERT_EQ(closed->status, 201) << closed->body;
  EXPECT_EQ(closed->get_header_value("Docker-Content-Digest"), digest);
}

TEST(SandboxRegistry, PushesAManifestAndReadsBackTheSameBytes) {
  auto sandbox = shared_sandbox();
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().describe();
  httplib::Client client((*sandbox)->registry_url());
  client.set_connection_timeout(5);
  client.set_read_timeout(10);

  const std::string layer = "pretend this is a gzipped tar of the app, built for abc123\n";
  const std::string config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["udab-server"]},)"
                             R"("rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string layer_digest = sha256_digest(layer);
  const std::string config_digest = sha256_digest(config);
  ASSERT_NO_FATAL_FAILURE(push_blob(client, layer, layer_digest));
  ASSERT_NO_FATAL_FAILURE(push_blob(client, config, config_digest));

  const nlohmann::json manifest_json = {{"schemaVersion", 2},
                                        {"mediaType", kManifestType},
                                        {"config",
                                         {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                                          {"size", config.size()},
                                          {"digest", config_digest}}},
                                        {"layers",
                                         {{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                                           {"size", layer.size()},
                                           {"digest", layer_digest}}}}};
  // Indented on purpose: the registry must keep these exact bytes, not re-serialise them.
  const std::string manifest = manifest_json.dump(3);
  const std::string manifest_digest = sha256_digest(manifest);
  const auto put =
      client.Put(fmt::format("/v2/{}/manifests/stage-abc123", kRepository).c_str(), manifest, kManifestType);
  ASSERT_TRUE(put) << httplib::to_string(put.error());
  ASSERT_EQ(put->status, 201) << put->body;
  EXPECT_EQ(put->get_header_value("Docker-Content-Digest"), manifest_digest);

  const auto got = client.Get(fmt::format("/v2/{}/manifests/stage-abc123", kRepository).c_str(),
                              httplib::Headers{{"Accept", kManifestType}});
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(got->body, manifest);
  EXPECT_EQ(got->get_header_value("Content-Type"), kManifestType);
  EXPECT_EQ(got->get_header_value("Docker-Content-Digest"), sha256_digest(got->body));
  EXPECT_EQ(got->get_header_value("Docker-Content-Digest"), manifest_digest);

  const auto tags = client.Get(fmt::format("/v2/{}/tags/list", kRepository).c_str());
  ASSERT_TRUE(tags) << httplib::to_string(tags.error());
  ASSERT_EQ(tags->status, 200) << tags->body;
  const auto listed = nlohmann::json::parse(tags->body);
  EXPECT_EQ(listed.at("name"), kRepository);
  EXPECT_EQ(listed.at("tags"), nlohmann::json::array({"stage-abc123"}));

  // The blob itself reads back too, by digest.
  const auto blob = client.Get(fmt::format("/v2/{}/blobs/{}", kRepository, layer_digest).c_str());
  ASSERT_TRUE(blob) << httplib::to_string(blob.error());
  EXPECT_EQ(blob->status, 200);
  EXPECT_EQ(blob->body, layer);
}

}  // namespace
}  // namespace mgate::sandbox::testing
