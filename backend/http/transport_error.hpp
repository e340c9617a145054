#pragma once
// libcurl failures as Errors (internal to backend/http).

#include <curl/curl.h>

#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::http {

/// The Error for a transfer that failed with code: the message is
/// "<what>: <reason>" where what is Request::describe() (no query, no
/// userinfo) and reason names the failure for a person ("could not connect",
/// "TLS certificate verify failed"); the detail is libcurl's error buffer.
/// error_buffer must already be scrubbed of secrets (see scrub_secrets).
Error transport_error(std::string_view what, CURLcode code, std::string_view error_buffer);

/// True when code means the request never left this process (no connection was
/// made), so even a non-idempotent request can safely be sent again.
bool nothing_was_sent(CURLcode code);

/// text with every occurrence of each secret (four characters or more) replaced
/// by "***". libcurl's messages are not meant to carry credentials; this makes
/// sure of it.
std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace mgate::backend::http
