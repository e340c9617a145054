#pragma once
// Process-wide libcurl initialisation and handle ownership (internal to backend/http).

#include <curl/curl.h>

#include <memory>

namespace mgate::backend::http {

/// Calls curl_global_init exactly once per process, however many threads race to
/// it; every entry point that touches libcurl calls this first. The matching
/// curl_global_cleanup is left to process exit: clients may outlive main's locals.
void ensure_curl_global_init();

/// Frees a libcurl URL handle.
struct CurluDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
/// An owned libcurl URL handle.
using CurluPtr = std::unique_ptr<CURLU, CurluDeleter>;

}  // namespace mgate::backend::http
