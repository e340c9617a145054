#pragma once
// Registry credentials from a docker config file (~/.docker/config.json), `auths` only.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"

namespace mgate::backend::registry {

/// A user name and password for HTTP Basic auth (or for a token endpoint).
struct BasicCredentials {
  std::string username;  ///< may be printed
  Secret password;       ///< never printed
};

/// The `auths` key of Docker Hub, which the docker CLI writes for docker.io logins.
inline constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";

/// The host[:port] a registry or an `auths` key names, lower-cased: the scheme and any path
/// are dropped ("https://ghcr.io/v2/" -> "ghcr.io"), and Docker Hub's aliases (docker.io,
/// registry-1.docker.io) become "index.docker.io", the host of its `auths` key.
std::string normalize_registry_host(std::string_view registry);

/// The credentials for registry (a host[:port] or a URL) in a docker config's JSON text:
/// its `auths` entry, with either `auth` (base64 "user:password") or `username`/`password`.
/// nothing when no entry matches. kInvalidArgument for unreadable JSON, a bad `auth` value,
/// or when the credentials are in a credential helper (`credHelpers`, or `credsStore` with
/// an empty `auths` entry), which this client does not run yet.
Result<std::optional<BasicCredentials>> credentials_from_docker_config(std::string_view json_text,
                                                                       std::string_view registry);

/// As credentials_from_docker_config, reading path; a missing file gives nothing (anonymous),
/// an unreadable one kIo.
Result<std::optional<BasicCredentials>> load_docker_credentials(const std::filesystem::path& path,
                                                                std::string_view registry);

}  // namespace mgate::backend::registry
