#pragma once
// TLS settings of an HTTP client, shaped after what a kubeconfig cluster and
// user entry can say.

#include <filesystem>
#include <optional>
#include <string>

#include "backend/core/secret.hpp"

namespace mgate::backend::http {

/// How the client verifies the server and proves who it is. When both a file
/// and PEM data are given for the same item, the data wins (as kubectl does
/// with certificate-authority-data over certificate-authority).
struct TlsOptions {
  /// CA bundle to trust instead of the system store (kubeconfig certificate-authority).
  std::optional<std::filesystem::path> ca_file;
  /// The same as PEM text (kubeconfig certificate-authority-data, base64-decoded).
  std::optional<std::string> ca_pem;
  /// Client certificate chain, PEM file (client-certificate).
  std::optional<std::filesystem::path> client_cert_file;
  /// Client private key, PEM file (client-key).
  std::optional<std::filesystem::path> client_key_file;
  /// Client certificate chain as PEM text (client-certificate-data).
  std::optional<std::string> client_cert_pem;
  /// Client private key as PEM text (client-key-data); never copied into an Error.
  std::optional<Secret> client_key_pem;
  /// Skip server verification entirely (insecure-skip-tls-verify).
  bool insecure_skip_verify = false;
  /// The name to verify the server certificate against, and to send as SNI,
  /// instead of the URL's host (tls-server-name). The TCP connection still goes
  /// to the URL's host and port, and the Host header still names the URL's host.
  std::optional<std::string> server_name;
};

}  // namespace mgate::backend::http
