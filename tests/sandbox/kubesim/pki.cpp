#include "tests/sandbox/kubesim/pki.hpp"

#include "tests/sandbox/kubesim/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace mgate::kubesim {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// The CA and server certificate subjects, as kubeadm names them.
constexpr const char* kCaName = "kubesim-ca";
constexpr const char* kServerName = "kube-apiserver";
constexpr const char* kServerSans =
    "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
    "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local";
constexpr long kBackdateSeconds = 3600;              // tolerate small clock skew between tools
constexpr long kValiditySeconds = 365L * 24 * 3600;  // one year

// Throws naming the step plus OpenSSL's own reason (the first queued error).
[[noreturn]] void fail(const std::string& step) {
  const unsigned long code = ERR_get_error();
  std::string reason = "unknown error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  throw std::runtime_error(fmt::format("pki: {} failed: {}", step, reason));
}

KeyPtr make_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen(P-256)");
  return key;
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
    fail(fmt::format("X509_NAME_add_entry_by_txt({}={})", field, value));
  }
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) fail(fmt::format("X509V3_EXT_conf_nid({}, {})", OBJ_nid2sn(nid), value));
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) fail(fmt::format("X509_add_ext({})", OBJ_nid2sn(nid)));
}

void set_random_serial(X509* cert) {
  BnPtr bn(BN_new());
  // 64 random bits with the top bit clear: positive and unique enough for one run's certificates.
  if (!bn || BN_rand(bn.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) fail("BN_rand");
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    fail("BN_to_ASN1_INTEGER");
  }
}

// An unsigned certificate for key with the given subject, issued by issuer_cert (self-issued
// when null), validity now-1h .. now+1y.
CertPtr new_cert(EVP_PKEY* key, const std::vector<std::pair<const char*, std::string>>& subject,
                 X509* issuer_cert) {
  CertPtr cert(X509_new());
  if (!cert) fail("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) fail("X509_set_version");
  set_random_serial(cert.get());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr) {
    fail("X509_gmtime_adj");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : subject) add_name_entry(name, field, value);
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) {
    fail("X509_set_issuer_name");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) fail("X509_set_pubkey");
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  if (issuer_cert != nullptr) {
    add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  }
  return cert;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) fail("X509_sign");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}


void write_cert(const std::filesystem::path& path, X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509");
  write_file(path, bio_text(bio.get()), 0644);
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM_write_bio_PrivateKey");
  }
  write_file(path, bio_text(bio.get()), 0600);
}

struct Issued {
  KeyPtr key;
  CertPtr cert;
};

Issued make_ca(const std::string& cn) {
  Issued ca{make_key(), nullptr};
  ca.cert = new_cert(ca.key.get(), {{"CN", cn}}, nullptr);
  add_extension(ca.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
  sign(ca.cert.get(), ca.key.get());
  return ca;
}

// A leaf certificate signed by the CA; eku is "serverAuth" or "clientAuth".
Issued make_leaf(const Issued& ca, const std::vector<std::pair<const char*, std::string>>& subject,
                 const std::string& eku, const std::string& sans) {
  Issued leaf{make_key(), nullptr};
  leaf.cert = new_cert(leaf.key.get(), subject, ca.cert.get());
  add_extension(leaf.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(leaf.cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(leaf.cert.get(), ca.cert.get(), NID_ext_key_usage, eku);
  if (!sans.empty()) add_extension(leaf.cert.get(), ca.cert.get(), NID_subject_alt_name, sans);
  sign(leaf.cert.get(), ca.key.get());
  return leaf;
}

std::string utf8_entry(X509_NAME_ENTRY* entry) {
  unsigned char* out = nullptr;
  const int len = ASN1_STRING_to_UTF8(&out, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) return {};
  std::string value(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return value;
}

std::vector<std::string> name_values(const X509_NAME* name, int nid) {
  std::vector<std::string> values;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    values.push_back(utf8_entry(X509_NAME_get_entry(name, i)));
  }
  return values;
}

}  // namespace

Pki create_pki(const std::filesystem::path& dir, const std::vector<ClientIdentity>& clients) {
  std::filesystem::create_directories(dir);
  Pki pki;
  pki.ca_cert = dir / "ca.crt";
  pki.ca_key = dir / "ca.key";
  pki.server_cert = dir / "apiserver.crt";
  pki.server_key = dir / "apiserver.key";

  const Issued ca = make_ca(kCaName);
  write_cert(pki.ca_cert, ca.cert.get());
  write_key(pki.ca_key, ca.key.get());

  const Issued server = make_leaf(ca, {{"CN", kServerName}}, "serverAuth", kServerSans);
  write_cert(pki.server_cert, server.cert.get());
  write_key(pki.server_key, server.key.get());

  for (const auto& client : clients) {
    std::vector<std::pair<const char*, std::string>> subject;
    for (const auto& org : client.organizations) subject.emplace_back("O", org);
    subject.emplace_back("CN", client.common_name);
    const Issued leaf = make_leaf(ca, subject, "clientAuth", "");
    auto files = std::make_pair(dir / (client.file_stem + ".crt"), dir / (client.file_stem + ".key"));
    write_cert(files.first, leaf.cert.get());
    write_key(files.second, leaf.key.get());
    pki.clients[client.file_stem] = std::move(files);
  }
  return pki;
}

void write_self_signed_ca(const std::filesystem::path& cert, const std::filesystem::path& key,
                          const std::string& cn) {
  const Issued ca = make_ca(cn);
  write_cert(cert, ca.cert.get());
  write_key(key, ca.key.get());
}

std::optional<PeerIdentity> peer_identity(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  const X509_NAME* subject = X509_get_subject_name(cert);
  const auto cns = name_values(subject, NID_commonName);
  if (cns.empty()) return std::nullopt;
  return PeerIdentity{cns.front(), name_values(subject, NID_organizationName)};
}

bool configure_server_ctx(SSL_CTX& ctx, const Pki& pki) {
  if (SSL_CTX_use_certificate_chain_file(&ctx, pki.server_cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, pki.server_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1 ||
      SSL_CTX_load_verify_locations(&ctx, pki.ca_cert.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return false;
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(pki.ca_cert.c_str());
  if (names == nullptr) {
    ERR_clear_error();
    return false;
  }
  SSL_CTX_set_client_CA_list(&ctx, names);  // takes ownership
  // Optional client certificates: a handshake without one still succeeds, so bearer tokens work;
  // one that fails verification aborts the handshake, as Go's VerifyClientCertIfGiven does.
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  return true;
}

}  // namespace mgate::kubesim
