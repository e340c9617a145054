// TLS against loopback SSLServers with a PKI generated for the test run.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

#include "backend/http/client.hpp"
#include "loopback_server.hpp"
#include "test_pki.hpp"

namespace mgate::backend::http {
namespace {

using std::chrono::milliseconds;
using testing::LoopbackServer;
using testing::Recorder;
using testing::test_pki;
using testing::TestPki;

// The common name of the client certificate the server verified, or "anonymous".
std::string peer_name(const httplib::Request& req) {
  const X509* cert = req.ssl ? SSL_get0_peer_certificate(req.ssl) : nullptr;
  if (cert == nullptr) return "anonymous";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
  return name;
}

class TlsTest : public ::testing::Test {
 protected:
  // An HTTPS server with cert; with client_ca, it demands a client certificate.
  std::unique_ptr<LoopbackServer> start_server(const std::filesystem::path& cert,
                                               const char* client_ca = nullptr) {
    const TestPki& pki = test_pki();
    auto ssl = std::make_unique<httplib::SSLServer>(cert.c_str(), pki.server_key.c_str(), client_ca);
    EXPECT_TRUE(ssl->is_valid());
    auto server = std::make_unique<LoopbackServer>(std::move(ssl), "https");
    server->server().Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      seen_.record(req);
      res.set_content("hello " + peer_name(req), "text/plain");
    });
    EXPECT_TRUE(server->start());
    return server;
  }

  ClientOptions options() {
    ClientOptions o;
    o.proxy = "";
    o.sleep = [this](milliseconds, const std::stop_token&) { ++sleeps_; };
    return o;
  }

  ClientOptions trusting() {
    ClientOptions o = options();
    o.tls.ca_file = test_pki().ca_cert;
    return o;
  }

  // The body of a GET /hello, or the error's full text prefixed with "error: ".
  static std::string get(Client& client, const LoopbackServer& server) {
    auto response = client.send({.url = server.url("/hello")});
    if (!response.ok()) return "error: " + response.error().describe();
    return response->body;
  }

  Recorder seen_;
  int sleeps_ = 0;
};

TEST_F(TlsTest, UnknownCaFailsVerificationWithoutRetrying) {
  auto server = start_server(test_pki().server_cert);
  Client client(options());  // the system store: it does not know our CA
  auto response = client.send({.url = server->url("/hello")});
  ASSERT_FALSE(response.ok());
  const Error& error = response.error();
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_FALSE(error.retryable);
  EXPECT_EQ(error.message, "GET " + server->url("/hello") + ": TLS certificate verify failed");
  EXPECT_NE(error.detail.find("local issuer certificate"), std::string::npos) << error.detail;
  EXPECT_EQ(sleeps_, 0);
  EXPECT_EQ(seen_.count(), 0u);
}

TEST_F(TlsTest, CaFileIsTrusted) {
  auto server = start_server(test_pki().server_cert);
  Client client(trusting());
  EXPECT_EQ(get(client, *server), "hello anonymous");
}

TEST_F(TlsTest, CaPemIsTrusted) {
  auto server = start_server(test_pki().server_cert);
  ClientOptions o = options();
  o.tls.ca_pem = test_pki().ca_pem;
  o.tls.ca_file = "/nonexistent/ca.crt";  // the data wins over the file
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello anonymous");
}

TEST_F(TlsTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  auto server = start_server(test_pki().dns_only_cert);
  ClientOptions o = options();
  o.tls.insecure_skip_verify = true;
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello anonymous");
}

TEST_F(TlsTest, MissingCaFileIsASettingsError) {
  auto server = start_server(test_pki().server_cert);
  ClientOptions o = options();
  o.tls.ca_file = test_pki().dir / "absent.crt";
  Client client(o);
  auto response = client.send({.url = server->url("/hello")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(response.error().message,
            "GET " + server->url("/hello") + ": the CA certificate could not be loaded");
}

TEST_F(TlsTest, ConnectionIsReusedWithPemSettings) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  ClientOptions o = options();
  o.tls.ca_pem = test_pki().ca_pem;
  o.tls.client_cert_pem = test_pki().client_cert_pem;
  o.tls.client_key_pem = Secret(test_pki().client_key_pem);
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello mgate-test-client");
  EXPECT_EQ(get(client, *server), "hello mgate-test-client");
  const auto seen = seen_.all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);
}

TEST_F(TlsTest, HostMustMatchACertificateName) {
  auto server = start_server(test_pki().dns_only_cert);  // no IP SAN for 127.0.0.1
  Client client(trusting());
  auto response = client.send({.url = server->url("/hello")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message, "GET " + server->url("/hello") + ": TLS certificate verify failed");
  EXPECT_NE(response.error().detail.find("127.0.0.1"), std::string::npos) << response.error().detail;
}

TEST_F(TlsTest, ServerNameIsVerifiedInsteadOfTheUrlHost) {
  auto server = start_server(test_pki().dns_only_cert);
  ClientOptions o = trusting();
  o.tls.server_name = "kubernetes.default";
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello anonymous");
  // The connection went to 127.0.0.1 and the Host header still names it.
  EXPECT_EQ(seen_.all().at(0).header("Host"), "127.0.0.1:" + std::to_string(server->port()));
  // Errors name the URL the caller asked for, not the rewritten one.
  ClientOptions wrong = trusting();
  wrong.tls.server_name = "wrong.example";
  Client mistaken(wrong);
  auto failed = mistaken.send({.url = server->url("/hello")});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "GET " + server->url("/hello") + ": TLS certificate verify failed");
}

// Under TLS 1.3 the server judges the client certificate after the client has
// finished its handshake. cpp-httplib then closes with handshake bytes unread,
// so the kernel may send a reset that overtakes the server's alert: the client
// sees either the alert (rejected) or a dropped connection. Both are failures
// and nothing reaches the handler; the alert's classification is pinned down
// in transport_error_test.cpp.
void expect_rejected(const Result<Response>& response, const std::string& what) {
  ASSERT_FALSE(response.ok());
  const Error& error = response.error();
  if (error.code == ErrorCode::kUnauthenticated) {
    // A reset on an earlier attempt is retried, which adds "(after N attempts)".
    EXPECT_TRUE(error.message.starts_with(what + ": TLS client certificate rejected by the server"))
        << error.describe();
    EXPECT_FALSE(error.retryable);
  } else {
    EXPECT_EQ(error.code, ErrorCode::kUnavailable) << error.describe();
    EXPECT_TRUE(error.message.starts_with(what + ": the connection failed")) << error.describe();
  }
}

TEST_F(TlsTest, ServerDemandingAClientCertificateRejectsNone) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  Client client(trusting());
  expect_rejected(client.send({.url = server->url("/hello")}), "GET " + server->url("/hello"));
  EXPECT_EQ(seen_.count(), 0u);
}

TEST_F(TlsTest, ClientCertificateFromFiles) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  ClientOptions o = trusting();
  o.tls.client_cert_file = test_pki().client_cert;
  o.tls.client_key_file = test_pki().client_key;
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello mgate-test-client");
}

TEST_F(TlsTest, ClientCertificateFromPemData) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  ClientOptions o = trusting();
  o.tls.client_cert_pem = test_pki().client_cert_pem;
  o.tls.client_key_pem = Secret(test_pki().client_key_pem);
  Client client(o);
  EXPECT_EQ(get(client, *server), "hello mgate-test-client");
}

TEST_F(TlsTest, ClientCertificateFromAnotherCaIsRejected) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  ClientOptions o = trusting();
  o.tls.client_cert_file = test_pki().stranger_cert;
  o.tls.client_key_file = test_pki().stranger_key;
  Client client(o);
  expect_rejected(client.send({.url = server->url("/hello")}), "GET " + server->url("/hello"));
  EXPECT_EQ(seen_.count(), 0u);
}

TEST_F(TlsTest, UnusableKeyDataIsAnErrorThatDoesNotQuoteIt) {
  auto server = start_server(test_pki().server_cert, test_pki().ca_cert.c_str());
  ClientOptions o = trusting();
  o.tls.client_cert_pem = test_pki().client_cert_pem;
  const std::string bogus =
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  o.tls.client_key_pem = Secret(bogus);
  Client client(o);
  auto response = client.send({.url = server->url("/hello")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(response.error().message,
            "GET " + server->url("/hello") + ": the client certificate or key could not be loaded");
  EXPECT_EQ(response.error().describe().find("c2VjcmV0"), std::string::npos);
}

}  // namespace
}  // namespace mgate::backend::http
