#pragma once
// SigV4's output on an http::Request: the headers that are credentials kept out of descriptions.

#include <vector>

#include "backend/aws/canonical_request.hpp"
#include "backend/http/request.hpp"

namespace mgate::backend::aws {

/// Adds `headers` (what sign() returned) to `request`; the Authorization signature and the
/// session token go in as secret headers, so no log line or error repeats them.
void add_signed_headers(http::Request& request, const std::vector<Header>& headers);

}  // namespace mgate::backend::aws
