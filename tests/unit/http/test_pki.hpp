#pragma once
// A throwaway PKI for TLS tests, generated once per process in a temp dir.

#include <filesystem>
#include <string>

namespace mgate::backend::http::testing {

/// A CA, two server certificates and a client certificate, on disk and as PEM.
struct TestPki {
  std::filesystem::path dir;            ///< the temp dir holding the files
  std::filesystem::path ca_cert;        ///< the CA certificate
  std::string ca_pem;                   ///< the same, as PEM text
  std::filesystem::path server_cert;    ///< SAN DNS:kubernetes.default, IP:127.0.0.1
  std::filesystem::path server_key;     ///< the key of both server certificates
  std::filesystem::path dns_only_cert;  ///< SAN DNS:kubernetes.default only (same key)
  std::filesystem::path client_cert;    ///< CN=mgate-test-client, clientAuth
  std::filesystem::path client_key;     ///< its key
  std::string client_cert_pem;          ///< client_cert as PEM text
  std::string client_key_pem;           ///< client_key as PEM text (PKCS#8)
  std::filesystem::path stranger_cert;  ///< CN=stranger, signed by a CA nobody trusts
  std::filesystem::path stranger_key;   ///< its key
};

/// The process's PKI, created on first use and removed at exit.
const TestPki& test_pki();

}  // namespace mgate::backend::http::testing
