#pragma once
// One HTTP request as the caller builds it.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/core/secret.hpp"

namespace mgate::backend::http {

/// A request: what is sent is exactly these headers and this body (plus what
/// Client documents that libcurl adds), so a signer (SigV4) can sign it as is.
/// An aggregate: build it with designated initialisers or field by field
/// (every member has a default, so omitted ones are fine under -Wextra).
struct Request {
  std::string method = "GET";  ///< sent verbatim ("GET", "PUT", "PATCH", ...)
  std::string url{};           ///< absolute; its query and userinfo never appear in messages
  /// Ordinary headers, sent in order. An empty value sends "Name:" with no value.
  std::vector<std::pair<std::string, std::string>> headers{};
  /// Headers whose value is a credential (Authorization, X-Registry-Auth...):
  /// sent after the ordinary ones, never shown by describe() or in an Error.
  std::vector<std::pair<std::string, Secret>> secret_headers{};
  std::string body{};  ///< sent as is, with Content-Length; empty means no body for GET/HEAD/DELETE
  /// Overrides ClientOptions::timeout for this request (the whole exchange).
  std::optional<std::chrono::milliseconds> timeout{};
  /// Overrides the method's idempotency, e.g. true for a POST that only reads
  /// (ECR DescribeImages), false for a PUT that must not be repeated.
  std::optional<bool> idempotent{};

  /// Appends an ordinary header; returns *this for chaining.
  Request& add_header(std::string name, std::string value);
  /// Appends a secret header; returns *this for chaining.
  Request& add_secret_header(std::string name, Secret value);
  /// Sets "Authorization: Bearer <token>" as a secret header, replacing any
  /// Authorization header already set (ordinary or secret).
  Request& set_bearer(const Secret& token);

  /// True when the request may be sent twice: the explicit idempotent flag, else
  /// the method (GET, HEAD, PUT, DELETE, OPTIONS, TRACE).
  bool is_idempotent() const;
  /// True when a header of that name (any case) is set, ordinary or secret.
  bool has_header(std::string_view name) const;
  /// "GET https://host:port/path" for messages: no query string, no userinfo, no header.
  std::string describe() const;
};

}  // namespace mgate::backend::http
