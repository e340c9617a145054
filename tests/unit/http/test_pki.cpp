#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mgate::backend::http::testing {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

KeyPtr make_key() {
  // P-256 keys take microseconds, where RSA would take most of the test budget.
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

// A certificate for key named cn, signed by issuer (self-signed when null),
// with the given X509v3 extensions in openssl.cnf syntax.
CertPtr make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                  const std::vector<std::pair<int, const char*>>& extensions) {
  static long serial = 1;
  CertPtr cert(X509_new());
  check(cert && X509_set_version(cert.get(), 2) == 1, "X509_new");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600);
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_pem(X509* cert) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  check(static_cast<bool>(out), "writing a PEM file");
}

std::vector<std::pair<int, const char*>> ca_extensions() {
  return {{NID_basic_constraints, "critical,CA:TRUE"},
          {NID_key_usage, "critical,keyCertSign,cRLSign"},
          {NID_subject_key_identifier, "hash"}};
}

std::vector<std::pair<int, const char*>> leaf_extensions(const char* usage, const char* san) {
  std::vector<std::pair<int, const char*>> out = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                  {NID_key_usage, "critical,digitalSignature"},
                                                  {NID_ext_key_usage, usage},
                                                  {NID_authority_key_identifier, "keyid:always"}};
  if (san != nullptr) out.emplace_back(NID_subject_alt_name, san);
  return out;
}

TestPki generate() {
  TestPki pki;
  std::string pattern = (std::filesystem::temp_directory_path() / "mgate-http-XXXXXX").string();
  check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  pki.dir = pattern;

  KeyPtr ca_key = make_key();
  CertPtr ca = make_cert(ca_key.get(), "mgate test CA", nullptr, nullptr, ca_extensions());
  KeyPtr server_key = make_key();
  CertPtr server = make_cert(server_key.get(), "kube-apiserver", ca.get(), ca_key.get(),
                             leaf_extensions("serverAuth", "DNS:kubernetes.default,IP:127.0.0.1"));
  CertPtr dns_only = make_cert(server_key.get(), "kube-apiserver", ca.get(), ca_key.get(),
                               leaf_extensions("serverAuth", "DNS:kubernetes.default"));
  KeyPtr client_key = make_key();
  CertPtr client = make_cert(client_key.get(), "mgate-test-client", ca.get(), ca_key.get(),
                             leaf_extensions("clientAuth", nullptr));
  KeyPtr other_ca_key = make_key();
  CertPtr other_ca = make_cert(other_ca_key.get(), "other CA", nullptr, nullptr, ca_extensions());
  KeyPtr stranger_key = make_key();
  CertPtr stranger = make_cert(stranger_key.get(), "stranger", other_ca.get(), other_ca_key.get(),
                               leaf_extensions("clientAuth", nullptr));

  pki.ca_pem = cert_pem(ca.get());
  pki.client_cert_pem = cert_pem(client.get());
  pki.client_key_pem = key_pem(client_key.get());
  pki.ca_cert = pki.dir / "ca.crt";
  pki.server_cert = pki.dir / "server.crt";
  pki.server_key = pki.dir / "server.key";
  pki.dns_only_cert = pki.dir / "server-dns-only.crt";
  pki.client_cert = pki.dir / "client.crt";
  pki.client_key = pki.dir / "client.key";
  pki.stranger_cert = pki.dir / "stranger.crt";
  pki.stranger_key = pki.dir / "stranger.key";
  write_file(pki.ca_cert, pki.ca_pem);
  write_file(pki.server_cert, cert_pem(server.get()));
  write_file(pki.server_key, key_pem(server_key.get()));
  write_file(pki.dns_only_cert, cert_pem(dns_only.get()));
  write_file(pki.client_cert, pki.client_cert_pem);
  write_file(pki.client_key, pki.client_key_pem);
  write_file(pki.stranger_cert, cert_pem(stranger.get()));
  write_file(pki.stranger_key, key_pem(stranger_key.get()));
  return pki;
}

// Removes the directory when the process ends.
struct PkiHolder {
  TestPki pki = generate();
  ~PkiHolder() {
    std::error_code ignored;
    std::filesystem::remove_all(pki.dir, ignored);
  }
};

}  // namespace

const TestPki& test_pki() {
  static const PkiHolder holder;
  return holder.pki;
}

}  // namespace mgate::backend::http::testing
