#include "backend/http/transport_error.hpp"

#include "backend/core/secret.hpp"

namespace mgate::backend::http {
namespace {

struct Classified {
  ErrorCode code;
  const char* reason;
  bool retryable;
};

// A TLS alert about certificates comes from the server refusing ours. Under
// TLS 1.3 the server sends it after the client believes the handshake is done,
// so it surfaces as a receive error rather than a connect error.
bool is_client_certificate_alert(std::string_view error_buffer) {
  return error_buffer.find("alert") != std::string_view::npos &&
         (error_buffer.find("certificate") != std::string_view::npos ||
          error_buffer.find("unknown ca") != std::string_view::npos);
}

Classified classify(CURLcode code, std::string_view error_buffer) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return {ErrorCode::kTimeout, "timed out", true};
    case CURLE_COULDNT_CONNECT:
      return {ErrorCode::kUnavailable, "could not connect", true};
    case CURLE_COULDNT_RESOLVE_HOST:
      return {ErrorCode::kUnavailable, "could not resolve the host", true};
    case CURLE_COULDNT_RESOLVE_PROXY:
      return {ErrorCode::kUnavailable, "could not resolve the proxy", true};
    case CURLE_PEER_FAILED_VERIFICATION:
      return {ErrorCode::kUnavailable, "TLS certificate verify failed", false};
    case CURLE_SSL_CACERT_BADFILE:
      return {ErrorCode::kInvalidArgument, "the CA certificate could not be loaded", false};
    case CURLE_SSL_CERTPROBLEM:
      return {ErrorCode::kInvalidArgument, "the client certificate or key could not be loaded", false};
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
      return {ErrorCode::kInvalidArgument, "the TLS settings are not usable", false};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {ErrorCode::kInvalidArgument, "invalid URL", false};
    case CURLE_OUT_OF_MEMORY:
      return {ErrorCode::kInternal, "out of memory", false};
    default:
      break;
  }
  if (code == CURLE_SSL_CONNECT_ERROR || code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR) {
    if (is_client_certificate_alert(error_buffer)) {
      return {ErrorCode::kUnauthenticated, "TLS client certificate rejected by the server", false};
    }
  }
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
      return {ErrorCode::kUnavailable, "TLS handshake failed", true};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return {ErrorCode::kUnavailable, "the connection failed", true};
    case CURLE_RECURSIVE_API_CALL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return {ErrorCode::kInternal, "libcurl rejected an option", false};
    default:
      return {ErrorCode::kUnavailable, curl_easy_strerror(code), false};
  }
}

}  // namespace

Error transport_error(std::string_view what, CURLcode code, std::string_view error_buffer) {
  const Classified c = classify(code, error_buffer);
  std::string detail(error_buffer);
  if (detail.empty()) detail = curl_easy_strerror(code);
  return make_error(c.code, std::string(what) + ": " + c.reason, std::move(detail), c.retryable);
}

bool nothing_was_sent(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
      text.replace(pos, secret.size(), Secret::kMask);
    }
  }
  return text;
}

}  // namespace mgate::backend::http
