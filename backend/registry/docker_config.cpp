#include "backend/registry/docker_config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mgate::backend::registry {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  const std::size_t at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An `auths` entry turned into credentials. The message names the entry, never its values.
Result<std::optional<BasicCredentials>> entry_credentials(const nlohmann::json& entry, const std::string& key,
                                                          bool has_store) {
  const std::string auth = string_field(entry, "auth");
  if (!auth.empty()) {
    const std::optional<std::string> decoded = decode_base64(auth);
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

std::optional<std::string> decode_base64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned int>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // A lone trailing character carries fewer than 8 bits: no byte ends there.
  if (text.size() % 4 == 1) return std::nullopt;
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned int n = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 0x3f];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned int n = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += left == 2 ? kAlphabet[(n >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

}  // namespace mgate::backend::registry
