// The exact bytes the Client puts on the wire: a SigV4 signer relies on them.

#include <gtest/gtest.h>

#include <algorithm>

#include "backend/core/strings.hpp"
#include "backend/http/client.hpp"
#include "loopback_server.hpp"

namespace mgate::backend::http {
namespace {

using testing::RawCaptureServer;

struct Wire {
  std::string request_line;
  std::vector<std::string> header_lines;  // sorted
  std::string body;
};

Wire parse_wire(const std::string& raw) {
  Wire wire;
  const std::size_t head_end = raw.find("\r\n\r\n");
  std::vector<std::string> lines = split(raw.substr(0, head_end), '\n');
  for (auto& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  wire.request_line = lines.at(0);
  wire.header_lines.assign(lines.begin() + 1, lines.end());
  std::sort(wire.header_lines.begin(), wire.header_lines.end());
  wire.body = head_end == std::string::npos ? "" : raw.substr(head_end + 4);
  return wire;
}

ClientOptions options() {
  ClientOptions o;
  o.proxy = "";
  o.user_agent = "mgate-test/1";
  o.retry.max_attempts = 1;
  return o;
}

TEST(WireFormat, SignedPostCarriesExactlyItsHeadersPlusTheDocumentedOnes) {
  RawCaptureServer server;
  ASSERT_GT(server.port(), 0);
  Client client(options());
  Request request{.method = "POST", .url = server.url("/?Action=x"), .body = "{}"};
  request.add_header("Content-Type", "application/x-amz-json-1.1");
  request.add_header("X-Amz-Date", "20240101T000000Z");
  request.add_header("X-Empty", "");
  request.add_secret_header("Authorization", Secret("AWS4-HMAC-SHA256 Credential=AKID/x"));
  auto response = client.send(request);
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 204);

  const Wire wire = parse_wire(server.request());
  EXPECT_EQ(wire.request_line, "POST /?Action=x HTTP/1.1");
  std::vector<std::string> expected = {
      "Accept: */*",
      "Authorization: AWS4-HMAC-SHA256 Credential=AKID/x",
      "Content-Length: 2",
      "Content-Type: application/x-amz-json-1.1",
      "Host: 127.0.0.1:" + std::to_string(server.port()),
      "User-Agent: mgate-test/1",
      "X-Amz-Date: 20240101T000000Z",
      "X-Empty:",
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(wire.header_lines, expected);
  EXPECT_EQ(wire.body, "{}");
}

TEST(WireFormat, CallerHostAndAcceptReplaceLibcurlDefaults) {
  RawCaptureServer server;
  ASSERT_GT(server.port(), 0);
  ClientOptions o = options();
  o.user_agent = "";
  Client client(o);
  Request request{.method = "DELETE", .url = server.url("/v2/app/manifests/sha256:ab")};
  request.add_header("Host", "registry.example");
  request.add_header("Accept", "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(client.send(request).ok());

  const Wire wire = parse_wire(server.request());
  EXPECT_EQ(wire.request_line, "DELETE /v2/app/manifests/sha256:ab HTTP/1.1");
  EXPECT_EQ(wire.header_lines, (std::vector<std::string>{
                                   "Accept: application/vnd.oci.image.manifest.v1+json",
                                   "Host: registry.example",
                               }));
  EXPECT_EQ(wire.body, "");
}

}  // namespace
}  // namespace mgate::backend::http
