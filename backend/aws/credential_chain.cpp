#include "backend/aws/credential_chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "backend/aws/container_credentials.hpp"
#include "backend/aws/endpoints.hpp"
#include "backend/aws/imds.hpp"
#include "backend/aws/sts_client.hpp"
#include "backend/core/strings.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::aws {
namespace {

/// A variable's value; an empty value counts as unset, as the AWS CLI treats it.
std::optional<std::string> env(const CredentialOptions& options, const char* name) {
  std::optional<std::string> value;
  if (options.getenv) {
    value = options.getenv(name);
  } else if (const char* raw = std::getenv(name)) {  // NOLINT(concurrency-mt-unsafe): read only
    value = std::string(raw);
  }
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string expand_home(const CredentialOptions& options, std::string path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    if (auto home = env(options, "HOME")) return *home + path.substr(1);
  }
  return path;
}

/// Where each step looked, for the error when nothing is found.
using Tried = std::vector<std::string>;

std::optional<Result<ResolvedCredentials>> from_environment(const CredentialOptions& options, Tried& tried) {
  tried.emplace_back("environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
  auto key = env(options, "AWS_ACCESS_KEY_ID");
  auto secret = env(options, "AWS_SECRET_ACCESS_KEY");
  if (!key && !secret) return std::nullopt;
  if (!key || !secret) {
    return Result<ResolvedCredentials>(
        make_error(ErrorCode::kInvalidArgument,
                   fmt::format("partial credentials in the environment: {} is set but {} is not",
                               key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                               key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")));
  }
  Credentials creds{*key, Secret(*secret), {}, std::nullopt};
  // AWS_SECURITY_TOKEN is the boto2-era name botocore still reads.
  auto token = env(options, "AWS_SESSION_TOKEN");
  if (!token) token = env(options, "AWS_SECURITY_TOKEN");
  if (token) creds.session_token = Secret(*token);
  return Result<ResolvedCredentials>(ResolvedCredentials{std::move(creds), "environment"});
}

/// Static keys in one file's section; nothing when the section has none.
std::optional<Result<ResolvedCredentials>> from_keys(const IniSection* section, const std::string& file,
                                                     const std::string& profile, const std::string& source) {
  if (section == nullptr) return std::nullopt;
  const auto value = [&](const char* key) -> std::optional<std::string> {
    const auto it = section->find(key);
    if (it == section->end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  auto key = value("aws_access_key_id");
  auto secret = value("aws_secret_access_key");
  if (!key && !secret) return std::nullopt;
  if (!key || !secret) {
    return Result<ResolvedCredentials>(
        make_error(ErrorCode::kInvalidArgument,
                   fmt::format("partial credentials in {} (profile {}): {} is set but {} is not", file,
                               profile, key ? "aws_access_key_id" : "aws_secret_access_key",
                               key ? "aws_secret_access_key" : "aws_access_key_id")));
  }
  Credentials creds{*key, Secret(*secret), {}, std::nullopt};
  if (auto token = value("aws_session_token")) creds.session_token = Secret(*token);
  return Result<ResolvedCredentials>(
      ResolvedCredentials{std::move(creds), fmt::format("{} (profile {})", source, profile)});
}

/// What one walk of the chain shares: the options, the loaded files, the selected profile.
struct Walk {
  const CredentialOptions& options;
  const SharedConfig& shared;
  std::string config_path;
  std::string credentials_path;
};

std::optional<std::string> value_of(const IniSection& section, const char* key) {
  const auto it = section.find(key);
  if (it == section.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

bool has_static_keys(const IniSection& profile) {
  return profile.count("aws_access_key_id") != 0 || profile.count("aws_secret_access_key") != 0 ||
         profile.count("aws_session_token") != 0;
}

/// botocore's AssumeRoleProvider takes a profile with role_arn unless it is a web identity one.
bool is_role_profile(const IniSection& profile) {
  return value_of(profile, "role_arn").has_value() &&
         !value_of(profile, "web_identity_token_file").has_value();
}

Clock::time_point now_of(const CredentialOptions& options) {
  return options.now ? options.now() : Clock::now();
}

std::string default_session_name(const CredentialOptions& options) {
  // botocore names its sessions "botocore-session-<unix time>"; ours say who made them.
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now_of(options).time_since_epoch());
  return fmt::format("mgate-session-{}", secs.count());
}

/// An STS client for the selected profile's region and endpoint (AWS_ENDPOINT_URL_STS etc.).
Result<StsClient> sts_client(const CredentialOptions& options) {
  std::string region;
  if (options.region && !options.region->empty()) {
    region = *options.region;
  } else {
    auto resolved = resolve_region(options, std::nullopt);
    if (!resolved) return resolved.error();
    region = resolved->value_or("");
  }
  auto endpoint = resolve_endpoint(options, "sts", region, std::nullopt);
  if (!endpoint) return endpoint.error();
  // The global endpoint signs as us-east-1.
  return StsClient(StsOptions{*endpoint, region.empty() ? "us-east-1" : region, options.http, options.now});
}

Result<std::optional<int>> duration_of(const IniSection& profile, const std::string& name) {
  const auto text = value_of(profile, "duration_seconds");
  if (!text) return std::optional<int>{};
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || *end != '\0' || value < 900 || value > 43200) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("duration_seconds of profile {} must be a number of seconds in 900..43200", name));
  }
  return std::optional<int>(static_cast<int>(value));
}

/// The container source; nothing when neither URI variable is set.
std::optional<Result<ResolvedCredentials>> from_container(const CredentialOptions& options) {
  const ContainerSettings settings = container_settings([&](const char* name) { return env(options, name); });
  if (!settings.configured()) return std::nullopt;
  auto creds = fetch_container_credentials(settings, options.http);
  if (!creds) return Result<ResolvedCredentials>(creds.error());
  auto request = container_request(settings);
  const std::string url = request ? http::redact_url(request->url) : std::string("?");
  return Result<ResolvedCredentials>(
      ResolvedCredentials{std::move(creds).value(), fmt::format("container-role ({})", url)});
}

ImdsSettings imds_of(const CredentialOptions& options) {
  ImdsSettings settings = imds_settings([&](const char* name) { return env(options, name); });
  settings.timeout = options.metadata_timeout;
  settings.attempts = options.metadata_attempts;
  return settings;
}

/// The credentials a role profile's `credential_source` names.
Result<Credentials> from_credential_source(const Walk& walk, const std::string& source,
                                           const std::string& profile) {
  const std::string what = fmt::format("credential_source {} of profile {}", source, profile);
  if (source == "Environment") {
    Tried ignored;
    auto found = from_environment(walk.options, ignored);
    if (!found) return make_error(ErrorCode::kUnauthenticated, what + ": no credentials in the environment");
    if (!*found) return found->error();
    return std::move(*found).value().credentials;
  }
  if (source == "EcsContainer") {
    auto found = from_container(walk.options);
    if (!found) {
      return make_error(ErrorCode::kUnauthenticated,
                        what + ": neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set");
    }
    if (!*found) return found->error();
    return std::move(*found).value().credentials;
  }
  if (source == "Ec2InstanceMetadata") {
    auto found = fetch_imds_credentials(imds_of(walk.options), walk.options.http);
    if (!found) return make_error(ErrorCode::kUnauthenticated, what + ": " + found.error().message);
    return std::move(found).value().credentials;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: unknown; use Environment, EcsContainer or Ec2InstanceMetadata", what));
}

std::optional<Result<ResolvedCredentials>> from_profile_sources(const Walk& walk, const std::string& profile,
                                                                bool allow_env, Tried& tried);
Result<Credentials> assume_role_profile(const Walk& walk, const std::string& name,
                                        std::vector<std::string>& visited);

/// The credentials of a role profile's `source_profile`, as botocore resolves them: a profile
/// with keys (or without role_arn) through its own sources, another role profile recursively.
Result<Credentials> from_source_profile(const Walk& walk, const std::string& parent,
                                        const std::string& source, std::vector<std::string>& visited) {
  if (!walk.shared.has_profile(source)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("source_profile {} of profile {} does not exist", source, parent));
  }
  const IniSection profile = walk.shared.merged_profile(source);
  const bool seen = std::find(visited.begin(), visited.end(), source) != visited.end();
  // A profile may name itself, to take its own keys and its role in one place; any other repeat loops.
  if (seen && (source != parent || !has_static_keys(profile))) {
    visited.push_back(source);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("source_profile cycle: {}", join(visited, " -> ")));
  }
  visited.push_back(source);
  if (has_static_keys(profile) || !is_role_profile(profile)) {
    Tried tried;
    auto found = from_profile_sources(walk, source, false, tried);
    if (!found) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("source_profile {} of profile {} has no credentials; tried: {}", source,
                                    parent, join(tried, ", ")));
    }
    if (!*found) return found->error();
    return std::move(*found).value().credentials;
  }
  return assume_role_profile(walk, source, visited);
}

/// AssumeRole for the role profile `name`, with the credentials of its source.
Result<Credentials> assume_role_profile(const Walk& walk, const std::string& name,
                                        std::vector<std::string>& visited) {
  const IniSection profile = walk.shared.merged_profile(name);
  const std::string role_arn = value_of(profile, "role_arn").value_or("");
  const auto source_profile = value_of(profile, "source_profile");
  const auto credential_source = value_of(profile, "credential_source");
  if (auto mfa = value_of(profile, "mfa_serial")) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("profile {} assumes {} with an MFA code (mfa_serial {}); not supported",
                                  name, role_arn, *mfa));
  }
  if (source_profile && credential_source) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("profile {} sets both source_profile and credential_source", name));
  }
  if (!source_profile && !credential_source) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("profile {} has role_arn but neither source_profile nor credential_source", name));
  }
  auto duration = duration_of(profile, name);
  if (!duration) return duration.error();
  auto source = credential_source ? from_credential_source(walk, *credential_source, name)
                                  : from_source_profile(walk, name, *source_profile, visited);
  if (!source) return source.error();
  auto sts = sts_client(walk.options);
  if (!sts) return sts.error();
  AssumeRoleRequest request{
      role_arn, value_of(profile, "role_session_name").value_or(default_session_name(walk.options)),
      value_of(profile, "external_id"), *duration, std::nullopt};
  return sts->assume_role(request, *source);
}

/// Web identity: each setting from its variable (unless the profile is explicit), else the profile.
std::optional<Result<ResolvedCredentials>> from_web_identity(const Walk& walk, const IniSection& profile,
                                                             const std::string& name, bool allow_env,
                                                             Tried& tried) {
  const auto setting = [&](const char* key, const char* variable) -> std::optional<std::string> {
    if (allow_env) {
      if (auto v = env(walk.options, variable)) return v;
    }
    return value_of(profile, key);
  };
  tried.push_back(fmt::format("web identity ({}web_identity_token_file of profile {})",
                              allow_env ? "AWS_WEB_IDENTITY_TOKEN_FILE, " : "", name));
  const auto token_file = setting("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!token_file) return std::nullopt;
  const auto role_arn = setting("role_arn", "AWS_ROLE_ARN");
  if (!role_arn) {
    return Result<ResolvedCredentials>(
        make_error(ErrorCode::kInvalidArgument,
                   "a web identity token file is set but no role (AWS_ROLE_ARN or role_arn)"));
  }
  auto token = read_web_identity_token(expand_home(walk.options, *token_file));
  if (!token) return Result<ResolvedCredentials>(token.error());
  auto sts = sts_client(walk.options);
  if (!sts) return Result<ResolvedCredentials>(sts.error());
  WebIdentityRequest request{
      *role_arn,
      setting("role_session_name", "AWS_ROLE_SESSION_NAME").value_or(default_session_name(walk.options)),
      std::move(token).value(), std::nullopt};
  auto creds = sts->assume_role_with_web_identity(request);
  if (!creds) return Result<ResolvedCredentials>(creds.error());
  return Result<ResolvedCredentials>(ResolvedCredentials{
      std::move(creds).value(), fmt::format("assume-role-with-web-identity ({})", *role_arn)});
}

/// botocore's profile providers, in order: web identity, SSO, the credentials file,
/// credential_process, the config file's keys. Nothing when none of them has credentials.
std::optional<Result<ResolvedCredentials>> from_profile_sources(const Walk& walk, const std::string& profile,
                                                                bool allow_env, Tried& tried) {
  const IniSection merged = walk.shared.merged_profile(profile);
  if (auto found = from_web_identity(walk, merged, profile, allow_env, tried)) return found;
  if (value_of(merged, "sso_session") || value_of(merged, "sso_start_url")) {
    // Refused rather than skipped: falling through to keys the user did not mean to use is worse.
    return Result<ResolvedCredentials>(make_error(
        ErrorCode::kUnavailable,
        fmt::format("profile {} signs in through IAM Identity Center (SSO); not supported yet", profile)));
  }
  tried.push_back(fmt::format("shared credentials file {} (profile {})", walk.credentials_path, profile));
  if (auto found = from_keys(walk.shared.credentials_profile(profile), walk.credentials_path, profile,
                             "shared-credentials-file")) {
    return found;
  }
  tried.push_back(fmt::format("credential_process (profile {})", profile));
  if (auto command = value_of(merged, "credential_process")) {
    auto creds = run_credential_process(*command, fmt::format("credential_process of profile {}", profile),
                                        walk.options.process_timeout);
    if (!creds) return Result<ResolvedCredentials>(creds.error());
    return Result<ResolvedCredentials>(ResolvedCredentials{
        std::move(creds).value(), fmt::format("credential_process (profile {})", profile)});
  }
  tried.push_back(fmt::format("config file {} (profile {})", walk.config_path, profile));
  return from_keys(walk.shared.config_profile(profile), walk.config_path, profile, "config-file");
}
}  // namespace

std::optional<std::string> env_value(const CredentialOptions& options, const char* name) {
  return env(options, name);
}

std::string selected_profile(const CredentialOptions& options) {
  if (options.profile && !options.profile->empty()) return *options.profile;
  if (auto p = env(options, "AWS_PROFILE")) return *p;
  if (auto p = env(options, "AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

std::string config_file_path(const CredentialOptions& options) {
  if (options.config_file) return expand_home(options, *options.config_file);
  return expand_home(options, env(options, "AWS_CONFIG_FILE").value_or("~/.aws/config"));
}

std::string credentials_file_path(const CredentialOptions& options) {
  if (options.credentials_file) return expand_home(options, *options.credentials_file);
  return expand_home(options, env(options, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
}

Result<ResolvedCredentials> resolve_credentials(const CredentialOptions& options) {
  Tried tried;
  // The AWS CLI drops the environment provider (and the web identity variables) when --profile is given.
  const bool explicit_profile = options.profile && !options.profile->empty();
  if (!explicit_profile) {
    if (auto found = from_environment(options, tried)) return std::move(*found);
  }
  const std::string profile = selected_profile(options);
  const std::string config_path = config_file_path(options);
  const std::string credentials_path = credentials_file_path(options);
  auto shared = load_shared_config(config_path, credentials_path);
  if (!shared) return shared.error();
  if (profile != "default" && !shared->has_profile(profile)) {
    return make_error(ErrorCode::kNotFound, fmt::format("AWS profile {} is in neither {} nor {}", profile,
                                                        config_path, credentials_path));
  }
  const Walk walk{options, *shared, config_path, credentials_path};
  const IniSection merged = shared->merged_profile(profile);

  tried.push_back(fmt::format("assume-role (role_arn of profile {})", profile));
  if (is_role_profile(merged)) {
    std::vector<std::string> visited{profile};
    auto creds = assume_role_profile(walk, profile, visited);
    if (!creds) return creds.error();
    return ResolvedCredentials{std::move(creds).value(), fmt::format("assume-role (profile {}, {})", profile,
                                                                     *value_of(merged, "role_arn"))};
  }
  if (auto found = from_profile_sources(walk, profile, !explicit_profile, tried)) return std::move(*found);

  tried.emplace_back("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI)");
  if (auto found = from_container(options)) return std::move(*found);

  // IMDS is last and optional: on a laptop it is simply absent, which is "not found", not a failure.
  auto imds = fetch_imds_credentials(imds_of(options), options.http);
  if (imds) {
    return ResolvedCredentials{std::move(imds->credentials),
                               fmt::format("iam-role (instance metadata, role {})", imds->role)};
  }
  tried.push_back(fmt::format("EC2 instance metadata ({})", imds.error().message));
  return make_error(ErrorCode::kUnauthenticated,
                    fmt::format("no AWS credentials found; tried: {}", join(tried, ", ")));
}

Result<std::optional<std::string>> resolve_region(const CredentialOptions& options,
                                                  std::optional<std::string> explicit_region) {
  if (explicit_region && !explicit_region->empty()) return explicit_region;
  if (auto r = env(options, "AWS_REGION")) return r;
  if (auto r = env(options, "AWS_DEFAULT_REGION")) return r;
  auto shared = load_shared_config(config_file_path(options), credentials_file_path(options));
  if (!shared) return shared.error();
  const IniSection merged = shared->merged_profile(selected_profile(options));
  const auto it = merged.find("region");
  if (it == merged.end() || it->second.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(it->second);
}

}  // namespace mgate::backend::aws
