#pragma once
// The EC2 instance metadata service, version 2 (session tokens): the instance profile's role.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/http/client.hpp"

namespace mgate::backend::aws {

/// Where IMDS answers unless AWS_EC2_METADATA_SERVICE_ENDPOINT says otherwise.
inline constexpr const char* kDefaultImdsEndpoint = "http://169.254.169.254";
/// The session token's lifetime botocore asks for (6 h).
inline constexpr int kImdsTokenTtlSeconds = 21600;

/// How to reach IMDS.
struct ImdsSettings {
  std::string endpoint = kDefaultImdsEndpoint;  ///< AWS_EC2_METADATA_SERVICE_ENDPOINT
  bool disabled = false;                        ///< AWS_EC2_METADATA_DISABLED=true
  /// Connect and whole-exchange timeout per request: botocore's metadata_service_timeout (1 s),
  /// so a laptop with no IMDS is not slowed.
  std::chrono::milliseconds timeout{1000};
  int attempts = 1;  ///< botocore's metadata_service_num_attempts
};

/// Reads AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_EC2_METADATA_DISABLED through `getenv`.
ImdsSettings imds_settings(const std::function<std::optional<std::string>(const char*)>& getenv);

/// The instance profile's credentials and the role they belong to.
struct ImdsCredentials {
  Credentials credentials;  ///< temporary, with expiration
  std::string role;         ///< the role name IMDS listed
};

/// PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then
/// GET /latest/meta-data/iam/security-credentials/ for the role name, then GET .../<role>,
/// both with X-aws-ec2-metadata-token. kNotFound when disabled, unreachable or without a role
/// (the chain reports it as tried, not as a failure); kProtocol for an unreadable answer.
/// `http_options` supplies TLS and proxy settings; timeouts and attempts come from `settings`.
Result<ImdsCredentials> fetch_imds_credentials(const ImdsSettings& settings,
                                               const http::ClientOptions& http_options);

}  // namespace mgate::backend::aws
