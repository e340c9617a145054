#pragma once
// Time stamps as the APIs and the audit log write them.

#include <chrono>
#include <string>

namespace mgate::backend {

using Clock = std::chrono::system_clock;

/// RFC 3339 in UTC with milliseconds: "2026-11-21T05:13:17.123Z".
std::string format_rfc3339(Clock::time_point t);

}  // namespace mgate::backend
