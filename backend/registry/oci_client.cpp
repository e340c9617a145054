#include "backend/registry/oci_client.hpp"

#include "backend/core/base64.hpp"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "backend/core/strings.hpp"
#include "backend/http/url.hpp"
#include "backend/registry/challenge.hpp"
#include "backend/registry/digest.hpp"
#include "backend/registry/link_header.hpp"

namespace mgate::backend::registry {
namespace {

// A registry error body is {"errors":[{"code":"MANIFEST_UNKNOWN","message":"...","detail":...}]}.
std::string first_registry_error(const std::string& body) {
  try {
    const nlohmann::json json = nlohmann::json::parse(body);
    const auto errors = json.find("errors");
    if (errors == json.end() || !errors->is_array() || errors->empty()) return {};
    const nlohmann::json& first = errors->front();
    std::string out = first.value("code", std::string());
    const std::string message = first.value("message", std::string());
    if (!message.empty()) out += (out.empty() ? "" : " ") + message;
    return out;
  } catch (const nlohmann::json::exception&) {
    return {};  // not JSON (a proxy's HTML page): the body stays in the detail
  }
}

ErrorCode code_for_status(long status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 429:
      return ErrorCode::kUnavailable;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kProtocol;
  }
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

// Content-Type may carry parameters ("; charset=utf-8") that are not part of the media type.
std::string media_type_of(const http::Response& response) {
  const std::string type = response.header("Content-Type").value_or("");
  return std::string(trim(std::string_view(type).substr(0, type.find(';'))));
}

Error digest_mismatch(const std::string& call, const std::string& expected, const std::string& computed,
                      std::string_view source) {
  return make_error(ErrorCode::kProtocol,
                    fmt::format("{}: digest mismatch: {} says {} but the bytes hash to {}", call, source,
                                expected, computed));
}

// "Basic base64(user:password)": the whole value is a credential.
Secret basic_authorization(const BasicCredentials& creds) {
  return Secret("Basic " + base64_encode(creds.username + ":" + creds.password.reveal()));
}

}  // namespace

std::string manifest_accept_header() {
  return fmt::format("{}, {}, {}, {}", kOciIndex, kOciManifest, kDockerManifestList, kDockerManifestV2);
}

std::string describe_call(const http::Request& request) {
  const auto url = http::parse_url(request.url);
  return fmt::format("{} {}", request.method, url.ok() ? url->path : http::redact_url(request.url));
}

Error registry_error(const std::string& call, const http::Response& response) {
  const std::string registry = first_registry_error(response.body);
  std::string message = fmt::format("{}: {}", call, response.status);
  if (!registry.empty()) message += " " + registry;
  const bool retryable = response.status == 429 || response.status >= 500;
  return make_error(code_for_status(response.status), std::move(message), response.body, retryable);
}

OciClient::OciClient(OciOptions options) : options_(std::move(options)), client_(options_.http) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
}

std::string OciClient::repo_url(std::string_view suffix) const {
  return fmt::format("{}/v2/{}/{}", options_.base_url, options_.repository, suffix);
}

void OciClient::authorize(http::Request& request, const std::string& scope) const {
  if (const auto token = tokens_.find(scope); token != tokens_.end()) {
    request.set_bearer(token->second);
  } else if (use_basic_ && options_.credentials) {
    request.add_secret_header("Authorization", basic_authorization(*options_.credentials));
  }
}

Result<http::Response> OciClient::send(const http::Request& request, const std::string& scope,
                                       const std::stop_token& stop) {
  http::Request first = request;
  authorize(first, scope);
  auto response = client_.send(first, stop);
  if (!response.ok() || response->status != 401) return response;
  auto answered = answer_challenge(*response, scope, stop);
  if (!answered.ok()) return answered.error();
  if (!*answered) return response;  // the caller reports the 401 with its own call name
  http::Request second = request;
  authorize(second, scope);
  return client_.send(second, stop);
}

Result<bool> OciClient::answer_challenge(const http::Response& response, const std::string& scope,
                                         const std::stop_token& stop) {
  const std::vector<std::string> values = response.header_all("WWW-Authenticate");
  if (const auto bearer = find_challenge(values, "bearer")) {
    const std::string realm = bearer->param("realm");
    if (realm.empty()) return false;
    // The challenge's scope is what the registry wants for this request (it may add actions);
    // without one, ask for the scope we know the request needs.
    const std::string wanted = bearer->param("scope").empty() ? scope : bearer->param("scope");
    const Status fetched = fetch_token(realm, bearer->param("service"), wanted, scope, stop);
    if (!fetched.ok()) return fetched.error();
    return true;
  }
  if (find_challenge(values, "basic") && options_.credentials && !use_basic_) {
    use_basic_ = true;
    return true;
  }
  return false;
}

Status OciClient::fetch_token(const std::string& realm, const std::string& service,
                              const std::string& token_scope, const std::string& scope,
                              const std::stop_token& stop) {
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (!service.empty()) {
    url += fmt::format("{}service={}", sep, percent_encode(service));
    sep = '&';
  }
  if (!token_scope.empty()) url += fmt::format("{}scope={}", sep, percent_encode(token_scope));
  http::Request request{.method = "GET", .url = url};
  if (options_.credentials) {
    request.add_secret_header("Authorization", basic_authorization(*options_.credentials));
  }
  const std::string call = "token " + describe_call(request);
  auto response = client_.send(request, stop);
  if (!response.ok()) return response.error();
  if (!response->ok()) return registry_error(call, *response);
  try {
    const nlohmann::json json = nlohmann::json::parse(response->body);
    // Docker's token spec names it `token`; OAuth2-style servers (some Harbor and GHCR
    // paths) answer `access_token`. Either will do.
    std::string token = json.value("token", std::string());
    if (token.empty()) token = json.value("access_token", std::string());
    if (token.empty()) {
      return make_error(ErrorCode::kProtocol, call + ": the answer has neither `token` nor `access_token`");
    }
    tokens_[scope] = Secret(std::move(token));
    return ok_status();
  } catch (const nlohmann::json::exception& e) {
    // The body is a token: it must not reach the error's detail.
    return make_error(ErrorCode::kProtocol, call + ": the answer is not a JSON object", e.what());
  }
}

Result<std::vector<std::string>> OciClient::list_tags(int page_size, const std::stop_token& stop) {
  const std::string scope = fmt::format("repository:{}:pull", options_.repository);
  std::string url = repo_url(fmt::format("tags/list?n={}", page_size));
  std::vector<std::string> tags;
  std::set<std::string> visited;  // a registry that links a page to itself must not loop us
  while (visited.insert(url).second) {
    const http::Request request{.method = "GET", .url = url};
    const std::string call = describe_call(request);
    auto response = send(request, scope, stop);
    if (!response.ok()) return response.error();
    if (response->status != 200) return registry_error(call, *response);
    try {
      const nlohmann::json json = nlohmann::json::parse(response->body);
      // docker-registry answers `"tags": null` for a repository whose tags were all deleted.
      const auto page = json.find("tags");
      if (page != json.end() && !page->is_null()) {
        for (const auto& tag : *page) tags.push_back(tag.get<std::string>());
      }
    } catch (const nlohmann::json::exception& e) {
      return make_error(ErrorCode::kProtocol, call + ": the tag list is not readable",
                        fmt::format("{}: {}", e.what(), response->body));
    }
    const auto next = find_link(response->header_all("Link"), "next");
    if (!next) return tags;
    auto resolved = http::resolve_url(url, *next);
    if (!resolved.ok()) {
      return make_error(ErrorCode::kProtocol, call + ": unusable Link header", *next);
    }
    url = std::move(resolved.value());
  }
  return make_error(ErrorCode::kProtocol,
                    fmt::format("GET /v2/{}/tags/list: the next page links back to a page "
                                "already read",
                                options_.repository));
}

Result<http::Response> OciClient::request_manifest(const std::string& method, const std::string& reference,
                                                   const std::stop_token& stop) {
  http::Request request{.method = method, .url = repo_url("manifests/" + reference)};
  request.add_header("Accept", manifest_accept_header());
  return send(request, fmt::format("repository:{}:pull", options_.repository), stop);
}

Result<Manifest> OciClient::get_manifest(const std::string& reference, const std::stop_token& stop) {
  const std::string call = fmt::format("GET /v2/{}/manifests/{}", options_.repository, reference);
  auto response = request_manifest("GET", reference, stop);
  if (!response.ok()) return response.error();
  if (response->status != 200) return registry_error(call, *response);
  Manifest manifest{media_type_of(*response), sha256_digest(response->body), std::move(response->body)};
  // The check that makes "exact bytes" true: what we hash is what a later PUT will send.
  const auto served = response->header("Docker-Content-Digest");
  if (served && is_sha256_digest(*served) && *served != manifest.digest) {
    return digest_mismatch(call, *served, manifest.digest, "Docker-Content-Digest");
  }
  if (is_digest_reference(reference) && reference != manifest.digest) {
    return digest_mismatch(call, reference, manifest.digest, "the reference");
  }
  return manifest;
}

Result<std::optional<Manifest>> OciClient::head_manifest(const std::string& reference,
                                                         const std::stop_token& stop) {
  const std::string call = fmt::format("HEAD /v2/{}/manifests/{}", options_.repository, reference);
  auto response = request_manifest("HEAD", reference, stop);
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<Manifest>();
  if (response->status != 200) return registry_error(call, *response);
  const auto digest = response->header("Docker-Content-Digest");
  if (!digest || digest->empty()) {
    return make_error(ErrorCode::kProtocol, call + ": no Docker-Content-Digest header");
  }
  return std::optional<Manifest>(Manifest{media_type_of(*response), *digest, {}});
}

Result<std::string> OciClient::put_manifest(const std::string& tag, const Manifest& manifest,
                                            const std::stop_token& stop) {
  const std::string call = fmt::format("PUT /v2/{}/manifests/{}", options_.repository, tag);
  http::Request request{.method = "PUT", .url = repo_url("manifests/" + tag), .body = manifest.bytes};
  request.add_header("Content-Type", manifest.media_type);
  auto response = send(request, fmt::format("repository:{}:pull,push", options_.repository), stop);
  if (!response.ok()) return response.error();
  if (response->status != 201 && response->status != 200) {
    return registry_error(call, *response);
  }
  const std::string computed = sha256_digest(manifest.bytes);
  const std::string served = response->header("Docker-Content-Digest").value_or(computed);
  if (is_sha256_digest(served) && served != computed) {
    return digest_mismatch(call, served, computed, "Docker-Content-Digest");
  }
  return served;
}

Result<std::string> OciClient::get_blob(const std::string& digest, const std::stop_token& stop) {
  const std::string call = fmt::format("GET /v2/{}/blobs/{}", options_.repository, digest);
  const std::string url = repo_url("blobs/" + digest);
  auto response = send(http::Request{.method = "GET", .url = url},
                       fmt::format("repository:{}:pull", options_.repository), stop);
  if (!response.ok()) return response.error();
  // Registries on object storage redirect blob reads to a presigned URL, which must be fetched
  // without our Authorization header (S3 rejects a second credential).
  const auto location = response->header("Location");
  if (response->status >= 300 && response->status < 400 && location) {
    auto target = http::resolve_url(url, *location);
    if (!target.ok()) return make_error(ErrorCode::kProtocol, call + ": unusable redirect");
    response = client_.send(http::Request{.method = "GET", .url = *target}, stop);
    if (!response.ok()) return response.error();
  }
  if (response->status != 200) return registry_error(call, *response);
  if (is_sha256_digest(digest) && sha256_digest(response->body) != digest) {
    return digest_mismatch(call, digest, sha256_digest(response->body), "the reference");
  }
  return std::move(response->body);
}

}  // namespace mgate::backend::registry
