#pragma once
// An OCI distribution (registry v2) client for any registry: GHCR, Harbor, docker-registry.
// Tags with Link pagination, manifests read and written byte for byte, blobs by digest.

#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/http/client.hpp"
#include "backend/registry/docker_config.hpp"
#include "backend/registry/media_types.hpp"

namespace mgate::backend::registry {

/// The Accept header sent for manifests: the four kManifestMediaTypes of media_types.hpp.
/// Without it a registry may down-convert to schema 1 or refuse an index.
std::string manifest_accept_header();

/// A manifest as the registry serves it.
struct Manifest {
  std::string media_type;  ///< the Content-Type it was served with (parameters dropped)
  std::string digest;      ///< "sha256:..." of bytes, checked against Docker-Content-Digest
  std::string bytes;       ///< the exact bytes served (empty from head_manifest)
};

/// Where and as whom an OciClient talks.
struct OciOptions {
  std::string base_url;    ///< "https://ghcr.io" or "http://127.0.0.1:5000"; no "/v2"
  std::string repository;  ///< "udab-server" or "org/udab-server"
  /// Basic credentials (from a docker config's `auths`), sent on a Basic challenge and to a
  /// bearer token endpoint. Unset: anonymous, and anonymous tokens are still fetched.
  std::optional<BasicCredentials> credentials;
  http::ClientOptions http;  ///< timeouts, TLS, retries
};

/// One repository of one registry. Used by one thread at a time (it holds an http::Client).
///
/// Auth follows the registry's lead: a request goes out anonymously (or with a token cached for
/// its scope); a 401 with `WWW-Authenticate: Bearer realm=...` fetches a token from the realm
/// (with the basic credentials if configured), caches it per scope and sends the request once
/// more; a `Basic` challenge sends the configured credentials from then on.
///
/// Errors name the call and the registry's error code:
/// "GET /v2/udab-server/manifests/stage-abc: 404 MANIFEST_UNKNOWN manifest unknown".
class OciClient {
 public:
  /// A client for options.repository at options.base_url; nothing is sent yet.
  explicit OciClient(OciOptions options);

  /// Every tag of the repository, in the registry's order, following `Link: rel="next"`
  /// with page_size tags per page. kNotFound for an unknown repository.
  Result<std::vector<std::string>> list_tags(int page_size = 100, const std::stop_token& stop = {});

  /// The manifest reference names (a tag or "sha256:..." digest), with its exact bytes.
  /// kProtocol when the bytes do not hash to Docker-Content-Digest (or to the digest asked for).
  Result<Manifest> get_manifest(const std::string& reference, const std::stop_token& stop = {});

  /// The media type and digest of reference without its bytes; nothing when it does not exist.
  Result<std::optional<Manifest>> head_manifest(const std::string& reference,
                                                const std::stop_token& stop = {});

  /// Puts manifest's exact bytes, with its media type, under tag; returns the digest the
  /// registry reports (the same as manifest.digest when the bytes are unchanged).
  Result<std::string> put_manifest(const std::string& tag, const Manifest& manifest,
                                   const std::stop_token& stop = {});

  /// The blob with digest (an image config, say), checked against that digest. A redirect to
  /// storage is followed once, without our credentials.
  Result<std::string> get_blob(const std::string& digest, const std::stop_token& stop = {});

  /// The options this client was built with.
  const OciOptions& options() const { return options_; }

 private:
  /// "<base>/v2/<repository>/<suffix>".
  std::string repo_url(std::string_view suffix) const;
  /// Sends request with the auth its scope needs, answering one challenge.
  Result<http::Response> send(const http::Request& request, const std::string& scope,
                              const std::stop_token& stop);
  /// Adds the cached token for scope, or basic credentials after a Basic challenge.
  void authorize(http::Request& request, const std::string& scope) const;
  /// Reacts to a 401: fetches a token or switches to basic. False when nothing can help.
  Result<bool> answer_challenge(const http::Response& response, const std::string& scope,
                                const std::stop_token& stop);
  /// GET realm?service=&scope= and caches the token under scope.
  Status fetch_token(const std::string& realm, const std::string& service, const std::string& token_scope,
                     const std::string& scope, const std::stop_token& stop);
  /// Sends one manifest GET or HEAD.
  Result<http::Response> request_manifest(const std::string& method, const std::string& reference,
                                          const std::stop_token& stop);

  OciOptions options_;
  http::Client client_;
  std::map<std::string, Secret> tokens_;  ///< bearer tokens by our scope string
  bool use_basic_ = false;                ///< the registry asked for Basic auth
};

/// The Error for a registry response that is not what call expected: the status, the
/// registry's first error code and message ("404 MANIFEST_UNKNOWN manifest unknown"), the
/// body as detail. call is "GET /v2/<name>/manifests/<ref>" (never a query string).
Error registry_error(const std::string& call, const http::Response& response);

/// "METHOD /path" of request, for messages: no host, no query string.
std::string describe_call(const http::Request& request);

}  // namespace mgate::backend::registry
