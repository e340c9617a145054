#include "backend/aws/imds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "backend/aws/container_credentials.hpp"
#include "backend/core/strings.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::aws {
namespace {

constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kRolesPath = "/latest/meta-data/iam/security-credentials/";

std::string imds_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

ImdsSettings imds_settings(const std::function<std::optional<std::string>(const char*)>& getenv) {
  ImdsSettings settings;
  if (auto endpoint = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); endpoint && !endpoint->empty()) {
    settings.endpoint = *endpoint;
  }
  if (auto disabled = getenv("AWS_EC2_METADATA_DISABLED")) settings.disabled = imds_lower(*disabled) == "true";
  return settings;
}

Result<ImdsCredentials> fetch_imds_credentials(const ImdsSettings& settings,
                                               const http::ClientOptions& http_options) {
  std::string base = settings.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string where = fmt::format("IMDS at {}", http::redact_url(base));
  const auto not_found = [&](std::string_view why, std::string detail = {}) {
    return make_error(ErrorCode::kNotFound, fmt::format("{}: {}", where, why), std::move(detail));
  };
  if (settings.disabled) {
    return make_error(ErrorCode::kNotFound, "IMDS disabled by AWS_EC2_METADATA_DISABLED");
  }
  http::ClientOptions options = http_options;
  options.connect_timeout = settings.timeout;
  options.timeout = settings.timeout;
  options.retry.max_attempts = std::max(settings.attempts, 1);
  http::Client client(std::move(options));

  http::Request token_request{.method = "PUT", .url = base + kTokenPath};
  token_request.add_header("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kImdsTokenTtlSeconds));
  auto token_response = client.send(token_request);
  if (!token_response) return not_found(fmt::format("unreachable: {}", token_response.error().message));
  if (!token_response->ok()) {
    return not_found(fmt::format("no session token (PUT {}: HTTP {})", kTokenPath, token_response->status));
  }
  const Secret token(std::string(trim(token_response->body)));
  if (token.empty()) return not_found("an empty session token");

  const auto get = [&](const std::string& path) {
    http::Request request{.method = "GET", .url = base + path};
    request.add_secret_header("X-aws-ec2-metadata-token", token);
    return client.send(request);
  };
  auto roles = get(kRolesPath);
  if (!roles) return not_found(fmt::format("unreachable: {}", roles.error().message));
  if (roles->status == 404) return not_found("no instance profile role");
  if (!roles->ok()) return not_found(fmt::format("listing roles: HTTP {}", roles->status));
  // One role per line; an instance profile holds exactly one role, botocore takes the first line.
  const std::string role(trim(split(roles->body, '\n').empty() ? "" : split(roles->body, '\n').front()));
  if (role.empty()) return not_found("no instance profile role");

  auto answer = get(kRolesPath + role);
  if (!answer) return not_found(fmt::format("unreachable: {}", answer.error().message));
  if (!answer->ok()) return not_found(fmt::format("credentials of role {}: HTTP {}", role, answer->status));
  const auto json = nlohmann::json::parse(answer->body, nullptr, false);
  if (json.is_object() && json.contains("Code") && json["Code"].is_string() && json["Code"] != "Success") {
    return not_found(fmt::format("credentials of role {}: Code {}", role, json["Code"].get<std::string>()));
  }
  auto credentials = parse_json_credentials(answer->body, fmt::format("{} role {}", where, role));
  if (!credentials) return credentials.error();
  return ImdsCredentials{std::move(credentials).value(), role};
}

}  // namespace mgate::backend::aws
