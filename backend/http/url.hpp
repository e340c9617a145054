#pragma once
// URL parsing for the HTTP client and its callers (SigV4 canonical requests,
// registry Link pagination), through libcurl's own parser so that what we
// compute matches what libcurl sends.

#include <string>
#include <string_view>

#include "backend/core/error.hpp"

namespace mgate::backend::http {

/// An absolute URL split into the parts callers need. Userinfo and fragment are
/// dropped on purpose: they are never sent in a request line.
struct Url {
  std::string scheme;          ///< lower-case ("https")
  std::string host;            ///< as written; an IPv6 literal keeps its brackets ("[::1]")
  int port = 0;                ///< the effective port: the scheme's default when none is written
  bool explicit_port = false;  ///< true when the URL writes a port
  std::string path;            ///< percent-encoded, "/" when the URL has none
  std::string query;           ///< percent-encoded, without '?'; may hold credentials (presigned URLs)

  /// The Host header libcurl sends for this URL: the host, plus ":port" unless
  /// the port is the scheme's default (libcurl drops ":443" even when written).
  std::string host_header() const;
  /// "scheme://host[:port]/path": safe for messages and logs, since it leaves
  /// out the userinfo and the query string, which may carry credentials.
  std::string redacted() const;
};

/// Parses an absolute URL; the error never repeats the URL (it may hold credentials).
Result<Url> parse_url(std::string_view url);

/// Resolves reference (absolute, or relative such as "/v2/x/tags/list?n=10&last=a"
/// from a Link header) against base, as a browser would.
Result<std::string> resolve_url(std::string_view base, std::string_view reference);

/// The redacted form of url (see Url::redacted); for an unparseable URL, the
/// text before any '?' or '#' with any userinfo cut out.
std::string redact_url(std::string_view url);

}  // namespace mgate::backend::http
