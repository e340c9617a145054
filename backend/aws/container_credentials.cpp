#include "backend/aws/container_credentials.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/aws/credential_process.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::aws {
namespace {

/// The link-local agents botocore accepts over plain http, besides loopback addresses.
constexpr std::array<std::string_view, 3> kAllowedHosts{"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"};

/// The source's timeouts, as botocore's ContainerMetadataFetcher: 2 s, 3 attempts.
constexpr std::chrono::milliseconds kContainerTimeout{2000};

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8: four dotted numbers, the first 127.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (const char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

Error fetch_error(ErrorCode code, const std::string& url, std::string_view why, std::string detail = {}) {
  return make_error(code, fmt::format("container credentials from {}: {}", http::redact_url(url), why),
                    std::move(detail));
}

}  // namespace

ContainerSettings container_settings(const std::function<std::optional<std::string>(const char*)>& getenv) {
  const auto get = [&](const char* name) -> std::optional<std::string> {
    auto value = getenv(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  return ContainerSettings{
      get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), get("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
      get("AWS_CONTAINER_AUTHORIZATION_TOKEN"), get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")};
}

Result<ContainerRequest> container_request(const ContainerSettings& settings) {
  ContainerRequest request;
  if (settings.relative_uri) {
    const std::string& uri = *settings.relative_uri;
    request.url = std::string(kEcsCredentialsHost) + (uri.rfind('/', 0) == 0 ? "" : "/") + uri;
  } else if (settings.full_uri) {
    auto url = http::parse_url(*settings.full_uri);
    if (!url) {
      return make_error(ErrorCode::kInvalidArgument,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: " + url.error().message);
    }
    const bool allowed =
        url->scheme == "https" || is_loopback(url->host) ||
        std::find(kAllowedHosts.begin(), kAllowedHosts.end(), url->host) != kAllowedHosts.end();
    if (url->scheme != "http" && url->scheme != "https") {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI: unsupported scheme {}", url->scheme));
    }
    if (!allowed) {
      // Plain http to an arbitrary host would hand the authorization token to whoever answers.
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI: host {} is not allowed over http; use "
                      "a loopback address, 169.254.170.2, 169.254.170.23, [fd00:ec2::23] or https",
                      url->host));
    }
    request.url = *settings.full_uri;
  } else {
    return make_error(
        ErrorCode::kNotFound,
        "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
  }
  std::optional<std::string> token;
  if (settings.authorization_token_file) {
    // EKS Pod Identity rotates the token in this file: read it on every fetch.
    std::ifstream in(*settings.authorization_token_file, std::ios::binary);
    if (!in) {
      return make_error(ErrorCode::kIo, fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}",
                                                    *settings.authorization_token_file));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    token = buffer.str();
    while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) token->pop_back();
  } else if (settings.authorization_token) {
    token = *settings.authorization_token;
  }
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the container authorization token contains a line break");
    }
    if (!token->empty()) request.authorization = Secret(std::move(*token));
  }
  return request;
}

Result<Credentials> parse_json_credentials(std::string_view json_text, const std::string& source) {
  const auto fail = [&](std::string_view why) {
    return make_error(ErrorCode::kProtocol, fmt::format("{}: {}", source, why));
  };
  // nlohmann's messages quote the input near the fault: never show them, the input is secret.
  const auto json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail("the answer is not a JSON object");
  }
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
    return it->get<std::string>();
  };
  for (const char* key : {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}) {
    if (!text(key)) return fail(fmt::format("the answer has no string {}", key));
  }
  auto when = parse_rfc3339(*text("Expiration"));
  if (!when) return fail("Expiration is not an ISO 8601 time");
  return Credentials{*text("AccessKeyId"), Secret(*text("SecretAccessKey")), Secret(*text("Token")), *when};
}

Result<Credentials> fetch_container_credentials(const ContainerSettings& settings,
                                                const http::ClientOptions& http_options) {
  auto target = container_request(settings);
  if (!target) return target.error();
  http::ClientOptions options = http_options;
  options.connect_timeout = std::min(options.connect_timeout, kContainerTimeout);
  options.timeout = std::min(options.timeout, kContainerTimeout);
  http::Client client(std::move(options));
  http::Request request{.method = "GET", .url = target->url};
  request.add_header("Accept", "application/json");
  if (target->authorization) request.add_secret_header("Authorization", *target->authorization);
  auto response = client.send(request);
  if (!response) {
    const Error& e = response.error();
    return fetch_error(e.code, target->url, e.message, e.detail);
  }
  if (!response->ok()) {
    // The agent's error body is a short JSON message ({"code","message"}); it holds no credential.
    return fetch_error(response->status == 401 || response->status == 403 ? ErrorCode::kUnauthenticated
                                                                          : ErrorCode::kUnavailable,
                       target->url, fmt::format("HTTP {}", response->status), response->body.substr(0, 300));
  }
  return parse_json_credentials(response->body,
                                fmt::format("container credentials from {}", http::redact_url(target->url)));
}

}  // namespace mgate::backend::aws
