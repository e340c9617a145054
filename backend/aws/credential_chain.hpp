#pragma once
// The AWS CLI's credential chain, in botocore's order (create_credential_resolver):
//   1. environment (AWS_ACCESS_KEY_ID, ...; skipped when a profile is given explicitly)
//   2. assume-role profiles: role_arn with source_profile (recursive) or credential_source
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
//      web_identity_token_file + role_arn (AssumeRoleWithWebIdentity)
//   4. SSO profiles: refused as not supported, never skipped
//   5. the shared credentials file   6. credential_process   7. keys in the config file
//   8. container credentials (ECS, EKS Pod Identity)   9. EC2 instance metadata (IMDSv2)

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "backend/aws/credential_process.hpp"
#include "backend/aws/shared_config.hpp"
#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/time.hpp"
#include "backend/http/client.hpp"

namespace mgate::backend::aws {

/// Looks up an environment variable; nothing when it is not set.
using GetEnv = std::function<std::optional<std::string>(const char*)>;

/// What the chain reads; everything defaults to what the AWS CLI would use.
struct CredentialOptions {
  std::optional<std::string> profile;           ///< explicit (`--profile`): wins over AWS_PROFILE
  GetEnv getenv;                                ///< empty: the process environment
  std::optional<std::string> config_file;       ///< overrides AWS_CONFIG_FILE
  std::optional<std::string> credentials_file;  ///< overrides AWS_SHARED_CREDENTIALS_FILE
  std::chrono::milliseconds process_timeout = kDefaultProcessTimeout;  ///< credential_process
  /// TLS, proxy, timeouts and retries for the network sources: STS, container credentials, IMDS
  /// (the container source caps its timeouts at 2 s; IMDS uses metadata_timeout instead).
  http::ClientOptions http;
  /// The region STS is called in; unset: resolve_region(), and without one the global endpoint.
  std::optional<std::string> region;
  /// The clock for STS signatures and default role session names; unset: the system clock.
  std::function<Clock::time_point()> now;
  /// Connect and total timeout of each IMDS request (botocore's metadata_service_timeout).
  std::chrono::milliseconds metadata_timeout{1000};
  int metadata_attempts = 1;  ///< IMDS attempts in all (botocore's metadata_service_num_attempts)
};

/// Credentials and where they came from.
struct ResolvedCredentials {
  Credentials credentials;  ///< the keys, the secret parts as Secret
  /// "environment", "assume-role (profile P, ROLE_ARN)", "assume-role-with-web-identity (ROLE_ARN)",
  /// "shared-credentials-file (profile P)", "credential_process (profile P)", "config-file (profile P)",
  /// "container-role (URL)", "iam-role (instance metadata, role R)"
  std::string source;
};

/// An environment variable through options.getenv (or the process environment); an empty
/// value counts as unset, as the AWS CLI treats it.
std::optional<std::string> env_value(const CredentialOptions& options, const char* name);

/// The profile the chain reads: explicit, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then
/// "default".
std::string selected_profile(const CredentialOptions& options);

/// AWS_CONFIG_FILE or ~/.aws/config, with `~` expanded from HOME.
std::string config_file_path(const CredentialOptions& options);

/// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, with `~` expanded from HOME.
std::string credentials_file_path(const CredentialOptions& options);

/// Walks the chain (order at the top of this file) and returns the first source that has
/// credentials; temporary ones carry their expiration, for CredentialCache.
/// As in the AWS CLI, an explicit profile skips the environment's keys and web identity variables.
/// Nothing anywhere is kUnauthenticated listing what was tried, in order (IMDS's failure is one of
/// those, never a hard error); an SSO profile or an MFA role is kUnavailable; a named profile found
/// in neither file is kNotFound; a source_profile cycle is kInvalidArgument; STS errors name the call
/// ("STS AssumeRole ARN: AccessDenied: ..."). No error text contains a secret.
Result<ResolvedCredentials> resolve_credentials(const CredentialOptions& options);

/// The region: explicit, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile's
/// `region`; nothing when none is set. Errors only when a shared file cannot be read.
Result<std::optional<std::string>> resolve_region(const CredentialOptions& options,
                                                  std::optional<std::string> explicit_region);

}  // namespace mgate::backend::aws
