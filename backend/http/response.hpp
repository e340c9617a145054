#pragma once
// One HTTP response. A status code is not an error at this layer: callers map
// 404, 401 or 409 to their own meaning.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/http/headers.hpp"

namespace mgate::backend::http {

/// The final response of an exchange (after any retries).
struct Response {
  long status = 0;   ///< the HTTP status code
  Headers headers;   ///< the final response's headers (1xx and proxy CONNECT headers excluded)
  std::string body;  ///< the body; from Client::stream, only a non-2xx body lands here
  int attempts = 0;  ///< how many times the request was sent (1 = no retry)
  /// True when Client::stream ended before the body did: the callback returned
  /// false or the stop token was triggered. The body is then incomplete by choice.
  bool stopped = false;

  /// The first value of the header called name (any case), if any.
  std::optional<std::string> header(std::string_view name) const { return headers.get(name); }
  /// Every value of the header called name, one per field received.
  std::vector<std::string> header_all(std::string_view name) const { return headers.get_all(name); }
  /// True for a 2xx status.
  bool ok() const { return status >= 200 && status < 300; }
};

}  // namespace mgate::backend::http
