#include "backend/http/url.hpp"

#include <curl/curl.h>

#include <memory>

#include "backend/http/curl_global.hpp"

namespace mgate::backend::http {
namespace {

// Reads one part; an absent part (no query, no explicit port) reads as empty.
std::string get_part(CURLU* handle, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(handle, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

Error invalid_url(CURLUcode code) {
  return make_error(ErrorCode::kInvalidArgument, std::string("invalid URL: ") + curl_url_strerror(code));
}

Result<CurluPtr> parse_handle(std::string_view url) {
  ensure_curl_global_init();
  CurluPtr handle(curl_url());
  if (!handle) return make_error(ErrorCode::kInternal, "out of memory parsing a URL");
  const std::string text(url);
  if (const CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0); rc != CURLUE_OK) {
    return invalid_url(rc);
  }
  return handle;
}

}  // namespace

std::string Url::host_header() const {
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string Url::redacted() const {
  std::string out = scheme + "://" + host;
  if (explicit_port) out += ":" + std::to_string(port);
  return out + path;
}

Result<Url> parse_url(std::string_view url) {
  auto handle = parse_handle(url);
  if (!handle) return handle.error();
  CURLU* h = handle->get();
  Url out;
  out.scheme = get_part(h, CURLUPART_SCHEME);
  out.host = get_part(h, CURLUPART_HOST);
  const std::string written_port = get_part(h, CURLUPART_PORT);
  out.explicit_port = !written_port.empty();
  const std::string port = get_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::stoi(port);
  out.path = get_part(h, CURLUPART_PATH);
  if (out.path.empty()) out.path = "/";
  out.query = get_part(h, CURLUPART_QUERY);
  if (out.host.empty()) return make_error(ErrorCode::kInvalidArgument, "invalid URL: no host");
  return out;
}

Result<std::string> resolve_url(std::string_view base, std::string_view reference) {
  auto handle = parse_handle(base);
  if (!handle) return handle.error();
  const std::string ref(reference);
  // Setting CURLUPART_URL on a handle that already holds a URL resolves a relative one.
  if (const CURLUcode rc = curl_url_set(handle->get(), CURLUPART_URL, ref.c_str(), 0); rc != CURLUE_OK) {
    return invalid_url(rc);
  }
  return get_part(handle->get(), CURLUPART_URL);
}

std::string redact_url(std::string_view url) {
  if (auto parsed = parse_url(url)) return parsed->redacted();
  std::string_view cut = url.substr(0, url.find_first_of("?#"));
  const std::size_t authority = cut.find("://");
  const std::size_t start = authority == std::string_view::npos ? 0 : authority + 3;
  const std::size_t at = cut.find('@', start);
  if (at != std::string_view::npos && cut.find('/', start) > at) {
    return std::string(cut.substr(0, start)) + std::string(cut.substr(at + 1));
  }
  return std::string(cut);
}

}  // namespace mgate::backend::http
