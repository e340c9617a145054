#include "backend/aws/endpoints.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "backend/aws/shared_config.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::aws {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// The service id as AWS_ENDPOINT_URL_<SERVICE> spells it: upper case, spaces and dashes as '_'.
std::string env_suffix(std::string_view service) {
  std::string out(service);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == ' ' || c == '-' ? '_' : static_cast<char>(std::toupper(c));
  });
  return out;
}

Result<std::string> checked(std::string value, std::string_view from) {
  const std::string scheme = lower(value.substr(0, value.find("://")));
  if (value.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is not an http(s) URL", from));
  }
  return value;
}

/// `endpoint_url` inside a nested block ("\nendpoint_url = http://x\nother = y"), as the ini
/// reader keeps the indented lines under `ecr =`.
std::optional<std::string> nested_endpoint(const std::string& block) {
  for (const std::string& line : split(block, '\n')) {
    const std::size_t delim = line.find_first_of("=:");
    if (delim == std::string::npos) continue;
    if (lower(trim(std::string_view(line).substr(0, delim))) != "endpoint_url") continue;
    std::string value(trim(std::string_view(line).substr(delim + 1)));
    if (!value.empty()) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string default_endpoint(std::string_view service, std::string_view region) {
  const bool china = region.rfind("cn-", 0) == 0;
  const char* suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  if (service == "ecr") return fmt::format("https://api.ecr.{}.{}", region, suffix);
  if (region.empty()) return fmt::format("https://{}.{}", service, suffix);  // STS's global endpoint
  return fmt::format("https://{}.{}.{}", service, region, suffix);
}

Result<std::string> resolve_endpoint(const CredentialOptions& options, std::string_view service,
                                     std::string_view region,
                                     const std::optional<std::string>& explicit_endpoint) {
  if (explicit_endpoint && !explicit_endpoint->empty())
    return checked(*explicit_endpoint, "the explicit endpoint");

  const std::string config_path = config_file_path(options);
  auto shared = load_shared_config(config_path, credentials_file_path(options));
  if (!shared) return shared.error();
  const std::string profile_name = selected_profile(options);
  const IniSection profile = shared->merged_profile(profile_name);
  const auto profile_value = [&](const char* key) -> std::optional<std::string> {
    const auto it = profile.find(key);
    if (it == profile.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };

  // The variable, when set, decides alone; the profile's setting applies only without it.
  bool ignore = lower(profile_value("ignore_configured_endpoint_urls").value_or("")) == "true";
  if (auto flag = env_value(options, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ignore = lower(*flag) == "true";

  if (!ignore) {
    const std::string specific = "AWS_ENDPOINT_URL_" + env_suffix(service);
    if (auto url = env_value(options, specific.c_str())) return checked(*url, specific);
    if (auto url = env_value(options, "AWS_ENDPOINT_URL")) return checked(*url, "AWS_ENDPOINT_URL");
    if (auto services = profile_value("services"); services && shared->config) {
      const auto section = shared->config->sections.find("services " + *services);
      if (section != shared->config->sections.end()) {
        const auto block = section->second.find(lower(service));
        if (block != section->second.end()) {
          if (auto url = nested_endpoint(block->second)) {
            return checked(*url, fmt::format("endpoint_url of {} in [services {}] of {}", service, *services,
                                             config_path));
          }
        }
      }
    }
    if (auto url = profile_value("endpoint_url")) {
      return checked(*url, fmt::format("endpoint_url of profile {}", profile_name));
    }
  }
  if (service == "ecr" && region.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no region for the ECR endpoint; set AWS_REGION or a profile region");
  }
  return default_endpoint(service, region);
}

}  // namespace mgate::backend::aws
