#include "backend/aws/credential_chain.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <vector>

#include "backend/core/strings.hpp"

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

/// The STS and SSO sources come in a later slice; saying so beats falling through to keys
/// the user did not mean to use.
std::optional<Error> unsupported_source(const IniSection& profile, const std::string& name) {
  const auto has = [&](const char* key) { return profile.count(key) != 0; };
  if (has("role_arn") || has("web_identity_token_file") || has("credential_source")) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("profile {} assumes a role through STS; not supported yet", name));
  }
  if (has("sso_session") || has("sso_start_url")) {
    return make_error(
        ErrorCode::kUnavailable,
        fmt::format("profile {} signs in through IAM Identity Center (SSO); not supported yet", name));
  }
  return std::nullopt;
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

}  // namespace

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
  // The AWS CLI drops the environment provider when --profile is given.
  const bool explicit_profile = options.profile && !options.profile->empty();
  if (!explicit_profile) {
    if (auto found = from_environment(options, tried)) return std::move(*found);
  }
  if (env(options, "AWS_ROLE_ARN") && env(options, "AWS_WEB_IDENTITY_TOKEN_FILE")) {
    return make_error(ErrorCode::kUnavailable,
                      "AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE assumes a role through "
                      "STS; not supported yet");
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
  const IniSection merged = shared->merged_profile(profile);
  if (auto unsupported = unsupported_source(merged, profile)) return *unsupported;

  tried.push_back(fmt::format("shared credentials file {} (profile {})", credentials_path, profile));
  if (auto found = from_keys(shared->credentials_profile(profile), credentials_path, profile,
                             "shared-credentials-file")) {
    return std::move(*found);
  }
  tried.push_back(fmt::format("credential_process (profile {})", profile));
  if (const auto it = merged.find("credential_process"); it != merged.end() && !it->second.empty()) {
    auto creds = run_credential_process(it->second, fmt::format("credential_process of profile {}", profile),
                                        options.process_timeout);
    if (!creds) return creds.error();
    return ResolvedCredentials{std::move(creds).value(),
                               fmt::format("credential_process (profile {})", profile)};
  }
  tried.push_back(fmt::format("config file {} (profile {})", config_path, profile));
  if (auto found = from_keys(shared->config_profile(profile), config_path, profile, "config-file")) {
    return std::move(*found);
  }
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
