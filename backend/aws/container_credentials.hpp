#pragma once
// The container credential source: ECS task roles and EKS Pod Identity, served over HTTP by an
// agent the orchestrator runs next to the container.

#include <functional>
#include <optional>
#include <string>

#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/http/client.hpp"

namespace mgate::backend::aws {

/// The ECS agent's address, which AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is relative to.
inline constexpr const char* kEcsCredentialsHost = "http://169.254.170.2";

/// The container source's environment, as read (each unset when the variable is unset or empty).
struct ContainerSettings {
  std::optional<std::string> relative_uri;              ///< AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
  std::optional<std::string> full_uri;                  ///< AWS_CONTAINER_CREDENTIALS_FULL_URI
  std::optional<std::string> authorization_token;       ///< AWS_CONTAINER_AUTHORIZATION_TOKEN
  std::optional<std::string> authorization_token_file;  ///< AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE

  /// True when either URI variable is set, i.e. the source applies.
  bool configured() const { return relative_uri.has_value() || full_uri.has_value(); }
};

/// Reads the four variables through `getenv` (which returns nothing for an unset variable).
ContainerSettings container_settings(const std::function<std::optional<std::string>(const char*)>& getenv);

/// Where to ask and with which Authorization header.
struct ContainerRequest {
  std::string url;                      ///< the credentials URL
  std::optional<Secret> authorization;  ///< the Authorization header's value
};

/// The request the settings describe, as botocore builds it: the relative URI wins over the full
/// one; a full URI over http must name a loopback address, 169.254.170.2, 169.254.170.23 or
/// [fd00:ec2::23] (https may name any host); the token file wins over the token and is read now.
/// kNotFound when the source is not configured; kInvalidArgument for a refused host or a token
/// holding a line break; kIo for an unreadable token file.
Result<ContainerRequest> container_request(const ContainerSettings& settings);

/// Reads a JSON credentials answer {AccessKeyId, SecretAccessKey, Token, Expiration} (the
/// container agent's and IMDS's); errors start with `source` and never quote the answer.
Result<Credentials> parse_json_credentials(std::string_view json, const std::string& source);

/// Fetches credentials from the agent. Errors name the URL (without query) and the HTTP status.
Result<Credentials> fetch_container_credentials(const ContainerSettings& settings,
                                                const http::ClientOptions& http_options);

}  // namespace mgate::backend::aws
