#pragma once
// AWS Signature Version 4: signing into headers and presigning into the query string.
// Checked byte for byte against the AWS test suites in ../shared/testdata/sigv4/.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backend/aws/canonical_request.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::aws {

/// The algorithm name written into every string to sign and Authorization header.
inline constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";
/// The payload hash S3 accepts in place of a body digest.
inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";
/// The longest presigned URL lifetime AWS accepts (7 days).
inline constexpr std::chrono::seconds kMaxPresignExpiry{604800};

/// Who signs. The secret key and session token never appear in errors or logs.
struct Credentials {
  std::string access_key_id;                    ///< AKIA... / ASIA...; not secret
  Secret secret_access_key;                     ///< the HMAC key material
  Secret session_token;                         ///< empty for long-term keys
  std::optional<Clock::time_point> expiration;  ///< when temporary credentials stop working
};

/// The request to sign, as it will go on the wire.
struct SigningRequest {
  std::string scheme = "https";             ///< only used to build a presigned URL
  std::string method = "GET";               ///< "GET", "POST", ...
  std::string path = "/";                   ///< the wire path (already percent-encoded if it needs to be)
  std::string query;                        ///< the wire query string without '?', may be empty
  std::vector<Header> headers;              ///< must include Host; repeats allowed, order kept
  std::string body;                         ///< hashed unless payload_hash is set
  std::optional<std::string> payload_hash;  ///< precomputed hex SHA-256 of the body
};

/// How to sign.
struct SigningParams {
  std::string region;                       ///< "eu-west-1"
  std::string service;                      ///< "ecr", "sts", "s3"
  Clock::time_point when;                   ///< the signing time (X-Amz-Date)
  bool double_url_encode_path = true;       ///< false for S3
  bool normalize_path = true;               ///< false for S3
  bool sign_session_token = true;           ///< false: add X-Amz-Security-Token after signing
  bool add_content_sha256 = false;          ///< add and sign X-Amz-Content-Sha256 (S3 wants it)
  std::optional<std::string> payload_hash;  ///< override, e.g. kUnsignedPayload
};

/// The outcome of header signing: the headers to add, plus the intermediate strings.
struct SignedRequest {
  std::vector<Header> headers;    ///< to add, in order: token, X-Amz-Date, sha256, Authorization
  std::string canonical_request;  ///< exactly the bytes that were hashed
  std::string string_to_sign;     ///< the four lines that were HMAC'd
  std::string signature;          ///< lower-case hex
  std::string authorization;      ///< the Authorization header value
};

/// The outcome of presigning: a URL carrying its own authentication ("https://host/path?...").
struct PresignedUrl {
  std::string url;                ///< a bearer credential until it expires: keep it in a Secret
  std::string target;             ///< the request target alone: "/path?..."
  std::string canonical_request;  ///< exactly the bytes that were hashed
  std::string string_to_sign;     ///< the four lines that were HMAC'd
  std::string signature;          ///< lower-case hex
};

/// A SigningRequest for an absolute URL (path and query as written, i.e. wire-encoded);
/// adds the Host header libcurl will send unless `headers` already has one.
/// The error never repeats the URL, which may carry credentials.
Result<SigningRequest> signing_request(std::string method, std::string_view url,
                                       std::vector<Header> headers = {}, std::string body = {});

/// "20150830T123600Z" for a UTC time.
std::string amz_date(Clock::time_point t);

/// "20150830/us-east-1/service/aws4_request".
std::string credential_scope(const SigningParams& params);

/// The canonical request of `request` exactly as given (no headers added).
std::string canonical_request(const SigningRequest& request, const SigningParams& params);

/// The string to sign for a canonical request.
std::string string_to_sign(std::string_view canonical_request, const SigningParams& params);

/// The derived key kSigning = HMAC chain over date, region, service, "aws4_request".
Secret signing_key(const Secret& secret_access_key, const SigningParams& params);

/// Signs into headers. The request's own Authorization, X-Amz-Date (and, when this call
/// adds them, X-Amz-Security-Token and X-Amz-Content-Sha256) are replaced, not doubled.
Result<SignedRequest> sign(const SigningRequest& request, const Credentials& credentials,
                           const SigningParams& params);

/// Presigns into the query string (what an EKS token or an S3 download link is).
/// The Host header supplies the URL's host; `expires` must be within 1 s .. 7 days.
Result<PresignedUrl> presign(const SigningRequest& request, const Credentials& credentials,
                             const SigningParams& params, std::chrono::seconds expires);

}  // namespace mgate::backend::aws
