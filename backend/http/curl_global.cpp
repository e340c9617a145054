#include "backend/http/curl_global.hpp"

#include <curl/curl.h>

#include <mutex>

namespace mgate::backend::http {

void ensure_curl_global_init() {
  static std::once_flag once;
  // curl_global_init is not thread-safe on every build (it initialises OpenSSL
  // and the resolver), so it runs once, before any handle exists.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace mgate::backend::http
