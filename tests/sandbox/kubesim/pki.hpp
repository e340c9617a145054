#pragma once
// The simulator's certificates: a CA, the API server's serving certificate and client
// certificates, made fresh for each run (ECDSA P-256, which Go's TLS and libcurl both accept), so
// kubectl and the gateway can talk TLS to it exactly as to a real cluster, and client-certificate
// authentication (CN = user, O = groups) works as on a real API server.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/ssl.h>

namespace mgate::kubesim {

/// A client certificate to issue: the subject the API server reads the user from.
struct ClientIdentity {
  std::string common_name;                 ///< the user name (subject CN)
  std::vector<std::string> organizations;  ///< the groups (one subject O each)
  std::string file_stem;                   ///< files are <dir>/<stem>.crt and <dir>/<stem>.key
};

/// The files create_pki wrote (PEM).
struct Pki {
  std::filesystem::path ca_cert;      ///< the CA certificate (CN "kubesim-ca")
  std::filesystem::path ca_key;       ///< the CA's private key
  std::filesystem::path server_cert;  ///< the API server's certificate (CN "kube-apiserver")
  std::filesystem::path server_key;   ///< its private key
  /// stem -> (certificate, key), one per ClientIdentity.
  std::map<std::string, std::pair<std::filesystem::path, std::filesystem::path>> clients;
};

/// Writes a CA, a server certificate for 127.0.0.1/localhost/kubernetes.default... and one client
/// certificate per identity into dir (created if missing). Keys are mode 0600. Throws
/// std::runtime_error naming the OpenSSL step that failed.
Pki create_pki(const std::filesystem::path& dir, const std::vector<ClientIdentity>& clients);

/// Writes a self-signed CA certificate and its key (0600): tests use it to make a CA the server
/// does not trust.
void write_self_signed_ca(const std::filesystem::path& cert, const std::filesystem::path& key,
                          const std::string& cn);

/// Who a client certificate says its holder is.
struct PeerIdentity {
  std::string user;                 ///< subject CN
  std::vector<std::string> groups;  ///< subject O values, in order
};

/// The identity in the TLS peer's certificate when it presented one that verified against the
/// server's CA; nullopt otherwise (no certificate, a failed verification, or ssl null).
std::optional<PeerIdentity> peer_identity(const SSL* ssl);

/// Sets up a server SSL_CTX: serving certificate and key, the CA as the client-verify store and
/// as the CA list offered to clients, and SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT (a client
/// certificate is optional; bearer tokens must still work). False when a file fails to load.
/// Fits httplib::SSLServer's SSL_CTX setup callback.
bool configure_server_ctx(SSL_CTX& ctx, const Pki& pki);

}  // namespace mgate::kubesim
