#pragma once
// When and how long the HTTP client waits before trying a request again.

#include <chrono>
#include <optional>
#include <string_view>

namespace mgate::backend::http {

/// Retries with full-jitter exponential backoff. A retry happens only when it
/// cannot do harm twice (see Client::send for the exact rule).
struct RetryPolicy {
  int max_attempts = 3;                       ///< attempts in all, the first included; 1 = no retry
  std::chrono::milliseconds base_delay{200};  ///< the ceiling of the first wait
  std::chrono::milliseconds max_delay{5000};  ///< no wait is longer, Retry-After included
};

/// The longest wait before retry number `retry` (1 = the first retry):
/// base_delay * 2^(retry-1), capped at max_delay.
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry);

/// The full-jitter wait before retry number `retry`: fraction * backoff_ceiling,
/// where fraction is drawn uniformly from [0, 1] (clamped into it).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double fraction);

/// A Retry-After value (delta-seconds, or an HTTP-date relative to now) as a
/// wait; a date in the past is a zero wait; nothing when the value is unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

/// True for the statuses that say "try again later": 429, 502, 503, 504.
bool is_retryable_status(long status);

/// True for the methods RFC 9110 calls idempotent (GET, HEAD, PUT, DELETE,
/// OPTIONS, TRACE); the comparison ignores case.
bool is_idempotent_method(std::string_view method);

}  // namespace mgate::backend::http
