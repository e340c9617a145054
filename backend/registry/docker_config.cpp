#include "backend/registry/docker_config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/core/base64.hpp"

namespace mgate::backend::registry {
namespace {

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An `auths` entry turned into credentials. The message names the entry, never its values.
Result<std::optional<BasicCredentials>> entry_credentials(const nlohmann::json& entry, const std::string& key,
                                                          bool has_store) {
  const std::string auth = string_field(entry, "auth");
  if (!auth.empty()) {
    const std::optional<std::string> decoded = base64_decode(auth);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("docker config: auths[\"{}\"].auth is not base64 of "
                                    "\"user:password\"",
                                    key));
    }
    return std::optional<BasicCredentials>(
        BasicCredentials{decoded->substr(0, colon), Secret(decoded->substr(colon + 1))});
  }
  const std::string username = string_field(entry, "username");
  if (!username.empty()) {
    return std::optional<BasicCredentials>(
        BasicCredentials{username, Secret(string_field(entry, "password"))});
  }
  if (has_store) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("docker config: the credentials for \"{}\" are in a credsStore "
                                  "helper, which is not supported yet",
                                  key));
  }
  return std::optional<BasicCredentials>();
}

}  // namespace

std::string normalize_registry_host(std::string_view registry) {
  std::string_view rest = registry;
  if (const std::size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest = rest.substr(scheme + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  std::string host(rest);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "docker.io" || host == "registry-1.docker.io" || host == "index.docker.io") {
    return "index.docker.io";
  }
  return host;
}

Result<std::optional<BasicCredentials>> credentials_from_docker_config(std::string_view json_text,
                                                                       std::string_view registry) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(ErrorCode::kInvalidArgument, "docker config: not valid JSON", e.what());
  }
  if (!config.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "docker config: not a JSON object");
  }
  const std::string host = normalize_registry_host(registry);
  if (const auto helpers = config.find("credHelpers"); helpers != config.end() && helpers->is_object()) {
    for (const auto& [key, helper] : helpers->items()) {
      if (normalize_registry_host(key) == host) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("docker config: credHelpers[\"{}\"] names a credential "
                                      "helper, which is not supported yet",
                                      key));
      }
    }
  }
  const bool has_store = !string_field(config, "credsStore").empty();
  const auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return std::optional<BasicCredentials>();
  for (const auto& [key, entry] : auths->items()) {
    if (!entry.is_object() || normalize_registry_host(key) != host) continue;
    return entry_credentials(entry, key, has_store);
  }
  return std::optional<BasicCredentials>();
}

Result<std::optional<BasicCredentials>> load_docker_credentials(const std::filesystem::path& path,
                                                                std::string_view registry) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<BasicCredentials>();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return make_error(ErrorCode::kIo, fmt::format("docker config {}: cannot read", path.string()));
  }
  auto found = credentials_from_docker_config(text.str(), registry);
  if (!found.ok()) {
    Error error = found.error();
    error.message = fmt::format("{} ({})", error.message, path.string());
    return error;
  }
  return found;
}


}  // namespace mgate::backend::registry
