#pragma once
// The AWS CLI's credential chain, in its order, for the sources that need no AWS call:
// environment, shared files (the STS and SSO sources of a profile are reported as
// unsupported, not skipped), credential_process, static keys in the config file.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "backend/aws/credential_process.hpp"
#include "backend/aws/shared_config.hpp"
#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"

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
};

/// Credentials and where they came from.
struct ResolvedCredentials {
  Credentials credentials;  ///< the keys, the secret parts as Secret
  /// "environment", "shared-credentials-file (profile P)", "credential_process (profile P)",
  /// "config-file (profile P)"
  std::string source;
};

/// The profile the chain reads: explicit, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then
/// "default".
std::string selected_profile(const CredentialOptions& options);

/// AWS_CONFIG_FILE or ~/.aws/config, with `~` expanded from HOME.
std::string config_file_path(const CredentialOptions& options);

/// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, with `~` expanded from HOME.
std::string credentials_file_path(const CredentialOptions& options);

/// Walks the chain and returns the first source that has credentials.
/// As in the AWS CLI, an explicit profile skips the environment's keys.
/// Nothing anywhere is kUnauthenticated listing what was tried, in order; a profile that
/// needs STS or SSO is kUnavailable; a named profile found in neither file is kNotFound.
/// No error text contains a secret.
Result<ResolvedCredentials> resolve_credentials(const CredentialOptions& options);

/// The region: explicit, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile's
/// `region`; nothing when none is set. Errors only when a shared file cannot be read.
Result<std::optional<std::string>> resolve_region(const CredentialOptions& options,
                                                  std::optional<std::string> explicit_region);

}  // namespace mgate::backend::aws
