#include "tests/sandbox/kubesim/pki.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace mgate::kubesim {
namespace {

namespace fs = std::filesystem;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;

CertPtr read_cert(const fs::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  CertPtr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

std::string name_field(X509* cert, int nid) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, buf, sizeof buf);
  return buf;
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777U;
}

// The extension printed as `openssl x509 -text` shows it.
std::string ext_text(X509* cert, int nid) {
  const int idx = X509_get_ext_by_NID(cert, nid, -1);
  if (idx < 0) return "<absent>";
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  BIO* bio = BIO_new(BIO_s_mem());
  X509V3_EXT_print(bio, ext, 0, 0);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return (X509_EXTENSION_get_critical(ext) != 0 ? "critical: " : "") + text;
}

bool verifies(X509* cert, const fs::path& ca_file) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_load_file(store, ca_file.c_str());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kubesim-pki-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    pki_ =
        create_pki(dir_ / "pki", {{"alice", {"developers", "system:masters"}, "alice"}, {"bob", {}, "bob"}});
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  Pki pki_;
};

TEST_F(PkiTest, WritesFilesWithPrivateKeysOwnerOnly) {
  EXPECT_EQ(pki_.ca_cert, dir_ / "pki" / "ca.crt");
  EXPECT_EQ(pki_.server_key, dir_ / "pki" / "apiserver.key");
  ASSERT_EQ(pki_.clients.size(), 2U);
  EXPECT_EQ(pki_.clients.at("alice").first, dir_ / "pki" / "alice.crt");
  EXPECT_EQ(pki_.clients.at("alice").second, dir_ / "pki" / "alice.key");
  EXPECT_EQ(mode_of(pki_.ca_key), 0600U);
  EXPECT_EQ(mode_of(pki_.server_key), 0600U);
  EXPECT_EQ(mode_of(pki_.clients.at("bob").second), 0600U);
  EXPECT_EQ(mode_of(pki_.ca_cert), 0644U);
}

TEST_F(PkiTest, CaIsSelfSignedWithCaConstraints) {
  auto ca = read_cert(pki_.ca_cert);
  ASSERT_TRUE(ca);
  EXPECT_EQ(name_field(ca.get(), NID_commonName), "kubesim-ca");
  EXPECT_EQ(ext_text(ca.get(), NID_basic_constraints), "critical: CA:TRUE");
  EXPECT_EQ(ext_text(ca.get(), NID_key_usage), "critical: Digital Signature, Certificate Sign, CRL Sign");
  EXPECT_NE(ext_text(ca.get(), NID_subject_key_identifier), "<absent>");
  EXPECT_TRUE(verifies(ca.get(), pki_.ca_cert));
}

TEST_F(PkiTest, ServerCertHasApiServerSansAndChainsToCa) {
  auto server = read_cert(pki_.server_cert);
  ASSERT_TRUE(server);
  EXPECT_EQ(name_field(server.get(), NID_commonName), "kube-apiserver");
  EXPECT_EQ(ext_text(server.get(), NID_subject_alt_name),
            "IP Address:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, "
            "DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local");
  EXPECT_EQ(ext_text(server.get(), NID_ext_key_usage), "TLS Web Server Authentication");
  EXPECT_EQ(ext_text(server.get(), NID_key_usage), "critical: Digital Signature");
  EXPECT_EQ(ext_text(server.get(), NID_basic_constraints), "critical: CA:FALSE");
  EXPECT_NE(ext_text(server.get(), NID_authority_key_identifier), "<absent>");
  EXPECT_TRUE(verifies(server.get(), pki_.ca_cert));
  const ASN1_TIME* not_after = X509_get0_notAfter(server.get());
  int days = 0;
  int secs = 0;
  ASN1_TIME_diff(&days, &secs, nullptr, not_after);
  EXPECT_GE(days, 364);
  EXPECT_LE(days, 366);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(server.get())), 0);
}

TEST_F(PkiTest, ClientCertCarriesUserAndGroups) {
  auto alice = read_cert(pki_.clients.at("alice").first);
  ASSERT_TRUE(alice);
  char line[256] = {};
  X509_NAME_oneline(X509_get_subject_name(alice.get()), line, sizeof line);
  EXPECT_STREQ(line, "/O=developers/O=system:masters/CN=alice");
  EXPECT_EQ(ext_text(alice.get(), NID_ext_key_usage), "TLS Web Client Authentication");
  EXPECT_TRUE(verifies(alice.get(), pki_.ca_cert));

  const fs::path other_ca = dir_ / "other-ca.crt";
  write_self_signed_ca(other_ca, dir_ / "other-ca.key", "intruder-ca");
  EXPECT_FALSE(verifies(alice.get(), other_ca));
  auto other = read_cert(other_ca);
  ASSERT_TRUE(other);
  EXPECT_EQ(name_field(other.get(), NID_commonName), "intruder-ca");
  EXPECT_EQ(mode_of(dir_ / "other-ca.key"), 0600U);
}

TEST_F(PkiTest, ConfigureServerCtxFailsOnMissingFiles) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  Pki broken = pki_;
  broken.server_key = dir_ / "missing.key";
  EXPECT_FALSE(configure_server_ctx(*ctx, broken));
  SSL_CTX_free(ctx);
}

TEST_F(PkiTest, ConfigureServerCtxOffersCaAndMakesClientCertOptional) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_TRUE(configure_server_ctx(*ctx, pki_));
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
  const STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(ctx);
  ASSERT_EQ(sk_X509_NAME_num(names), 1);
  char line[128] = {};
  X509_NAME_oneline(sk_X509_NAME_value(names, 0), line, sizeof line);
  EXPECT_STREQ(line, "/CN=kubesim-ca");
  SSL_CTX_free(ctx);
}

TEST(PkiPeerIdentity, NullSslHasNoIdentity) {
  EXPECT_FALSE(peer_identity(nullptr));
}

// The TLS server answers "anonymous" or "user|group,group" from peer_identity.
class PkiTlsTest : public PkiTest {
 protected:
  void SetUp() override {
    PkiTest::SetUp();
    server_ = std::make_unique<httplib::SSLServer>(
        [this](SSL_CTX& ctx) { return configure_server_ctx(ctx, pki_); });
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/whoami", [](const httplib::Request& req, httplib::Response& res) {
      const auto id = peer_identity(req.ssl);
      std::string body = "anonymous";
      if (id) {
        body = id->user + "|";
        for (std::size_t i = 0; i < id->groups.size(); ++i) {
          body += (i > 0 ? "," : "") + id->groups[i];
        }
      }
      res.set_content(body, "text/plain");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    PkiTest::TearDown();
  }

  httplib::Result get(const fs::path& cert, const fs::path& key) {
    auto client = cert.empty()
                      ? std::make_unique<httplib::SSLClient>("127.0.0.1", port_)
                      : std::make_unique<httplib::SSLClient>("127.0.0.1", port_, cert.string(), key.string());
    client->set_ca_cert_path(pki_.ca_cert.c_str());
    client->enable_server_certificate_verification(true);
    return client->Get("/whoami");
  }

  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(PkiTlsTest, ClientCertificateIdentifiesUserAndGroups) {
  auto res = get(pki_.clients.at("alice").first, pki_.clients.at("alice").second);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "alice|developers,system:masters");
  auto bob = get(pki_.clients.at("bob").first, pki_.clients.at("bob").second);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->body, "bob|");
}

TEST_F(PkiTlsTest, NoClientCertificateIsAllowedButAnonymous) {
  auto res = get({}, {});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "anonymous");
}

TEST_F(PkiTlsTest, CertificateFromAnotherCaIsRejectedInHandshake) {
  const fs::path other = dir_ / "other";
  const Pki foreign = create_pki(other, {{"mallory", {"system:masters"}, "mallory"}});
  auto res = get(foreign.clients.at("mallory").first, foreign.clients.at("mallory").second);
  EXPECT_FALSE(res);
}

TEST_F(PkiTlsTest, ServerCertificateVerifiesForLocalhostName) {
  httplib::SSLClient client("localhost", port_);
  client.set_ca_cert_path(pki_.ca_cert.c_str());
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/whoami");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->body, "anonymous");

  httplib::SSLClient untrusting("127.0.0.1", port_);
  const fs::path wrong = dir_ / "wrong-ca.crt";
  write_self_signed_ca(wrong, dir_ / "wrong-ca.key", "kubesim-ca");
  untrusting.set_ca_cert_path(wrong.c_str());
  untrusting.enable_server_certificate_verification(true);
  EXPECT_FALSE(untrusting.Get("/whoami"));
}

}  // namespace
}  // namespace mgate::kubesim
