#pragma once
// The Registry an environment's `registry:` section names, with its credentials:
// ECR through the AWS credential chain, an OCI registry through the docker config's `auths`.

#include <filesystem>
#include <memory>
#include <optional>

#include "backend/aws/credential_chain.hpp"
#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/http/client.hpp"
#include "backend/registry/registry.hpp"

namespace mgate::backend::registry {

/// What opening a registry reads besides the configuration.
struct OpenRegistryOptions {
  aws::GetEnv getenv;        ///< environment lookups; empty: the process environment
  http::ClientOptions http;  ///< timeouts, TLS, retries for the registry and for STS
};

/// Opens the environment's registry; nothing is sent yet. ECR credentials are resolved on the
/// first request and refreshed before they expire (CredentialCache); the endpoint is the
/// section's `endpoint:`, else AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL, the profile's, the default.
/// kInvalidArgument when ECR has no region anywhere, or the docker config cannot be used.
Result<std::unique_ptr<Registry>> open_registry(const config::Environment& env,
                                                const OpenRegistryOptions& options = {});

/// The docker config file an OCI registry's credentials come from: `docker_config:`, else
/// $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
std::filesystem::path docker_config_path(const config::RegistryConfig& registry, const aws::GetEnv& getenv);

}  // namespace mgate::backend::registry
