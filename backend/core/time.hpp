#pragma once
// Time stamps as the APIs and the audit log write them.

#include <chrono>
#include <string>
#include <string_view>

#include "backend/core/error.hpp"

namespace mgate::backend {

using Clock = std::chrono::system_clock;

/// RFC 3339 in UTC with milliseconds: "2026-11-21T05:13:17.123Z".
std::string format_rfc3339(Clock::time_point t);

/// Parses RFC 3339 ("2026-11-21T07:00:00Z", "…T09:30:00.250+02:00", up to nanoseconds):
/// AWS credential expirations, image configs' `created`. kProtocol naming the text otherwise.
Result<Clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace mgate::backend
