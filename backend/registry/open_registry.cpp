#include "backend/registry/open_registry.hpp"

#include <fmt/format.h>

#include "backend/aws/credential_cache.hpp"
#include "backend/aws/endpoints.hpp"
#include "backend/registry/docker_config.hpp"
#include "backend/registry/ecr_registry.hpp"
#include "backend/registry/oci_registry.hpp"

namespace mgate::backend::registry {
namespace {

Result<std::unique_ptr<Registry>> open_ecr(const config::Environment& env, const OpenRegistryOptions& options) {
  const config::RegistryConfig& section = env.registry;
  aws::CredentialOptions creds;
  creds.profile = section.profile;
  creds.getenv = options.getenv;
  creds.http = options.http;
  auto region = aws::resolve_region(creds, section.region);
  if (!region) return region.error();
  if (!region->has_value()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("environment {}: ECR needs a region: set registry.region, AWS_REGION, or "
                                  "the AWS profile's region",
                                  env.name));
  }
  creds.region = **region;
  auto endpoint = aws::resolve_endpoint(creds, "ecr", **region, section.endpoint);
  if (!endpoint) return endpoint.error();

  auto cache = std::make_shared<aws::CredentialCache>([creds] { return aws::resolve_credentials(creds); });
  aws::EcrOptions ecr;
  ecr.region = **region;
  ecr.endpoint = *endpoint;
  ecr.registry_id = section.registry_id;
  ecr.http = options.http;
  ecr.credentials_provider = [cache]() -> Result<aws::Credentials> {
    auto resolved = cache->get();
    if (!resolved) return resolved.error();
    return resolved->credentials;
  };
  return std::unique_ptr<Registry>(std::make_unique<EcrRegistry>(std::move(ecr), section.repository));
}

Result<std::unique_ptr<Registry>> open_oci(const config::Environment& env, const OpenRegistryOptions& options) {
  const config::RegistryConfig& section = env.registry;
  if (!section.url) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("environment {}: an oci registry needs registry.url", env.name));
  }
  OciOptions oci;
  oci.base_url = *section.url;
  oci.repository = section.repository;
  oci.http = options.http;
  auto basic = load_docker_credentials(docker_config_path(section, options.getenv), *section.url);
  if (!basic) return basic.error();
  oci.credentials = std::move(*basic);
  return std::unique_ptr<Registry>(std::make_unique<OciRegistry>(std::move(oci)));
}

std::optional<std::string> lookup(const aws::GetEnv& getenv, const char* name) {
  if (getenv) return getenv(name);
  const char* raw = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read only
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  return std::string(raw);
}

}  // namespace

std::filesystem::path docker_config_path(const config::RegistryConfig& registry, const aws::GetEnv& getenv) {
  if (registry.docker_config) return *registry.docker_config;
  if (auto dir = lookup(getenv, "DOCKER_CONFIG")) return std::filesystem::path(*dir) / "config.json";
  return std::filesystem::path(lookup(getenv, "HOME").value_or("")) / ".docker" / "config.json";
}

Result<std::unique_ptr<Registry>> open_registry(const config::Environment& env, const OpenRegistryOptions& options) {
  switch (env.registry.type) {
    case config::RegistryConfig::Type::kEcr:
      return open_ecr(env, options);
    case config::RegistryConfig::Type::kOci:
      return open_oci(env, options);
  }
  return make_error(ErrorCode::kInternal, "unknown registry type");
}

}  // namespace mgate::backend::registry
