#include "backend/http/retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <string>

#include "backend/core/strings.hpp"
#include "backend/http/headers.hpp"

namespace mgate::backend::http {

std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry) {
  const auto cap = std::max(policy.max_delay, std::chrono::milliseconds{0});
  auto ceiling = std::max(policy.base_delay, std::chrono::milliseconds{0});
  // Doubling stops at the cap, so a large retry number cannot overflow.
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;
  return std::min(ceiling, cap);
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double fraction) {
  const double f = std::clamp(fraction, 0.0, 1.0);
  const auto ceiling = backoff_ceiling(policy, retry);
  return std::chrono::milliseconds{
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(ceiling.count()) * f)};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  const std::string_view text = trim(value);
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // Ten digits of seconds is three centuries: anything longer is capped, not overflowed.
    const std::string digits(text.substr(0, std::min<std::size_t>(text.size(), 10)));
    return std::chrono::seconds{std::stoll(digits)};
  }
  const std::string date(text);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(wait), std::chrono::milliseconds{0});
}

bool is_retryable_status(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool is_idempotent_method(std::string_view method) {
  static constexpr std::array<std::string_view, 6> kIdempotent = {"GET",    "HEAD",    "PUT",
                                                                  "DELETE", "OPTIONS", "TRACE"};
  return std::any_of(kIdempotent.begin(), kIdempotent.end(),
                     [&](std::string_view m) { return iequals(m, method); });
}

}  // namespace mgate::backend::http
